"""migrate.yml moves a canister into a new one: the data and version come along, the registry
entry points at the new id and remembers the old one, the old canister is gone; killed in the
middle (kill -9), the next run finishes, and at no moment are there two active entries or none."""
import glob
import os
import time

import pytest

from factory.canister_client import TemplateClient
from factory.harness import Factory
from localnet.testing import LocalnetProcess


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    with LocalnetProcess() as net:
        factory = Factory(net, tmp_path_factory.mktemp("migrate"))
        inventory = factory.inventory("fleet.yml", {h: ("user", {"owner": factory.principal}) for h in ("mg_b", "mg_c", "mg_d")})
        run = factory.play("provision.yml", inventory, forks=3)
        assert run.rc == 0, run.explain()
        yield factory, inventory, TemplateClient(net, factory.identity)


def active_entries(factory, host):
    """Entries that hold the host's canister as active (the host itself or its temporary entry)."""
    return [n for n, e in factory.entries().items() if n.startswith(host) and e.get("status") == "active"]


def check_migrated(factory, client, host, old_id, key, value, migrate_dir):
    entries = factory.entries()
    entry = entries[host]
    assert entry["canister_id"] != old_id and entry["status"] == "active"
    assert old_id in entry["replaced_canister_ids"] and entry.get("migration") is None
    assert entry["last_migration"]["step"] == "done"
    assert f"{host}.migration" not in entries
    live = {c["id"]: c for c in factory.canisters()}
    assert old_id not in live and live[entry["canister_id"]]["status"] == "running"
    assert client.query(entry["canister_id"], "get_preference", f'("{key}")') == f'(opt "{value}")'
    assert client.query(entry["canister_id"], "version") == '("0.2.0")'
    assert glob.glob(os.path.join(migrate_dir, host, "*", "manifest.json"))


def test_killed_migration_finishes_when_rerun(fleet, tmp_path):
    factory, inventory, client = fleet
    old_id = factory.entries()["mg_b"]["canister_id"]
    assert "ok" in client.update(old_id, "set_preference", '("pet", "cat")')
    migrate_dir = str(tmp_path / "migrations")
    extra = {"target": "mg_b", "migrate_dir": migrate_dir}
    factory.net.faults({"match": {"method": "upload_canister_snapshot_data"}, "action": "delay_ms",
                        "ms": 400, "count": None})
    proc = factory.start("migrate.yml", inventory, extra_vars=extra)
    deadline = time.monotonic() + 300
    seen = set()
    while not glob.glob(os.path.join(migrate_dir, "mg_b", "*", ".upload-*.json")) and time.monotonic() < deadline:
        assert proc.poll() is None, "the migration ended before it could be killed"
        seen.add(len(active_entries(factory, "mg_b")))
        time.sleep(0.05)
    time.sleep(0.5)
    Factory.kill(proc)
    factory.net.faults(clear=True)
    assert active_entries(factory, "mg_b") == ["mg_b"] and seen == {1}
    entries = factory.entries()
    assert entries["mg_b"]["canister_id"] == old_id and entries["mg_b"]["migration"]["step"] == "copying"
    assert entries["mg_b.migration"]["status"] == "stopped"

    rerun = factory.play("migrate.yml", inventory, extra_vars=extra)
    assert rerun.rc == 0, rerun.explain()
    check_migrated(factory, client, "mg_b", old_id, "pet", "cat", migrate_dir)
    assert active_entries(factory, "mg_b") == ["mg_b"]
    assert len(factory.canisters()) == 3, "a canister was left behind"


def test_migrate_to_a_chosen_subnet_creates_through_the_cycles_ledger(fleet, tmp_path):
    """localnet serves one subnet: choosing it sends the creation through the cycles ledger's
    subnet_selection, paid from the operator's cycles-ledger balance. An unknown subnet is refused
    and the old canister runs again; the next run with -e subnet takes the new choice."""
    from _ic.principal import Principal

    factory, inventory, client = fleet
    old_id = factory.entries()["mg_c"]["canister_id"]
    assert "ok" in client.update(old_id, "set_preference", '("tree", "oak")')
    factory.net.mint(factory.principal, 10 ** 14)
    subnet = Principal.self_authenticating(factory.net.root_key_der).to_text()
    migrate_dir = str(tmp_path / "migrations")
    wrong = factory.play("migrate.yml", inventory, extra_vars={"target": "mg_c", "migrate_dir": migrate_dir,
                                                               "subnet": "aaaaa-aa"})
    assert wrong.rc != 0, wrong.explain()
    assert {c["id"]: c for c in factory.canisters()}[old_id]["status"] == "running"
    assert factory.entries()["mg_c"]["canister_id"] == old_id
    run = factory.play("migrate.yml", inventory, extra_vars={"target": "mg_c", "migrate_dir": migrate_dir,
                                                             "subnet": subnet})
    assert run.rc == 0, run.explain()
    check_migrated(factory, client, "mg_c", old_id, "tree", "oak", migrate_dir)
    assert factory.entries()["mg_c"]["last_migration"]["subnet"] == subnet
    new_id = factory.entries()["mg_c"]["canister_id"]
    assert "ok" in client.update(new_id, "set_preference", '("tree", "elm")'), "the new canister takes updates"



def test_migration_killed_after_the_switch_finishes_when_rerun(fleet, tmp_path):
    """Killed between the switch and the end: the entry already points at the new canister, the
    old one still exists; the rerun only drops the temporary entry and deletes the old canister."""
    factory, inventory, client = fleet
    old_id = factory.entries()["mg_d"]["canister_id"]
    assert "ok" in client.update(old_id, "set_preference", '("sea", "north")')
    migrate_dir = str(tmp_path / "migrations")
    extra = {"target": "mg_d", "migrate_dir": migrate_dir}
    proc = factory.start("migrate.yml", inventory, extra_vars=extra)
    deadline = time.monotonic() + 300
    while (factory.entries()["mg_d"].get("migration") or {}).get("step") != "switched":
        assert proc.poll() is None and time.monotonic() < deadline, "the migration ended before the switch was seen"
        assert len(active_entries(factory, "mg_d")) == 1
        time.sleep(0.05)
    Factory.kill(proc)
    assert active_entries(factory, "mg_d") == ["mg_d"]
    rerun = factory.play("migrate.yml", inventory, extra_vars=extra)
    assert rerun.rc == 0, rerun.explain()
    check_migrated(factory, client, "mg_d", old_id, "sea", "north", migrate_dir)
