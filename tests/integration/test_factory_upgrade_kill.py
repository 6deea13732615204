"""upgrade.yml's batch path killed mid-rollout (kill -9 of the playbook's process group and its
workers), then run again: every canister ends on the new module with its data, each registry
entry records it (module hash, version, status, snapshot), each canister keeps one upgrade
snapshot (the one its entry names, plus at most the one a killed batch took before its registry
write), and a third run changes nothing and makes no update call. And, on both paths, the
window such a kill can leave, made on purpose: an entry that still records the old module of a
canister already upgraded is completed on the rerun without a new upgrade.
"""
import time

import pytest

from _ic.management import Management
from _ic.principal import Principal
from _registry import Registry

from factory.harness import Factory
from localnet.testing import LocalnetProcess
from test_factory_upgrade import REGISTRY_INVENTORY, manifest, old_fleet, preferences, upgrade

NAMES = [f"k{i:02d}" for i in range(12)]
BATCH = 4


def snapshots(client, canister_id):
    return Management(client.agent).list_canister_snapshots(Principal.from_text(canister_id))


def test_a_batch_rollout_killed_mid_way_converges_on_the_rerun(tmp_path):
    shipped = manifest("user")
    with LocalnetProcess() as net:
        factory, client = old_fleet(net, tmp_path, NAMES)
        before = preferences(factory, client)
        ids = {name: entry["canister_id"] for name, entry in factory.entries().items()}
        proc = factory.start("upgrade.yml", REGISTRY_INVENTORY, {"target": "user_canisters", "batch": BATCH})
        deadline = time.monotonic() + 300
        upgraded = []
        while not upgraded and proc.poll() is None and time.monotonic() < deadline:
            upgraded = [n for n, cid in ids.items() if client.module_hash(cid) == shipped["module_hash"]]
            time.sleep(0.02)
        assert proc.poll() is None, "the rollout ended before the kill: nothing was tested"
        Factory.kill(proc)
        assert upgraded and len(upgraded) < len(NAMES), upgraded

        run = upgrade(factory, True, target="user_canisters", batch=BATCH)
        assert run.rc == 0, run.explain()
        entries = factory.entries()
        leftover = 0
        for name, entry in entries.items():
            assert client.module_hash(entry["canister_id"]) == shipped["module_hash"], name
            assert (entry["status"], entry["module_hash"], entry["wasm_version"]) == (
                "active", shipped["module_hash"], shipped["version"]), (name, entry)
            assert any(e["action"] in ("upgrade", "update") for e in entry["events"]), entry["events"]
            held = [s["id"].hex() for s in snapshots(client, entry["canister_id"])]
            assert entry["upgrade_snapshot"] in held, (name, entry, held)
            leftover += len(held) - 1
        assert leftover <= BATCH, "only a killed batch's snapshots taken before its registry write stay behind"
        assert preferences(factory, client) == before

        calls = factory.update_calls()
        again = upgrade(factory, True, target="user_canisters", batch=BATCH)
        assert again.rc == 0 and again.total("changed") == 0, again.explain()
        assert factory.update_calls() == calls
        assert set(ids) == set(NAMES) and {n: e["canister_id"] for n, e in factory.entries().items()} == ids


@pytest.mark.parametrize("icp_batch", [True, False], ids=["batch", "per_host"])
def test_an_entry_left_behind_by_a_killed_run_is_completed_without_a_new_upgrade(tmp_path, icp_batch):
    shipped, old = manifest("user"), manifest("user-0.1.0")
    with LocalnetProcess() as net:
        factory, client = old_fleet(net, tmp_path, ["lag0", "lag1"])
        assert upgrade(factory, icp_batch, target="user_canisters").rc == 0
        upgraded = factory.entries()["lag0"]
        # What a run killed between lag0's install and its registry write leaves.
        with Registry(factory.registry).transaction() as data:
            entry = data.get("lag0")
            entry.update(status="upgrading", module_hash=old["module_hash"], wasm_version=old["version"])
            entry.pop("upgrade_snapshot")
            data.put("lag0", entry)
        before = net.metrics()["by_method"]
        run = upgrade(factory, icp_batch, target="user_canisters")
        assert run.rc == 0, run.explain()
        assert run.total("changed") == 1, run.stats
        after = net.metrics()["by_method"]
        new_calls = {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}
        assert set(new_calls) <= {"aaaaa-aa.canister_status", "aaaaa-aa.list_canister_snapshots"}, new_calls
        entry = factory.entries()["lag0"]
        assert (entry["status"], entry["module_hash"], entry["wasm_version"]) == (
            "active", shipped["module_hash"], shipped["version"])
        assert entry["upgrade_snapshot"] == upgraded["upgrade_snapshot"]
        assert [s["id"].hex() for s in snapshots(client, entry["canister_id"])] == [entry["upgrade_snapshot"]]
        calls = factory.update_calls()
        again = upgrade(factory, icp_batch, target="user_canisters")
        assert again.rc == 0 and again.total("changed") == 0 and factory.update_calls() == calls, again.explain()
