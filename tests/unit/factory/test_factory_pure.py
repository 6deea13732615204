"""The factory client's pure parts: results, ids, the registry vocabulary of a child, policy merging."""
import os
import sys
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
_BASE = tempfile.mkdtemp(prefix="factory-unit-")
os.makedirs(os.path.join(_BASE, "ansible_collections", "icp"))
os.symlink(ROOT, os.path.join(_BASE, "ansible_collections", "icp", "canister_factory"))
sys.path.insert(0, _BASE)

from ansible_collections.icp.canister_factory.plugins.module_utils import _factory_client as fc  # noqa: E402
from ansible_collections.icp.canister_factory.plugins.module_utils._factory_policy import merged_record  # noqa: E402
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import InputError  # noqa: E402
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.principal import Principal  # noqa: E402

CHILD = Principal.from_text("bkyz2-fmaaa-aaaaa-qaaaq-cai")
OWNER = Principal.self_authenticating(bytes.fromhex("302a300506032b6570032100") + bytes(32))


def info(**over):
    base = {"canister_id": CHILD, "created_by": OWNER, "created_at": 1_700_000_000_000_000_000,
            "canister_type": "user", "status": {"Active": None}, "cycles_balance": 5, "owner": OWNER,
            "version": "0.1.0", "module_hash": b"\x01" * 32, "last_error": None}
    base.update(over)
    return base


def test_child_vars_speak_the_registry_vocabulary():
    hostvars = fc.child_vars(info(), "http://127.0.0.1:1")
    assert hostvars == {
        "canister_id": CHILD.to_text(), "template": "user", "owner": OWNER.to_text(), "created_by": OWNER.to_text(),
        "created_at": "2023-11-14T22:13:20Z", "network": "http://127.0.0.1:1", "status": "active",
        "module_hash": "01" * 32, "wasm_version": "0.1.0", "cycles_balance": 5, "last_error": None,
        "source": "factory"}
    assert fc.child_host_name(hostvars) == f"user-{CHILD.to_text()}"
    assert fc.child_vars(info(status={"Deleted": None}))["status"] == "deleted"


def test_a_shard_names_its_familys_first_canister_by_host_name():
    first = Principal.from_text("bd3sg-teaaa-aaaaa-qaaba-cai")
    hostvars = fc.child_vars(info(shard_of=first, shard_index=2))
    assert (hostvars["shard_of"], hostvars["shard_of_id"], hostvars["shard_index"]) == (
        f"user-{first.to_text()}", first.to_text(), 2)
    assert "shard_of" not in fc.child_vars(info(shard_of=None, shard_index=None))


def test_the_module_a_child_runs_names_its_version():
    labels = {("user", "01" * 32): "0.2.0"}
    assert fc.child_vars(info(), labels=labels)["wasm_version"] == "0.2.0"
    assert fc.child_vars(info(module_hash=b"\x02" * 32), labels=labels)["wasm_version"] == "0.1.0"


def test_err_results_raise_with_the_variant():
    assert fc.unwrap("m", {"Ok": 3}) == 3
    with pytest.raises(fc.FactoryError) as caught:
        fc.unwrap("create_user_canister", {"Err": {"InsufficientCycles": {"needed": 2, "available": 1}}})
    assert caught.value.variant == "InsufficientCycles"
    assert str(caught.value) == "factory create_user_canister: InsufficientCycles (needed=2, available=1)"
    assert caught.value.as_dict()["error_code"] == "InsufficientCycles"


def test_factory_id_from_text_or_registry():
    assert fc.resolve_factory_id(CHILD.to_text()) == CHILD.to_text()
    entries = {"factory": {"canister_id": CHILD.to_text(), "status": "active"}, "old": {"status": "deleted"}}
    assert fc.resolve_factory_id("factory", lambda: entries) == CHILD.to_text()
    for value, reader in (("factory", None), ("old", lambda: entries), ("", None)):
        with pytest.raises(InputError) as caught:
            fc.resolve_factory_id(value, reader)
        assert caught.value.field == "factory"


def test_policy_fields_are_checked_and_merged():
    current = {"pool_size": 0, "self_service": True}
    assert merged_record(current, {"pool_size": "3", "self_service": "no"}, "policy") == {"pool_size": 3,
                                                                                           "self_service": False}
    for given, field in (({"nope": 1}, "policy.nope"), ({"pool_size": -1}, "policy.pool_size"),
                         ({"pool_size": 1.5}, "policy.pool_size"), ({"self_service": "maybe"}, "policy.self_service"),
                         ({"pool_size": True}, "policy.pool_size")):
        with pytest.raises(InputError) as caught:
            merged_record(current, given, "policy")
        assert caught.value.field == field


def test_optional_policy_fields_take_null():
    current = {"scale_at": None, "max_shards": 1, "autoscale": False}
    nullable = {"scale_at", "max_shards", "autoscale"}
    merged = merged_record(current, {"scale_at": "80", "autoscale": "yes"}, "t", nullable)
    assert merged == {"scale_at": 80, "max_shards": 1, "autoscale": True}
    assert merged_record(merged, {"scale_at": None, "max_shards": "none"}, "t", nullable)["scale_at"] is None
    with pytest.raises(InputError) as caught:
        merged_record(current, {"scale_at": "lots"}, "t", nullable)
    assert caught.value.field == "t.scale_at"
    with pytest.raises(InputError):
        merged_record(current, {"max_shards": None}, "t")  # not optional: null is refused
