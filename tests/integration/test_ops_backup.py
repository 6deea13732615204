"""Backups on disk: backup.yml -e dest writes one folder per canister with a manifest, skips an
unchanged canister, prunes by keep; restore.yml -e src brings each template's data back, into
the same canister or into a new one when the old one is gone, refuses damaged folders and
foreign modules, and finishes when rerun after being killed in the middle."""
import glob
import json
import os
import shutil
import time

import pytest

from factory.canister_client import TemplateClient
from factory.harness import Factory, principal_for
from localnet.testing import LocalnetProcess

TEMPLATES = ("user", "ai_assistant", "gallery", "memory")
HOSTS = {f"bk_{t}": t for t in TEMPLATES}


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    with LocalnetProcess() as net:
        factory = Factory(net, tmp_path_factory.mktemp("backup"))
        inventory = factory.inventory("fleet.yml", {h: (t, {"owner": factory.principal}) for h, t in HOSTS.items()})
        run = factory.play("provision.yml", inventory, forks=2)
        assert run.rc == 0, run.explain()
        clients = {t: TemplateClient(net, factory.identity, template=t) for t in TEMPLATES}
        yield factory, inventory, clients


# Each template's own data: an update that writes ``label`` and a query whose reply shows it.
PROBES = {
    "user": (lambda label: ("set_preference", f'("probe", "{label}")'), ("get_preference", '("probe")')),
    "ai_assistant": (lambda label: ("add_note", f'("{label}", vec {{}})'), ("list_notes", "(0 : nat, 100 : nat)")),
    "gallery": (lambda label: ("grant", f'(principal "{principal_for(label)}")'), ("list_readers", "()")),
    "memory": (lambda label: ("add_memory", f'(record {{ content = "{label}"; date = "2026-12-04"; photo = null }})'),
               ("list_memories", "(0 : nat, 100 : nat)")),
}


def write(clients, factory, host, label):
    """Write ``label`` into the canister of ``host`` through its template's interface."""
    method, arg = PROBES[HOSTS[host]][0](label)
    reply = clients[HOSTS[host]].update(factory.entries()[host]["canister_id"], method, arg)
    assert "err" not in reply, reply


def read(clients, factory, host):
    """What the template's read method answers now."""
    method, arg = PROBES[HOSTS[host]][1]
    return clients[HOSTS[host]].query(factory.entries()[host]["canister_id"], method, arg)


def shows(clients, factory, host, label):
    text = read(clients, factory, host)
    return (principal_for(label) if HOSTS[host] == "gallery" else label) in text


def folders(dest, host):
    return sorted(os.path.basename(os.path.dirname(p))
                  for p in glob.glob(os.path.join(dest, host, "*", "manifest.json")))


def test_backup_and_restore_each_template_in_place(fleet, tmp_path):
    factory, inventory, clients = fleet
    dest = str(tmp_path / "backups")
    for host in HOSTS:
        write(clients, factory, host, "before-backup")

    run = factory.play("backup.yml", inventory, extra_vars={"dest": dest})
    assert run.rc == 0 and run.total("changed") == len(HOSTS), run.explain()
    for host in HOSTS:
        (name,) = folders(dest, host)
        manifest = json.load(open(os.path.join(dest, host, name, "manifest.json"), encoding="utf-8"))
        assert manifest["canister_id"] == factory.entries()[host]["canister_id"]
        assert {"wasm_module.bin", "wasm_memory.bin", "stable_memory.bin", "metadata.json"} <= set(manifest["files"])
        assert manifest["template"] == HOSTS[host]
    assert {c["status"] for c in factory.canisters()} == {"running"}

    calls = factory.update_calls()
    again = factory.play("backup.yml", inventory, extra_vars={"dest": dest})
    assert again.rc == 0 and again.total("changed") == 0, again.explain()
    assert all(len(folders(dest, h)) == 1 for h in HOSTS), "an unchanged canister got a second backup"
    # every template reports state_version: unchanged is known from queries alone
    assert factory.update_calls() == calls, "the backup of unchanged canisters made update calls"

    for host in HOSTS:
        write(clients, factory, host, "after-backup")
        assert shows(clients, factory, host, "after-backup")
    restore = factory.play("restore.yml", inventory, extra_vars={"target": ",".join(HOSTS), "src": dest})
    assert restore.rc == 0, restore.explain()
    for host in HOSTS:
        assert shows(clients, factory, host, "before-backup"), host
        assert not shows(clients, factory, host, "after-backup"), host
        entry = factory.entries()[host]
        assert entry["status"] == "active" and entry["events"][-1]["action"] == "restore"
    assert {c["status"] for c in factory.canisters()} == {"running"}
    # changed again, then keep=1 leaves only the newest backup
    write(clients, factory, "bk_user", "pruned")
    pruned = factory.play("backup.yml", inventory, extra_vars={"dest": dest, "target": "bk_user", "keep": 1})
    assert pruned.rc == 0 and pruned.total("changed") == 1, pruned.explain()
    assert len(folders(dest, "bk_user")) == 1


def test_restore_refuses_damaged_backup_and_foreign_module_unless_forced(fleet, tmp_path):
    factory, inventory, clients = fleet
    dest = str(tmp_path / "backups")
    run = factory.play("backup.yml", inventory, extra_vars={"dest": dest, "target": "bk_user:bk_gallery"})
    assert run.rc == 0, run.explain()
    damaged = str(tmp_path / "damaged")
    shutil.copytree(os.path.join(dest, "bk_user"), os.path.join(damaged, "bk_user"))
    (memory,) = glob.glob(os.path.join(damaged, "bk_user", "*", "wasm_memory.bin"))
    with open(memory, "r+b") as handle:
        handle.seek(100)
        byte = handle.read(1)
        handle.seek(100)
        handle.write(bytes([byte[0] ^ 1]))
    calls = factory.update_calls()
    bad = factory.play("restore.yml", inventory, extra_vars={"target": "bk_user", "src": damaged})
    assert bad.rc != 0 and any("wasm_memory.bin does not match its SHA-256" in m for m in bad.messages()), \
        bad.explain()
    assert factory.update_calls() == calls, ("a damaged backup was sent", factory.net.metrics()["by_method"])

    foreign = str(tmp_path / "foreign")
    shutil.copytree(os.path.join(dest, "bk_gallery"), os.path.join(foreign, "bk_user"))
    refused = factory.play("restore.yml", inventory, extra_vars={"target": "bk_user", "src": foreign})
    assert refused.rc != 0 and any("allowed_module_hashes: the backup holds module" in m and "force=true" in m
                                   for m in refused.messages()), refused.explain()
    assert factory.update_calls() == calls

    # forced, the user canister's backup goes into the gallery canister, which then runs the user module
    shutil.copytree(os.path.join(dest, "bk_user"), os.path.join(foreign, "bk_gallery"))
    forced = factory.play("restore.yml", inventory, extra_vars={"target": "bk_gallery", "src": foreign, "force": True})
    assert forced.rc == 0, forced.explain()
    gallery_id = factory.entries()["bk_gallery"]["canister_id"]
    assert 'template = "user"' in clients["user"].query(gallery_id, "get_info")


def test_restore_into_a_new_canister_when_the_old_one_is_gone(fleet, tmp_path):
    factory, inventory, clients = fleet
    dest = str(tmp_path / "backups")
    old_id = factory.entries()["bk_memory"]["canister_id"]
    write(clients, factory, "bk_memory", "lost-and-found")
    run = factory.play("backup.yml", inventory, extra_vars={"dest": dest, "target": "bk_memory"})
    assert run.rc == 0, run.explain()
    delete_directly(factory, old_id)

    restore = factory.play("restore.yml", inventory, extra_vars={"target": "bk_memory", "src": dest})
    assert restore.rc == 0, restore.explain()
    entry = factory.entries()["bk_memory"]
    assert entry["canister_id"] != old_id and entry["status"] == "active"
    assert old_id in entry["replaced_canister_ids"]
    assert shows(clients, factory, "bk_memory", "lost-and-found")
    ids = {c["id"] for c in factory.canisters()}
    assert entry["canister_id"] in ids and old_id not in ids


def test_killed_restore_finishes_when_rerun(fleet, tmp_path):
    factory, inventory, clients = fleet
    dest = str(tmp_path / "backups")
    user_id = factory.entries()["bk_user"]["canister_id"]
    assert "ok" in clients["user"].update(user_id, "set_preference", '("size", "large")')
    run = factory.play("backup.yml", inventory, extra_vars={"dest": dest, "target": "bk_user"})
    assert run.rc == 0, run.explain()
    assert "ok" in clients["user"].update(user_id, "set_preference", '("size", "small")')

    factory.net.faults({"match": {"method": "upload_canister_snapshot_data"}, "action": "delay_ms",
                        "ms": 400, "count": None})
    proc = factory.start("restore.yml", inventory, extra_vars={"target": "bk_user", "src": dest})
    deadline = time.monotonic() + 300
    while not glob.glob(os.path.join(dest, "bk_user", "*", ".upload-*.json")) and time.monotonic() < deadline:
        assert proc.poll() is None, "the restore ended before it could be killed"
        time.sleep(0.1)
    time.sleep(0.5)
    Factory.kill(proc)
    factory.net.faults(clear=True)
    assert glob.glob(os.path.join(dest, "bk_user", "*", ".upload-*.json")), "killed after the upload finished"

    rerun = factory.play("restore.yml", inventory, extra_vars={"target": "bk_user", "src": dest})
    assert rerun.rc == 0, rerun.explain()
    assert clients["user"].query(user_id, "get_preference", '("size")') == '(opt "large")'
    assert not glob.glob(os.path.join(dest, "bk_user", "*", ".upload-*.json"))
    assert factory.entries()["bk_user"]["canister_id"] == user_id
    from _ic.management import Management
    assert Management(clients["user"].agent).list_canister_snapshots(user_id) == [], "an uploaded snapshot was left"


def delete_directly(factory, canister_id):
    """Stop and delete a canister behind the registry's back (as if its subnet were lost)."""
    from _ic.agent import Agent
    from _ic.identity import load_identity_file
    from _ic.management import Management

    mgmt = Management(Agent(factory.net.url, load_identity_file(factory.identity),
                            root_key_der=factory.net.root_key_der))
    mgmt.stop_canister(canister_id)
    mgmt.delete_canister(canister_id)


def test_unchanged_canister_is_skipped_by_query_and_a_write_makes_a_new_backup(fleet, tmp_path):
    factory, inventory, clients = fleet
    dest = str(tmp_path / "backups")
    only = {"dest": dest, "target": "bk_memory"}
    first = factory.play("backup.yml", inventory, extra_vars=only)
    assert first.rc == 0 and first.total("changed") == 1, first.explain()
    (name,) = folders(dest, "bk_memory")
    manifest = json.load(open(os.path.join(dest, "bk_memory", name, "manifest.json"), encoding="utf-8"))
    key = manifest["unchanged_while"]
    assert key["module_hash"] == manifest["module_hash"] and key["state_version"] > 0, manifest

    calls = factory.update_calls()
    for _ in range(2):
        again = factory.play("backup.yml", inventory, extra_vars=only)
        assert again.rc == 0 and again.total("changed") == 0, again.explain()
    assert factory.update_calls() == calls and folders(dest, "bk_memory") == [name]

    write(clients, factory, "bk_memory", "one-more")
    written = factory.play("backup.yml", inventory, extra_vars=only)
    assert written.rc == 0 and written.total("changed") == 1, written.explain()
    assert len(folders(dest, "bk_memory")) == 2
    newest = json.load(open(os.path.join(dest, "bk_memory", folders(dest, "bk_memory")[-1], "manifest.json"),
                            encoding="utf-8"))
    assert newest["unchanged_while"]["state_version"] > key["state_version"]

    # stopped and started by an operator: the canister version moved, the state did not; the
    # snapshot shows it unchanged (no new folder) and records the new key, so the next run is free
    from _ic.management import Management
    mgmt = Management(clients["memory"].agent)
    canister = factory.entries()["bk_memory"]["canister_id"]
    mgmt.stop_canister(canister)
    mgmt.start_canister(canister)
    moved = factory.play("backup.yml", inventory, extra_vars=only)
    assert moved.rc == 0 and moved.total("changed") == 0 and len(folders(dest, "bk_memory")) == 2, moved.explain()
    calls = factory.update_calls()
    quiet = factory.play("backup.yml", inventory, extra_vars=only)
    assert quiet.rc == 0 and quiet.total("changed") == 0, quiet.explain()
    assert factory.update_calls() == calls
