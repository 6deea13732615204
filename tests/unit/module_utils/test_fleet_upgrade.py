"""The fleet upgrade's rules shared by the role (ic_code, the module_on_target filter) and the
batch path (ic_fleet action=upgrade): the fast path, the module's version, ic_code's options."""
import json
import os

import yaml

from ansible_collections.icp.canister_factory.plugins.filter.module_on_target import module_on_target
from ansible_collections.icp.canister_factory.plugins.module_utils._code_install import CodeInstall, manifest_version
from ansible_collections.icp.canister_factory.plugins.module_utils._fleet_upgrade import (
    upgrade_argument_spec, upgrade_code_params)

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
