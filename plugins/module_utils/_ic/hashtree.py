"""IC hash trees: root hash, lookup, building and pruning.

Nodes are tuples in the CBOR shape: ``(0,)`` Empty, ``(1, l, r)`` Fork, ``(2, label, sub)``
Labeled, ``(3, value)`` Leaf, ``(4, digest)`` Pruned. ``ic.certificate`` re-exports this API.
"""
import hashlib

from .errors import CertificateError

EMPTY, FORK, LABELED, LEAF, PRUNED = 0, 1, 2, 3, 4
_EMPTY_HASH = hashlib.sha256(b"\x11ic-hashtree-empty").digest()
_FORK = b"\x10ic-hashtree-fork"
_LABELED = b"\x13ic-hashtree-labeled"
_LEAF = b"\x10ic-hashtree-leaf"
MAX_TREE_DEPTH = 128


class LookupResult:
    """Outcome of a lookup: ``status`` is found, absent, unknown or error; ``value`` if found."""

    __slots__ = ("status", "value")

    def __init__(self, status, value=None):
        self.status = status
        self.value = value

    def __eq__(self, other):
        return isinstance(other, LookupResult) and \
            (self.status, self.value) == (other.status, other.value)

    def __repr__(self):
        return f"LookupResult({self.status!r}, {self.value!r})"


def from_cbor(node, depth=0):
    """Validate a decoded CBOR hash tree and convert it to tuples; raises CertificateError."""
    if depth > MAX_TREE_DEPTH:
        raise CertificateError(f"hash tree is deeper than {MAX_TREE_DEPTH} levels")
    if not isinstance(node, (list, tuple)) or not node or not isinstance(node[0], int):
        raise CertificateError("hash tree node is not a [tag, ...] array")
    tag, size = node[0], len(node)
    if tag == EMPTY and size == 1:
        return (EMPTY,)
    if tag == FORK and size == 3:
        return (FORK, from_cbor(node[1], depth + 1), from_cbor(node[2], depth + 1))
    if tag == LABELED and size == 3 and isinstance(node[1], bytes):
        return (LABELED, node[1], from_cbor(node[2], depth + 1))
    if tag == LEAF and size == 2 and isinstance(node[1], bytes):
        return (LEAF, node[1])
    if tag == PRUNED and size == 2 and isinstance(node[1], bytes) and len(node[1]) == 32:
        return (PRUNED, node[1])
    raise CertificateError(f"malformed hash tree node with tag {tag!r} and {size} fields")


def reconstruct(tree):
    """The root hash of a tree (SHA-256 with the ic-hashtree domain separators)."""
    tag = tree[0]
    if tag == EMPTY:
        return _EMPTY_HASH
    if tag == FORK:
        return hashlib.sha256(_FORK + reconstruct(tree[1]) + reconstruct(tree[2])).digest()
    if tag == LABELED:
        return hashlib.sha256(_LABELED + tree[1] + reconstruct(tree[2])).digest()
    if tag == LEAF:
        return hashlib.sha256(_LEAF + tree[1]).digest()
    if tag == PRUNED:
        return tree[1]
    raise CertificateError(f"unknown hash tree node tag {tag!r}")


def _flatten(tree, out):
    if tree[0] == FORK:
        _flatten(tree[1], out)
        _flatten(tree[2], out)
    elif tree[0] != EMPTY:
        out.append(tree)
    return out


def _find_label(label, tree):
    # A leaf where labels are expected hides nothing, so the label is provably not there
    # (agent-rs and agent-js answer Absent; only a pruned node makes a lookup unknown).
    nodes = [node for node in _flatten(tree, []) if node[0] != LEAF]
    last = None
    for node in nodes:
        if node[0] == LABELED:
            if last is not None and node[1] <= last:
                return LookupResult("error")
            last = node[1]
    previous = None
    for index, node in enumerate(nodes):
        if node[0] != LABELED:
            previous = None
            continue
        if node[1] == label:
            return LookupResult("found", node[2])
        if node[1] > label:
            # Absent is provable only if the node before is a label below ours (or none).
            if index == 0 or previous is not None:
                return LookupResult("absent")
            return LookupResult("unknown")
        previous = node[1]
    if not nodes or nodes[-1][0] == LABELED:
        return LookupResult("absent")
    return LookupResult("unknown")


def _labels(path):
    return [p.encode("utf-8") if isinstance(p, str) else bytes(p) for p in path]


def lookup_subtree(tree, path):
    """Look up ``path`` (labels as bytes or str); ``value`` is the subtree when found."""
    node = tree
    for label in _labels(path):
        result = _find_label(label, node)
        if result.status != "found":
            return result
        node = result.value
    return LookupResult("found", node)


def lookup_path(tree, path):
    """Look up a leaf at ``path``: found (value bytes), absent, unknown (pruned) or error."""
    result = lookup_subtree(tree, path)
    if result.status != "found":
        return result
    node = result.value
    if node[0] == LEAF:
        return LookupResult("found", node[1])
    if node[0] == EMPTY:
        return LookupResult("absent")
    if node[0] == PRUNED:
        return LookupResult("unknown")
    return LookupResult("error")


def list_labels(tree):
    """The labels visible directly under ``tree`` (pruned parts are skipped)."""
    return [node[1] for node in _flatten(tree, []) if node[0] == LABELED]


def list_paths(tree, prefix=()):
    """Every path from the root to a visible leaf, as lists of labels."""
    paths = []
    for node in _flatten(tree, []):
        if node[0] == LEAF:
            paths.append(list(prefix))
        elif node[0] == LABELED:
            paths.extend(list_paths(node[2], prefix + (node[1],)))
    return paths
