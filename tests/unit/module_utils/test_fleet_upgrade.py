"""The fleet upgrade's rules shared by the role (ic_code, the module_on_target filter) and the
batch path (ic_fleet action=upgrade): the fast path, the module's version, ic_code's options."""
import json
import os

import pytest
import yaml
from ansible.utils.helpers import pct_to_int

from ansible_collections.icp.canister_factory.plugins.filter.module_on_target import module_on_target
from ansible_collections.icp.canister_factory.plugins.module_utils._code_install import CodeInstall, manifest_version
from ansible_collections.icp.canister_factory.plugins.module_utils._fleet_upgrade import (
    batch_halts, upgrade_argument_spec, upgrade_code_params, upgrade_in_batches)
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import InputError
from ansible_collections.icp.canister_factory.plugins.module_utils._upgrade_items import (
    failures, serial_batches, upgrade_items)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
MANIFEST = os.path.join(ROOT, "wasm", "manifest.json")
SHA = "ab" * 32


def test_fast_path_needs_a_recorded_hash_equal_to_the_target():
    assert module_on_target(SHA, SHA)
    assert not module_on_target("cd" * 32, SHA)
    assert not module_on_target("", "")  # nothing recorded: the module has to look
    assert not module_on_target(None, SHA)


def test_fast_path_on_the_module_file_uses_the_hash_the_ic_reports(tmp_path):
    with open(MANIFEST, encoding="utf-8") as handle:
        shipped = next(t for t in json.load(handle)["templates"] if t["out"] == "user")
    user = os.path.join(ROOT, "wasm", "user.wasm.gz")
    assert module_on_target(shipped["module_hash"], wasm=user)
    assert not module_on_target(SHA, wasm=user)
    # A file that cannot be loaded is never on target: ic_code / ic_fleet then name the problem.
    assert not module_on_target(shipped["module_hash"], wasm=str(tmp_path / "missing.wasm"))
    (tmp_path / "bad.wasm").write_bytes(b"not wasm")
    assert not module_on_target(shipped["module_hash"], wasm=str(tmp_path / "bad.wasm"))


def test_the_shipped_manifest_gives_each_build_its_version():
    with open(MANIFEST, encoding="utf-8") as handle:
        builds = {t["out"]: t for t in json.load(handle)["templates"]}
    assert manifest_version(MANIFEST, builds["user"]["module_hash"]) == builds["user"]["version"]
    assert manifest_version(MANIFEST, builds["user-0.1.0"]["module_hash"]) == "0.1.0"
    assert manifest_version(MANIFEST, SHA) is None
    assert manifest_version(None, builds["user"]["module_hash"]) is None


def test_an_unreadable_manifest_knows_no_version(tmp_path):
    bad = tmp_path / "manifest.json"
    bad.write_text("not json")
    assert manifest_version(str(bad), SHA) is None
    assert manifest_version(str(tmp_path / "missing.json"), SHA) is None


def test_the_batch_gives_ic_code_what_the_role_s_ic_code_task_gives():
    options = upgrade_code_params("0.2.0", MANIFEST, "(record {})", "version", None, None)
    assert set(options) <= set(CodeInstall.argument_spec)
    assert set(options["verify"]) == set(CodeInstall.argument_spec["verify"]["options"])
    with open(os.path.join(ROOT, "roles", "fleet_upgrade", "tasks", "main.yml"), encoding="utf-8") as handle:
        task = next(t for t in yaml.safe_load(handle) if "icp.canister_factory.ic_code" in t)
    role = task["icp.canister_factory.ic_code"]
    assert set(options) <= set(role), "an option the batch sets that the role's task does not"
    for key in ("mode", "snapshot_before_upgrade"):
        assert role[key] == options[key]
    assert role["verify"]["expect_version"] is options["verify"]["expect_version"] is True
    assert set(upgrade_argument_spec()) == {"name", "canister_id", "wasm", "version", "arg", "verify_method",
                                            "wasm_memory_persistence", "module_hash", "notify_factory"}


def test_a_batch_halts_the_rollout_by_ansible_s_serial_rule():
    # ansible.plugins.strategy.linear: failed hosts / batch size > max_fail_percentage / 100.
    assert batch_halts(1, 10, 0) and not batch_halts(0, 10, 0)
    assert not batch_halts(1, 3, 34) and batch_halts(2, 3, 34)  # 1/3 is not above 34 %
    assert batch_halts(1, 3, 33)  # 1/3 is above 33 %
    assert not batch_halts(3, 3, 100)


def _upgraded(failing):
    calls = []

    def upgrade_batch(batch):
        calls.append([spec["name"] for spec in batch])
        return [{"name": spec["name"], "changed": spec["name"] not in failing, "failed": spec["name"] in failing}
                for spec in batch]
    return calls, upgrade_batch


def test_batches_go_in_order_and_none_starts_after_one_that_failed_too_much():
    items = [{"name": f"c{i}"} for i in range(7)]
    calls, upgrade_batch = _upgraded({"c3"})
    results = upgrade_in_batches(items, 3, 0, upgrade_batch)
    assert calls == [["c0", "c1", "c2"], ["c3", "c4", "c5"]]
    assert [r["name"] for r in results] == [f"c{i}" for i in range(7)]
    halted = results[6]
    assert halted["halted"] and not halted["changed"] and not halted["failed"]
    assert halted["msg"].startswith("not attempted: the rollout halted after batch 2 (1 of 3 failed")


def test_a_failure_within_the_budget_lets_the_rollout_go_on():
    items = [{"name": f"c{i}"} for i in range(7)]
    calls, upgrade_batch = _upgraded({"c0", "c4"})
    results = upgrade_in_batches(items, 3, 34, upgrade_batch)
    assert calls == [["c0", "c1", "c2"], ["c3", "c4", "c5"], ["c6"]]
    assert not any(r.get("halted") for r in results)
    calls, upgrade_batch = _upgraded({"c0"})
    assert len(calls) == 0 and upgrade_in_batches(items, None, 0, upgrade_batch)[1:] == [
        {"name": f"c{i}", "changed": True, "failed": False} for i in range(1, 7)]
    assert calls == [[f"c{i}" for i in range(7)]], "no batch_size: one batch"
    calls, upgrade_batch = _upgraded(set())
    upgrade_in_batches(items, 0, 0, upgrade_batch)
    assert calls == [[f"c{i}" for i in range(7)]], "batch_size 0 (serial 0): one batch"


@pytest.mark.parametrize("serial", [1, 3, "3", "20%", "25%", "1%", "100%", "0%", [1, "50%"], [2, 3], ["10%", 4]])
@pytest.mark.parametrize("total", [1, 7, 50])
def test_batches_are_cut_as_a_play_s_serial_cuts_its_hosts(serial, total):
    # ansible.executor.playbook_executor._get_serialized_batches, with Ansible's own pct_to_int.
    hosts, expected, step = list(range(total)), [], 0
    steps = serial if isinstance(serial, list) else [serial]
    rest = list(hosts)
    while rest:
        length = pct_to_int(steps[step], total)
        expected.append(rest[:length])
        rest = rest[length:]
        step = min(step + 1, len(steps) - 1)
    assert serial_batches(hosts, serial) == expected


def test_no_batch_size_or_zero_is_one_batch_and_a_bad_one_is_named():
    assert serial_batches([1, 2, 3], None) == serial_batches([1, 2, 3], 0) == serial_batches([1, 2, 3], "") == [[1, 2, 3]]
    for bad, field in (("ten", "batch_size"), ("x%", "batch_size"), ([1, "many"], "batch_size[1]"), (True, "batch_size"),
                       (-1, "batch_size"), ("5%%", "batch_size")):
        with pytest.raises(InputError) as raised:
            serial_batches([1, 2], bad)
        assert raised.value.field == field and "percentage such as 20%" in raised.value.message


def test_a_percentage_batch_goes_through_the_rollout():
    items = [{"name": f"c{i}"} for i in range(10)]
    calls, upgrade_batch = _upgraded({"c4"})
    results = upgrade_in_batches(items, "20%", 0, upgrade_batch)
    assert calls == [["c0", "c1"], ["c2", "c3"], ["c4", "c5"]]
    assert [r["name"] for r in results if r.get("halted")] == [f"c{i}" for i in range(6, 10)]


OWNER = "2vxsx-fae"
HOSTS = {
    "u1": {"template": "user", "owner": OWNER, "module_hash": SHA},
    "factory": {"template": "factory", "owner": OWNER, "init_arg": "(record { admins = vec {} })"},
    "child": {"template": "user", "owner": OWNER, "canister_id": "aaaaa-aa", "factory_id": "bkyz2-fmaaa-aaaaa-qaaaq-cai"},
    "own": {"template": "user", "owner": OWNER, "fleet_upgrade_arg": "(record {})", "fleet_upgrade_name": "renamed"},
}


def test_items_take_each_host_s_own_module_argument_and_id_with_the_role_s_defaults():
    items = upgrade_items(list(HOSTS), HOSTS, {"wasm_dir": "/w", "version": "", "verify_method": "version"})
    assert items[0] == {"name": "u1", "wasm": "/w/user.wasm.gz", "arg": f'(record {{ owner = principal "{OWNER}" }})',
                        "verify_method": "version", "module_hash": SHA}
    assert items[1]["arg"] == "(record { admins = vec {} })" and items[1]["wasm"] == "/w/factory.wasm.gz"
    assert (items[2]["canister_id"], items[2]["notify_factory"]) == ("aaaaa-aa", "bkyz2-fmaaa-aaaaa-qaaaq-cai")
    assert "canister_id" not in items[0] and "notify_factory" not in items[0]
    assert (items[3]["name"], items[3]["arg"]) == ("renamed", "(record {})"), "a host's own option wins"
    given = upgrade_items(["u1"], HOSTS, {"wasm_dir": "/w", "wasm": "/x/new.wasm.gz", "version": "0.3.0"})[0]
    assert (given["wasm"], given["version"]) == ("/x/new.wasm.gz", "0.3.0")
    by_id_off = dict(HOSTS["child"], icp_canister_by_id="false")
    assert "canister_id" not in upgrade_items(["c"], {"c": by_id_off}, {"wasm_dir": "/w"})[0]


def test_failures_name_the_failed_hosts_every_failed_canister_and_the_halt():
    hosts = ["h0", "h1", "h2", "h3"]
    run = {"msg": "2 of 4 canisters failed", "canisters": [
        {"name": "h0", "failed": True, "msg": "upgrade: trap"}, {"name": "h1", "failed": False},
        {"name": "h2", "failed": True, "msg": "upgrade: bad version"},
        {"name": "h3", "failed": False, "halted": True, "msg": "not attempted: the rollout halted after batch 1"}]}
    assert failures(run, hosts) == [
        {"host": "h0", "msg": "upgrade: trap (2 of 4 canisters failed: h0, h2; 1 not attempted: the rollout halted after batch 1)"},
        {"host": "h2", "msg": "upgrade: bad version (2 of 4 canisters failed: h0, h2; 1 not attempted: the rollout halted after batch 1)"}]
    assert failures({"changed": True, "canisters": [{"name": h, "failed": False} for h in hosts]}, hosts) == []
    assert failures({"skipped": True, "changed": False}, hosts) == []
    whole = failures({"msg": "identity: no file /x.pem"}, hosts[:2])
    assert whole == [{"host": h, "msg": "the fleet upgrade failed: identity: no file /x.pem"} for h in hosts[:2]]
