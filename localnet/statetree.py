"""The certified state tree, built on demand for the paths a request asks about.

Every response carries its own signature, so no global state hash is kept: a read_state
answer is a tree with ``/time`` and the requested subtrees only (anything else is absent),
which is what the replica's pruned trees look like to a client.
"""
from _ic import cbor
from _ic.cbor import uleb128
from _ic.principal import Principal

from .errors import HttpError

_TOP_LABELS = (b"api_boundary_nodes", b"canister", b"canister_ranges", b"request_status",
               b"subnet", b"time")


def subnet_subtree(subnet, with_metrics=None, flat_ranges=True):
    """``/subnet/<sid>`` contents; ``with_metrics`` adds the subnet metrics leaf and
    ``flat_ranges`` the flat ``canister_ranges`` leaf."""
    node = {
        b"public_key": subnet.public_key_der,
        b"type": subnet.type.encode(),
        b"node": {subnet.node_id.raw: {b"public_key": subnet.node_key_der}},
    }
    if flat_ranges:
        node[b"canister_ranges"] = subnet.ranges_value()
    if with_metrics is not None:
        node[b"metrics"] = with_metrics
    return node


def canister_subtree(canister):
    """``/canister/<cid>`` contents of one canister record."""
    node = {
        b"controllers": cbor.dumps([c.raw for c in canister.controllers]),
        b"canister_creation_timestamp": uleb128(canister.created_ns),
    }
    if canister.module_hash is not None:
        node[b"module_hash"] = canister.module_hash
        node[b"metadata"] = {name.encode(): section["data"]
                             for name, section in canister.metadata.items()}
    if canister.last_install_ns:
        node[b"last_install_timestamp"] = uleb128(canister.last_install_ns)
    return node


def _descend(value, labels):
    for label in labels:
        if not isinstance(value, dict) or label not in value:
            return None
        value = value[label]
    return value


def _insert(mapping, labels, value):
    node = mapping
    for label in labels[:-1]:
        child = node.get(label)
        if not isinstance(child, dict):
            child = {}
            node[label] = child
        node = child
    if value is None:
        return
    if isinstance(value, dict) and isinstance(node.get(labels[-1]), dict):
        _merge(node[labels[-1]], value)
    else:
        node[labels[-1]] = value


def _insert_skeleton(mapping, labels):
    node = mapping
    for label in labels:
        child = node.get(label)
        if child is None:
            child = {}
            node[label] = child
        if not isinstance(child, dict):
            return
        node = child


def _merge(into, extra):
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


class ReadState:
    """Answers the paths of one read_state request against the node's current state."""

    def __init__(self, node, request, ecid=None, esid=None, legacy=False, subnet=None):
        self.node = node
        self.request = request
        self.ecid = ecid
        self.esid = esid
        self.legacy = legacy
        # The subnet that answers (and certifies) the request.
        self.subnet = subnet if subnet is not None else node.topology.root

    def mapping(self):
        """The tree mapping for all requested paths (``time`` is added by the certifier)."""
        self._check_request_ids()
        mapping = {}
        for path in self.request.paths:
            if not path:
                raise HttpError(400, "Invalid read state request: empty paths are not "
                                     "supported; ask for a subtree such as ['subnet']")
            value = self._value(path)
            if value is None:
                # Absent: reveal the path's parents only, which proves the absence.
                _insert_skeleton(mapping, path[:-1])
            else:
                _insert(mapping, path, value)
        mapping.pop(b"time", None)
        return mapping

    def _check_request_ids(self):
        ids = {p[1] for p in self.request.paths if len(p) >= 2 and p[0] == b"request_status"}
        if len(ids) > 1:
            raise HttpError(400, "Invalid read state request: Request IDs must be the same "
                                 "for requested paths.")

    def _value(self, path):
        head = path[0]
        topology = self.node.topology
        if head == b"time":
            return None
        if head == b"api_boundary_nodes":
            return _descend({}, path[1:]) if len(path) > 1 else {}
        if head == b"subnet":
            if len(path) >= 3 and path[2] == b"metrics" and \
                    (self.esid is None or path[1] != self.esid.raw):
                raise HttpError(403, "Invalid read state request: subnet metrics can only be "
                                     "read through the subnet's own read_state endpoint")
            # The replica's v3 endpoints reveal flat ranges of the root subnet only; other
            # subnets' ranges come from their delegation (or the sharded paths).
            tree = {s.subnet_id.raw: subnet_subtree(
                s, self.node.subnet_metrics(s) if s is self.subnet and self.esid else None,
                flat_ranges=self.legacy or s.is_root) for s in topology.subnets}
            return _descend(tree, path[1:])
        if head == b"canister_ranges":
            if self.esid is None:
                raise HttpError(403, "Invalid read state request: canister_ranges can only be "
                                     "read through a subnet read_state endpoint")
            if len(path) > 1 and path[1] != self.esid.raw:
                raise HttpError(403, "Invalid read state request: canister_ranges of another "
                                     "subnet requested")
            tree = {self.subnet.subnet_id.raw: self.subnet.shards()}
            return _descend(tree, path[1:])
        if head == b"request_status":
            return self._request_status(path)
        if head == b"canister":
            return self._canister(path)
        raise HttpError(404, f"Invalid read state request: unknown path /{head!r}")

    def _request_status(self, path):
        if len(path) == 1:
            return {}
        entry = self.node.history.get(path[1])
        if entry is None:
            return None
        if entry.sender != self.request.sender or \
                (self.ecid is not None and entry.ecid != self.ecid and
                 entry.ecid is not None) or (self.esid is not None):
            raise HttpError(403, "Invalid read state request: Request "
                                 f"0x{path[1].hex()} was not sent by {self.request.sender} "
                                 "to this effective canister id")
        return _descend({path[1]: entry.tree()}, path[1:])

    def _canister(self, path):
        if self.esid is not None:
            raise HttpError(403, "Invalid read state request: canister paths cannot be read "
                                 "through a subnet endpoint")
        if len(path) == 1:
            raise HttpError(403, "Invalid read state request: the canister subtree can only "
                                 "be read one canister at a time")
        cid = Principal(path[1]) if len(path[1]) <= 29 else None
        if cid is None or cid != self.ecid:
            raise HttpError(403, f"Invalid read state request: Effective canister id "
                                 f"{self.ecid} does not match the canister in path")
        canister = self.node.store.get(cid)
        if canister is None:
            return None
        if len(path) >= 3 and path[2] == b"certified_data":
            raise HttpError(403, "Invalid read state request: certified_data cannot be read "
                                 "over HTTP")
        if len(path) >= 4 and path[2] == b"metadata":
            self._check_metadata(canister, path[3])
        elif len(path) == 3 and path[2] == b"metadata":
            for name in canister.metadata:
                self._check_metadata(canister, name.encode())
        return _descend({path[1]: canister_subtree(canister)}, path[1:])

    def _check_metadata(self, canister, name):
        try:
            text = name.decode("utf-8")
        except UnicodeDecodeError:
            raise HttpError(400, "Invalid read state request: metadata name is not UTF-8") \
                from None
        section = canister.metadata.get(text)
        if section and not section["public"] and \
                self.request.sender not in canister.controllers:
            raise HttpError(403, f"Custom section {text} can only be read by the controllers "
                                 "of the canister.")
