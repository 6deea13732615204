"""ic_fleet's own result against a localnet, in the order of the module targets: check mode
(changed predicted, nothing created), create N canisters (its counts and --diff), the same again
with no update call, then a fleet where one item's init argument is bad: that canister is rolled
back (deleted, entry failed) while the others converge.

Bad parameters are cases of bad_input_cases (FLEET_CASES); what both paths share (check, create,
rerun, rollback through provision.yml) is tested once for both in test_both_paths."""
import os

import pytest

from factory.harness import ROOT, Factory, principal_for
from localnet.testing import LocalnetProcess

WASM = os.path.join(ROOT, "wasm", "user.wasm.gz")


@pytest.fixture(scope="module")
def net():
    with LocalnetProcess() as process:
        yield process


def spec(name, owner, **extra):
    item = {"name": name, "template": "user", "owner": owner, "wasm": WASM,
            "arg": f'(record {{ owner = principal "{owner}" }})', "cycles": 10**12,
            "cycles_min": 3 * 10**11, "cycles_target": 10**12,
            "settings": {"freezing_threshold": 2592000, "log_visibility": "controllers"}}
    item.update(extra)
    return item


def run_fleet(factory, specs, check=False, diff=False):
    """Run ic_fleet through ansible-playbook; return (PlaybookRun, module result)."""
    return factory.task("ic_fleet", {"registry": factory.registry, "workers": 4, "canisters": specs},
                        label="fleet", check=check, diff=diff)


def test_check_create_rerun_then_a_failed_install_rolls_back(net, tmp_path):
    factory = Factory(net, tmp_path)
    specs = [spec(f"f{i}", principal_for(f"f{i}")) for i in range(5)]

    calls = factory.update_calls()
    _, predicted = run_fleet(factory, specs, check=True)
    assert not predicted.get("failed"), predicted
    assert predicted["changed"] and predicted["counts"]["created"] == 5, predicted["counts"]
    assert factory.update_calls() == calls and factory.canisters() == []
    assert factory.entries() == {}

    _, created = run_fleet(factory, specs, diff=True)
    assert not created.get("failed"), created
    assert created["counts"] == {"total": 5, "ok": 5, "failed": 0, "changed": 5, "created": 5,
                                 "installed": 5, "upgraded": 0, "topped_up": 0, "rolled_back": 0,
                                 "halted": 0}
    assert set(created["diff"]["after"]) == {s["name"] for s in specs}
    entries = factory.entries()
    live = {c["id"]: c for c in factory.canisters()}
    assert len(live) == 5
    for item in created["canisters"]:
        entry = entries[item["name"]]
        assert entry["status"] == "active" and entry["canister_id"] == item["canister_id"]
        assert entry["module_hash"] == item["module_hash"] == live[item["canister_id"]]["module_hash"]
        assert entry["template"] == "user"

    calls = factory.update_calls()
    with open(factory.registry, encoding="utf-8") as handle:
        registry_before = handle.read()
    _, again = run_fleet(factory, specs)
    assert not again["changed"] and again["counts"]["ok"] == 5, again["counts"]
    assert factory.update_calls() == calls, "a converged fleet must make no update call"
    with open(factory.registry, encoding="utf-8") as handle:
        assert handle.read() == registry_before

    more = specs + [spec("g0", principal_for("g0")),
                    # Well typed, so it passes the checks before any call; the template's init
                    # traps on it, so only the install fails and is rolled back.
                    spec("g1", principal_for("g1"), arg='(record { owner = principal "2vxsx-fae" })'),
                    spec("g2", principal_for("g2"))]
    _, mixed = run_fleet(factory, more)
    assert mixed["failed"] and mixed["failed_names"] == ["g1"], mixed.get("msg")
    by_name = {r["name"]: r for r in mixed["canisters"]}
    assert by_name["g1"]["rolled_back"] and by_name["g1"]["canister_id"] is None
    assert by_name["g1"]["msg"].startswith("install: ")
    assert mixed["counts"]["created"] == 3 and mixed["counts"]["ok"] == 7, mixed["counts"]
    entries = factory.entries()
    assert entries["g1"]["status"] == "failed" and entries["g1"]["canister_id"] is None
    assert entries["g1"]["last_error"].startswith("install: ")
    assert entries["g0"]["status"] == entries["g2"]["status"] == "active"
    live = {c["id"] for c in factory.canisters()}
    assert live == {e["canister_id"] for e in entries.values() if e.get("canister_id")}
    assert len(live) == 7, "the canister of the failed install must be deleted"
