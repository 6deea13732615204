"""The fleet's shared chunk store, against a fake management client: which canister becomes the
store, when it is marked, what a failed first install or a vanished recovered store leads to."""
import hashlib

import pytest

from ansible_collections.icp.canister_factory.plugins.module_utils._chunk_store import SharedStore
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import Reject
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.principal import Principal
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.wasm import WasmModule

MODULE = WasmModule(b"\x00asm\x01\x00\x00\x00" + b"x" * 3000, b"", False, {})


def cid(index):
    return Principal.from_canister_index(index)


def gone(canister):
    return Reject(3, f"Canister {canister} not found.", "IC0301")


class FakeClient:
    """Chunk stores per canister; ``fail_install`` targets refuse install_chunked_code."""

    def __init__(self, fail_install=(), missing=()):
        self.stores = {}
        self.calls = []
        self.fail_install = set(fail_install)
        self.missing = set(missing)

    def stored_chunks(self, canister):
        self.calls.append(("stored_chunks", canister))
        if canister in self.missing:
            raise gone(canister)
        return list(self.stores.get(canister, ()))

    def upload_chunk(self, canister, chunk):
        self.calls.append(("upload_chunk", canister))
        digest = hashlib.sha256(chunk).digest()
        self.stores.setdefault(canister, []).append(digest)
        return digest

    def install_chunked_code(self, target, hashes, module_hash, arg, mode, store_canister=None):
        self.calls.append(("install_chunked_code", target, store_canister))
        store = store_canister or target
        assert all(h in self.stores.get(store, ()) for h in hashes)
        if target in self.fail_install:
            raise Reject(5, "Canister trapped during init", "IC0503")

    def clear_chunk_store(self, canister):
        self.calls.append(("clear_chunk_store", canister))
        self.stores[canister] = []


class Step:
    def __init__(self, name):
        self.params = {"name": name}


def shared(client, recovered=None):
    marks = []
    store = SharedStore(client, lambda name, held: marks.append((name, held)), recovered)
    return store, marks


def install(store, name, index):
    store.install(Step(name), cid(index), MODULE, b"", {"install": None})


def test_the_first_canister_is_the_store_marked_before_its_upload():
    client = FakeClient()
    store, marks = shared(client)
    for index, name in enumerate(("a", "b", "c"), start=1):
        install(store, name, index)
    assert marks == [("a", True)]
    assert [c for c in client.calls if c[0] == "upload_chunk"] == [("upload_chunk", cid(1))]
    assert ("install_chunked_code", cid(1), None) in client.calls
    assert ("install_chunked_code", cid(3), cid(1)) in client.calls
    assert store.finish() == []
    assert marks[-1] == ("a", False) and client.stores[cid(1)] == []


def test_a_failed_first_install_passes_the_store_on_and_a_rolled_back_store_is_only_unmarked():
    client = FakeClient(fail_install={cid(1)})
    store, marks = shared(client)
    with pytest.raises(Reject):
        install(store, "a", 1)
    install(store, "b", 2)
    install(store, "c", 3)
    assert ("install_chunked_code", cid(3), cid(2)) in client.calls
    assert store.finish(gone={"a"}) == []
    assert sorted(marks) == [("a", False), ("a", True), ("b", False), ("b", True)]
    assert ("clear_chunk_store", cid(1)) not in client.calls


def test_a_recovered_store_is_reused_and_a_vanished_one_dropped():
    client = FakeClient()
    client.stores[cid(7)] = [MODULE.sha256]  # a one-chunk module: its chunk hash is the module hash
    store, marks = shared(client, recovered=("old", cid(7)))
    install(store, "a", 1)
    assert not [c for c in client.calls if c[0] == "upload_chunk"], "the stored chunk is reused"
    assert ("install_chunked_code", cid(1), cid(7)) in client.calls
    store.finish()
    assert marks == [("old", False)]

    client = FakeClient(missing={cid(7)})
    store, marks = shared(client, recovered=("old", cid(7)))
    install(store, "a", 1)
    assert marks[:2] == [("old", False), ("a", True)]
    assert ("install_chunked_code", cid(1), None) in client.calls
