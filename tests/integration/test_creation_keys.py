"""The shared creation rules (creation_keys.py) and the drain module's binary, without a network."""
import sys

import pytest

from module_runner import collection_tree
from tests.threads import in_threads


@pytest.fixture(scope="module")
def utils(tmp_path_factory):
    """Import module_utils the way Ansible does (through the collection namespace)."""
    base = collection_tree(str(tmp_path_factory.mktemp("collections")))
    sys.path.insert(0, base)
    from ansible_collections.icp.canister_factory.plugins.module_utils import _creation_keys as creation_keys, _drain_module as drain_module
    return creation_keys, drain_module


def test_funding_auto_and_mainnet(utils):
    """auto follows the network; provisional on mainnet is refused by name."""
    keys, _ = utils
    assert keys.resolve_funding("auto", "http://127.0.0.1:4943") == "provisional"
    assert keys.resolve_funding(None, "local") == "provisional"
    assert keys.resolve_funding("auto", "ic") == "cycles_ledger"
    assert keys.resolve_funding("auto", "https://replica.example.org") == "cycles_ledger"
    with pytest.raises(Exception, match="^funding: provisional creation exists only on local"):
        keys.resolve_funding("provisional", "https://icp-api.io")
    # ic_cycles' source and the fleet's cycles_source follow the same rule, named by their field.
    assert keys.resolve_funding("auto", "ic", field="source", what="top-up") == "cycles_ledger"
    with pytest.raises(Exception, match="^source: provisional top-up exists only on local networks; "
                                        "use source: cycles_ledger"):
        keys.resolve_funding("provisional", "ic", field="source", what="top-up")


def test_created_at_time_is_unique_across_threads(utils):
    """ic_fleet's threads share an identity: no two creations may share a created_at_time."""
    keys, _ = utils
    batches = in_threads(lambda: [keys.next_created_at_time() for _ in range(500)], 8)
    seen = [value for batch in batches for value in batch]
    assert len(set(seen)) == len(seen) == 4000


def test_ledger_key_records_the_amount(utils):
    """A cycles-ledger key carries the amount the ledger's dedup hash covers."""
    keys, _ = utils
    key = keys.new_key("cycles_ledger", 10 ** 12, None, None, lambda: None)
    assert key["creation_cycles"] == 10 ** 12 and key["created_at_time"] > 0
    assert keys.key_of_entry(dict(key, status="creating")) == key


def test_drain_binary_is_its_source(utils):
    """The embedded drain module is exactly what its WAT source compiles to."""
    import wasmtime

    _, drain = utils
    assert wasmtime.wat2wasm(drain.DRAIN_WAT) == drain.DRAIN_WASM
    arg = drain.install_arg(b"\x01" * 10, "deposit", b"DIDL")
    assert len(arg) == 71 + 4 and arg[8] == 10 and arg[38] == 7
