"""Building and pruning hash trees, which only a replica needs (the client only looks up)."""
from _ic.errors import InputError
from _ic.hashtree import EMPTY, FORK, LABELED, LEAF, PRUNED, _labels, list_labels, reconstruct


def _fork_of(nodes):
    if not nodes:
        return (EMPTY,)
    if len(nodes) == 1:
        return nodes[0]
    middle = (len(nodes) + 1) // 2
    return (FORK, _fork_of(nodes[:middle]), _fork_of(nodes[middle:]))


def build_tree(mapping, _path="tree"):
    """A tree from nested dicts ``{label: dict | bytes}`` (labels bytes or str, sorted)."""
    if isinstance(mapping, (bytes, bytearray)):
        return (LEAF, bytes(mapping))
    if isinstance(mapping, str):
        return (LEAF, mapping.encode("utf-8"))
    if not isinstance(mapping, dict):
        raise InputError(_path, f"expected a dict or bytes, got {type(mapping).__name__}")
    labeled = []
    for label, sub in mapping.items():
        key = label.encode("utf-8") if isinstance(label, str) else bytes(label)
        labeled.append((key, sub, f"{_path}/{label!s}"))
    labeled.sort(key=lambda item: item[0])
    for first, second in zip(labeled, labeled[1:]):
        if first[0] == second[0]:
            raise InputError(second[2], "duplicate label")
    return _fork_of([(LABELED, key, build_tree(sub, where)) for key, sub, where in labeled])


def _trie(paths):
    root = {}
    for path in paths:
        node = root
        labels = _labels(path)
        if not labels:
            return None
        for i, label in enumerate(labels):
            child = node.get(label, {})
            if child is None:
                break
            if i == len(labels) - 1:
                node[label] = None
            else:
                node = node.setdefault(label, child)
    return root


def _pruned(node):
    return (PRUNED, reconstruct(node))


def _prune_node(node, trie):
    if trie is None or node[0] in (EMPTY, PRUNED):
        return node
    if node[0] == LEAF:
        # The requested path continues below a leaf: the leaf itself proves it absent.
        return node
    labels = list_labels(node)
    keep_label = set()
    for wanted in trie:
        if wanted in labels:
            continue
        below = [l for l in labels if l < wanted]
        above = [l for l in labels if l > wanted]
        if below:
            keep_label.add(below[-1])
        if above:
            keep_label.add(above[0])

    def walk(n):
        if n[0] == FORK:
            left, right = walk(n[1]), walk(n[2])
            if left[0] in (PRUNED, EMPTY) and right[0] in (PRUNED, EMPTY):
                return _pruned(n)
            return (FORK, left, right)
        if n[0] == LABELED:
            if n[1] in trie:
                return (LABELED, n[1], _prune_node(n[2], trie[n[1]]))
            if n[1] in keep_label:
                return (LABELED, n[1], _pruned(n[2]))
        if n[0] == EMPTY:
            return n
        return _pruned(n)

    return walk(node)


def prune(tree, paths):
    """Keep ``paths`` (a path keeps its whole subtree) and prune everything else.

    Labels next to a requested-but-missing label stay visible so absence remains provable.
    The root hash is unchanged.
    """
    return _prune_node(tree, _trie(paths))
