"""migrate.yml across subnets of a two-subnet localnet: the canister moves to a new canister on
the chosen subnet (created through the cycles ledger's subnet_selection), even when the first
run is killed (kill -9) in the middle; certified state shows the new canister on that subnet,
the data came along, the old canister is reclaimed and deleted, the registry keeps its id."""
import glob
import os
import time

import pytest

from factory.canister_client import TemplateClient
from factory.harness import Factory
from _ic.agent import Agent
from _ic.principal import Principal
from localnet.testing import LocalnetProcess
from test_ops_migrate import active_entries, check_migrated


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    with LocalnetProcess(subnets=2) as net:
        factory = Factory(net, tmp_path_factory.mktemp("migrate-subnets"))
        inventory = factory.inventory("fleet.yml", {"ms_a": ("user", {"owner": factory.principal})})
        run = factory.play("provision.yml", inventory)
        assert run.rc == 0, run.explain()
        yield factory, inventory, TemplateClient(net, factory.identity)


def test_killed_cross_subnet_migration_finishes_on_the_chosen_subnet(fleet, tmp_path):
    factory, inventory, client = fleet
    root, second = (Principal.from_text(s["id"]) for s in factory.net.subnet_list())
    agent = Agent(factory.net.url, root_key_der=factory.net.root_key_der)
    entry = factory.entries()["ms_a"]
    old_id = entry["canister_id"]
    assert entry["subnet"] == root.to_text()
    assert agent.read_state(old_id, [[b"subnet"]]).subnet_id is None   # root-signed
    assert "ok" in client.update(old_id, "set_preference", '("moon", "full")')
    factory.net.mint(factory.principal, 10 ** 14)
    migrate_dir = str(tmp_path / "migrations")
    extra = {"target": "ms_a", "migrate_dir": migrate_dir, "subnet": second.to_text()}
    factory.net.faults({"match": {"method": "upload_canister_snapshot_data"}, "action": "delay_ms",
                        "ms": 400, "count": None})
    proc = factory.start("migrate.yml", inventory, extra_vars=extra)
    deadline = time.monotonic() + 300
    while not glob.glob(os.path.join(migrate_dir, "ms_a", "*", ".upload-*.json")):
        assert proc.poll() is None and time.monotonic() < deadline, "ended before it could be killed"
        time.sleep(0.05)
    time.sleep(0.5)
    Factory.kill(proc)
    factory.net.faults(clear=True)
    assert active_entries(factory, "ms_a") == ["ms_a"]
    assert factory.entries()["ms_a"]["canister_id"] == old_id

    rerun = factory.play("migrate.yml", inventory, extra_vars=extra)
    assert rerun.rc == 0, rerun.explain()
    check_migrated(factory, client, "ms_a", old_id, "moon", "full", migrate_dir)
    entry = factory.entries()["ms_a"]
    new_id = entry["canister_id"]
    # Certified state: the new canister's state is signed by the second subnet through the
    # root subnet's delegation, whose ranges hold it.
    cert = agent.read_state(new_id, [[b"canister", Principal.from_text(new_id).raw, b"module_hash"]])
    assert cert.subnet_id == second
    assert agent.subnet_for(new_id).subnet_id == second
    assert entry["subnet"] == second.to_text() and entry["last_migration"]["subnet"] == second.to_text()
    assert entry["replaced_canister_ids"] == [old_id]
    assert len(factory.canisters()) == 1, "a canister was left behind"
    assert "ok" in client.update(new_id, "set_preference", '("moon", "new")')
    agent.close()


def test_ic_canister_subnet_option_with_provisional_funding(fleet):
    factory, _inventory, _client = fleet
    second = factory.net.subnet_list()[1]
    # A canister on the chosen subnet: provisional creation at a free id of its range.
    args = {"registry": factory.registry, "name": "on_second", "subnet": second["id"], "cycles": 10 ** 12}
    first, made = factory.task("ic_canister", args)
    assert not made.get("failed") and made["changed"] and first.total("changed") == 1, made
    assert made["subnet"] == second["id"], "the facts say where it is"
    entry = factory.entries()["on_second"]
    assert entry["subnet"] == second["id"] and entry["funding"] == "provisional"
    index = Principal.from_text(entry["canister_id"]).canister_index()
    lo, hi = (Principal.from_text(x).canister_index() for x in second["ranges"][0])
    assert lo <= index <= hi
    assert {c["id"]: c["subnet"] for c in factory.net.canisters()}[entry["canister_id"]] == second["id"]
    calls = factory.update_calls()
    again, same = factory.task("ic_canister", args)
    assert not same.get("failed") and not same["changed"] and again.total("changed") == 0, same
    assert factory.update_calls() == calls
