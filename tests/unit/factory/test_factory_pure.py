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

from ansible_collections.icp.canister_factory.plugins.module_utils import factory_client as fc  # noqa: E402
from ansible_collections.icp.canister_factory.plugins.module_utils.factory_policy import merged_record  # noqa: E402
from ansible_collections.icp.canister_factory.plugins.module_utils.ic.errors import InputError  # noqa: E402
from ansible_collections.icp.canister_factory.plugins.module_utils.ic.principal import Principal  # noqa: E402

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
