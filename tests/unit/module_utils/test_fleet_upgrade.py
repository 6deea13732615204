"""The fleet upgrade's rules shared by the role (ic_code, the module_on_target filter) and the
batch path (ic_fleet action=upgrade): the fast path, the module's version, ic_code's options."""
import json
import os

import yaml

from ansible_collections.icp.canister_factory.plugins.filter.module_on_target import module_on_target
from ansible_collections.icp.canister_factory.plugins.module_utils._code_install import CodeInstall, manifest_version
from ansible_collections.icp.canister_factory.plugins.module_utils._fleet_upgrade import (
    batch_halts, upgrade_argument_spec, upgrade_code_params, upgrade_in_batches)

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
