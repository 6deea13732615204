"""Hash trees: root hash, lookup with pruned nodes, build and prune."""
import pytest
from hypothesis import given, settings, strategies as st

from _ic import cbor
from _ic.certificate import (LookupResult, from_cbor, list_labels, list_paths, lookup_path,
                            lookup_subtree, reconstruct)
from localnet.treebuild import build_tree, prune
from _ic.errors import CertificateError, InputError

SPEC_TREE_CBOR = bytes.fromhex(
    "8301830183024161830183018302417882034568656c6c6f810083024179820345776f726c64830241628203"
    "44676f6f648301830241638100830241648203476d6f726e696e67")
SPEC_ROOT = "eb5c5b2195e62d996b84c9bcc8259d19a83786a2f59e0878cec84c811f669aa0"


@pytest.fixture()
def spec_tree():
    return from_cbor(cbor.loads(SPEC_TREE_CBOR))


def test_spec_root_hash(spec_tree):
    assert reconstruct(spec_tree).hex() == SPEC_ROOT


def test_lookup_found_absent(spec_tree):
    assert lookup_path(spec_tree, ["a", "x"]) == LookupResult("found", b"hello")
    assert lookup_path(spec_tree, [b"d"]).value == b"morning"
    assert lookup_path(spec_tree, ["a", "w"]).status == "absent"
    assert lookup_path(spec_tree, ["0"]).status == "absent"
    assert lookup_path(spec_tree, ["bb"]).status == "absent"
    assert lookup_path(spec_tree, ["z"]).status == "absent"
    assert lookup_path(spec_tree, ["c"]).status == "absent"  # labeled Empty
    assert lookup_path(spec_tree, ["a"]).status == "error"  # a subtree, not a leaf
    # Below a leaf nothing can hide: Absent, as agent-rs and agent-js answer.
    assert lookup_path(spec_tree, ["b", "deeper"]).status == "absent"
    assert lookup_path((3, b"v"), ["x"]).status == "absent"  # a single-leaf tree


def test_lookup_with_pruned_nodes_is_unknown(spec_tree):
    pruned = prune(spec_tree, [["a", "y"]])
    assert reconstruct(pruned) == reconstruct(spec_tree)
    assert lookup_path(pruned, ["a", "y"]).value == b"world"
    assert lookup_path(pruned, ["a", "x"]).status == "unknown"
    assert lookup_path(pruned, ["d"]).status == "unknown"
    assert lookup_path(pruned, ["a", "z"]).status == "absent"  # y is the last label under a


def test_prune_keeps_neighbours_to_prove_absence(spec_tree):
    pruned = prune(spec_tree, [["bb"]])
    assert reconstruct(pruned) == reconstruct(spec_tree)
    assert lookup_path(pruned, ["bb"]).status == "absent"
    assert lookup_path(pruned, ["b"]).status == "unknown"
    assert sorted(list_labels(pruned)) == [b"b", b"c"]


def test_prune_prefix_keeps_subtree_and_empty_path_keeps_all(spec_tree):
    pruned = prune(spec_tree, [["a"]])
    assert lookup_path(pruned, ["a", "x"]).value == b"hello"
    assert lookup_path(pruned, ["b"]).status == "unknown"
    assert prune(spec_tree, [[]]) == spec_tree
    everything_hidden = prune(spec_tree, [])
    assert everything_hidden[0] == 4 and reconstruct(everything_hidden).hex() == SPEC_ROOT


def test_build_tree_and_list_paths():
    tree = build_tree({"time": b"\x01", "canister": {b"\x00\x01": {"module_hash": b"h"}},
                       "z": {}})
    assert lookup_path(tree, ["canister", b"\x00\x01", "module_hash"]).value == b"h"
    assert lookup_path(tree, ["z"]).status == "absent"
    assert list_paths(tree) == [[b"canister", b"\x00\x01", b"module_hash"], [b"time"]]
    assert lookup_subtree(tree, ["canister"]).status == "found"
    assert list_labels(lookup_subtree(tree, ["canister"]).value) == [b"\x00\x01"]
    with pytest.raises(InputError, match="duplicate label"):
        build_tree({"a": b"1", b"a": b"2"})
    with pytest.raises(InputError, match="expected a dict or bytes"):
        build_tree({"a": 5})


label_st = st.binary(min_size=0, max_size=3)
tree_st = st.recursive(st.binary(max_size=4),
                       lambda c: st.dictionaries(label_st, c, max_size=5), max_leaves=25)


@settings(max_examples=60)
@given(st.dictionaries(label_st, tree_st, max_size=6), st.lists(st.lists(label_st, max_size=3),
                                                               max_size=4))
def test_prune_preserves_root_and_requested_values(mapping, paths):
    tree = build_tree(mapping)
    pruned = prune(tree, paths)
    assert reconstruct(pruned) == reconstruct(tree)
    for path in paths:
        full = lookup_path(tree, path)
        got = lookup_path(pruned, path)
        if full.status == "found":
            assert got == full
        elif full.status == "absent":
            assert got.status == "absent"


def test_unsorted_labels_are_an_error():
    tree = (1, (2, b"b", (3, b"1")), (2, b"a", (3, b"2")))
    assert lookup_path(tree, ["a"]).status == "error"


@pytest.mark.parametrize("bad", [
    [9], [1, [0]], [2, "text", [0]], [3, "text"], [4, b"short"], "x", [], [1, [0], [7]],
])
def test_malformed_trees_are_refused(bad):
    with pytest.raises(CertificateError):
        from_cbor(bad)


def test_deep_tree_refused():
    node = [0]
    for _ in range(200):
        node = [2, b"a", node]
    with pytest.raises(CertificateError, match="deeper"):
        from_cbor(node)
