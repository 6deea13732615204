"""Node signatures on query replies, and the subnet facts (node keys, canister ranges) needed
to check them.

A query reply is not certified by the subnet; it is signed by the node that answered. Like
DFINITY's agents we learn the subnet's node keys from a certified read_state of ``subnet`` and
refuse any reply whose signature does not verify under one of them.
"""
import time

from . import cbor
from .errors import CertificateError
from .principal import Principal

RESPONSE_DOMAIN = b"\x0bic-response"
# The JS agent allows 5 minutes either way, agent-rs the ingress expiry window in the past.
MAX_SIGNATURE_AGE_NS = 5 * 60 * 1_000_000_000
MAX_SIGNATURE_SKEW_NS = 5 * 60 * 1_000_000_000


class UnknownNode(CertificateError):
    """The reply was signed by a node that is not among the cached subnet's nodes."""


def labeled_children(tree):
    """Yield ``(label, subtree)`` for the labeled nodes directly under ``tree`` (forks
    flattened); pruned and empty parts are skipped."""
    stack = [tree]
    while stack:
        node = stack.pop()
        tag = node[0]
        if tag == 1:
            stack.append(node[2])
            stack.append(node[1])
        elif tag == 2:
            yield bytes(node[1]), node[2]


def _find(tree, label):
    for child_label, sub in labeled_children(tree):
        if child_label == label:
            return sub
    return None


def _leaf(tree):
    if tree is not None and tree[0] == 3:
        return bytes(tree[1])
    return None


def _decode_ranges(value, where):
    try:
        ranges = cbor.loads(value)
        return [(bytes(lo), bytes(hi)) for lo, hi in ranges]
    except (ValueError, TypeError) as exc:
        raise CertificateError(f"malformed canister ranges at {where}: {exc}") from exc


class SubnetInfo:
    """What one certified ``subnet`` read_state says about a subnet."""

    __slots__ = ("subnet_id", "node_keys", "ranges", "fetched_at")

    def __init__(self, subnet_id, node_keys, ranges, fetched_at=None):
        self.subnet_id = subnet_id
        self.node_keys = node_keys
        self.ranges = ranges
        self.fetched_at = time.monotonic() if fetched_at is None else fetched_at

    def hosts(self, canister_id):
        """True when ``canister_id`` lies in one of the subnet's canister ranges."""
        raw = Principal.coerce(canister_id, "canister_id").raw
        return any(lo <= raw <= hi for lo, hi in self.ranges)

    @classmethod
    def from_tree(cls, tree, subnet_id):
        """Read node keys and canister ranges of ``subnet_id`` out of a *verified* tree."""
        sid = Principal.coerce(subnet_id, "subnet_id")
        subnet = _find(_find(tree, b"subnet") or (0,), sid.raw)
        if subnet is None:
            raise CertificateError(f"the certificate says nothing about subnet {sid}")
        node_keys = {}
        for node_id, node in labeled_children(_find(subnet, b"node") or (0,)):
            key = _leaf(_find(node, b"public_key"))
            if key is not None:
                node_keys[node_id] = key
        if not node_keys:
            raise CertificateError(f"no node keys for subnet {sid} in the certificate")
        return cls(sid, node_keys, cls.ranges_from_tree(tree, sid))

    @staticmethod
    def ranges_from_tree(tree, subnet_id):
        """Canister ranges of ``subnet_id``: the flat ``subnet/<sid>/canister_ranges`` or else
        every shard under ``canister_ranges/<sid>``; [] when the tree has neither."""
        sid = Principal.coerce(subnet_id, "subnet_id")
        subnet = _find(_find(tree, b"subnet") or (0,), sid.raw) or (0,)
        flat = _leaf(_find(subnet, b"canister_ranges"))
        if flat is not None:
            return _decode_ranges(flat, f"subnet/{sid}/canister_ranges")
        ranges = []
        shards = _find(_find(tree, b"canister_ranges") or (0,), sid.raw) or (0,)
        for label, shard in labeled_children(shards):
            value = _leaf(shard)
            if value is not None:
                ranges.extend(_decode_ranges(value, f"canister_ranges/{sid}/{label.hex()}"))
        return ranges


def response_map(response, request_id, timestamp):
    """The map a node signs for a query reply or reject (client-compatibility.md pitfall 4)."""
    status = response.get("status")
    if status == "replied":
        reply = response.get("reply")
        if not isinstance(reply, dict) or not isinstance(reply.get("arg"), bytes):
            raise CertificateError("query reply has no reply.arg blob")
        return {"status": "replied", "reply": {"arg": reply["arg"]},
                "timestamp": timestamp, "request_id": request_id}
    if status == "rejected":
        signed = {"status": "rejected", "reject_code": response.get("reject_code"),
                  "reject_message": response.get("reject_message"),
                  "timestamp": timestamp, "request_id": request_id}
        if response.get("error_code") is not None:
            signed["error_code"] = response["error_code"]
        return signed
    raise CertificateError(f"query response has unexpected status {status!r}")


def _ed25519_verify(der, signature, message):
    from .identity import ED25519_DER_PREFIX, verify_signature

    if len(der) != 44 or not der.startswith(ED25519_DER_PREFIX):
        raise CertificateError("node public key is not a 44-byte DER Ed25519 key")
    return verify_signature(der, message, signature)


def verify_query_response(response, request_id, subnet, now_ns=None,
                          max_age_ns=MAX_SIGNATURE_AGE_NS):
    """Check every node signature on a decoded query response; raise CertificateError unless
    there are between 1 and len(nodes) signatures, each fresh and valid under a known node."""
    signatures = response.get("signatures")
    if not isinstance(signatures, list) or not signatures:
        raise CertificateError("query response carries no node signatures")
    if len(signatures) > len(subnet.node_keys):
        raise CertificateError(f"query response has {len(signatures)} signatures but the "
                               f"subnet has {len(subnet.node_keys)} nodes")
    now = time.time_ns() if now_ns is None else now_ns
    for entry in signatures:
        if not isinstance(entry, dict):
            raise CertificateError("malformed node signature entry")
        timestamp, signature, node = (entry.get("timestamp"), entry.get("signature"),
                                      entry.get("identity"))
        if not isinstance(timestamp, int) or not isinstance(signature, bytes) \
                or not isinstance(node, bytes):
            raise CertificateError("node signature entry lacks timestamp, signature or identity")
        if now - timestamp > max_age_ns or timestamp - now > MAX_SIGNATURE_SKEW_NS:
            raise CertificateError(f"query signature timestamp {timestamp} is too far from "
                                   f"now ({now})")
        key = subnet.node_keys.get(node)
        if key is None:
            raise UnknownNode(f"query signed by node {Principal(node)}, which is not in "
                              f"subnet {subnet.subnet_id}")
        message = RESPONSE_DOMAIN + cbor.hash_of_map(response_map(response, request_id,
                                                                  timestamp))
        if not _ed25519_verify(key, signature, message):
            raise CertificateError(f"query reply signature of node {Principal(node)} does "
                                   "not verify; refusing the reply")
