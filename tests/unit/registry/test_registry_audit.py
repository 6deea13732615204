"""The registry's full audit log (``<registry>.audit``): every event a transaction adds is appended
once, under the lock and before the registry records the change, though entries keep only their
last MAX_EVENTS; check mode writes nothing; a torn line is skipped and cut; the lookup reads it."""
import importlib
import json
import os
import subprocess
import sys

import pytest

import _registry_audit as audit_log
from _registry import MAX_EVENTS, Registry, add_event

CANISTER = "rrkah-fqaaa-aaaaa-aaaaq-cai"


def _collection_tree(tmp_path):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                    "integration"))
    from module_runner import collection_tree
    return collection_tree(str(tmp_path / "collections"))


def _collection(tmp_path, module):
    """``module`` of the collection, imported as Ansible imports it."""
    sys.path.insert(0, _collection_tree(tmp_path))
    return importlib.import_module(f"ansible_collections.icp.canister_factory.{module}")


def _event(path, name, action="update", write=True, **details):
    registry = Registry(path)
    with registry.transaction(write=write) as data:
        entry = data.get(name) or {"canister_id": CANISTER, "template": "user"}
        add_event(entry, action, "ok", identity="me", **details)
        data.put(name, entry)
    return registry


def test_every_event_is_in_the_audit_log_though_the_entry_keeps_the_last_ones(tmp_path):
    path = str(tmp_path / "registry.yml")
    for step in range(MAX_EVENTS + 5):
        registry = _event(path, "alice", step=step)
        if step % 7 == 0:
            registry.compact()  # compaction neither loses nor repeats audit lines
    _event(path, "bob", action="install", module_hash="ab" * 32)
    assert len(Registry(path).read().entries["alice"]["events"]) == MAX_EVENTS
    alice = audit_log.read(path, name="alice")
    assert [r["details"]["step"] for r in alice] == list(range(MAX_EVENTS + 5))
    assert alice[0] == {"time": alice[0]["time"], "name": "alice", "canister_id": CANISTER, "event": "update",
                        "result": "ok", "identity": "me", "details": {"step": 0}}
    assert [r["name"] for r in audit_log.read(path)] == ["alice"] * (MAX_EVENTS + 5) + ["bob"]
    assert audit_log.read(path, canister_id=CANISTER)[-1]["details"] == {"module_hash": "ab" * 32}


def test_a_change_without_an_event_and_check_mode_write_no_audit_line(tmp_path):
    path = str(tmp_path / "registry.yml")
    _event(path, "alice")
    with Registry(path).transaction() as data:
        entry = data.get("alice")
        entry["status"] = "stopped"
        data.put("alice", entry)
    _event(path, "alice", write=False)
    assert len(audit_log.read(path)) == 1


def test_several_events_of_one_entry_in_one_transaction_and_a_full_window(tmp_path):
    """The fleet's group commit writes an entry with several new events at once; at the window's
    edge the oldest ones fall out of the entry but not out of the log."""
    path = str(tmp_path / "registry.yml")
    for step in range(MAX_EVENTS):
        _event(path, "alice", step=step)
    with Registry(path).transaction() as data:
        entry = data.get("alice")
        for step in range(MAX_EVENTS, MAX_EVENTS + 3):
            add_event(entry, "update", "ok", identity="me", step=step)
        data.put("alice", entry)
    assert [r["details"]["step"] for r in audit_log.read(path)] == list(range(MAX_EVENTS + 3))


def test_the_fleet_group_commit_audits_each_event_once(tmp_path):
    """FleetRegistry flushes entries changed in memory; two flushes of one entry audit only what
    each added."""
    FleetRegistry = _collection(tmp_path, "plugins.module_utils._fleet").FleetRegistry
    path = str(tmp_path / "registry.yml")
    for step in range(MAX_EVENTS):
        _event(path, "alice", step=step)
    fleet = FleetRegistry(Registry(path))
    for step in (100, 101):
        with fleet.transaction(write=False) as view:
            entry = view.get("alice")
            add_event(entry, "update", "ok", identity="me", step=step)
            view.put("alice", entry)
        fleet.flush()
    assert [r["details"]["step"] for r in audit_log.read(path)][-3:] == [MAX_EVENTS - 1, 100, 101]
    assert len(audit_log.read(path)) == MAX_EVENTS + 2


def test_the_audit_line_is_on_disk_before_the_registry_records_the_change(tmp_path, monkeypatch):
    """A crash between the two files leaves an audit line of a change the registry never
    recorded, never the reverse."""
    path = str(tmp_path / "registry.yml")
    registry = _event(path, "alice")

    def crash(lines):
        raise OSError("killed")
    monkeypatch.setattr(registry.journal, "append", crash)
    with pytest.raises(OSError):
        with registry.transaction() as data:
            entry = data.get("alice")
            add_event(entry, "top_up", "ok", identity="me", cycles=5)
            data.put("alice", entry)
    assert [r["event"] for r in audit_log.read(path)] == ["update", "top_up"]
    assert [e["action"] for e in Registry(path).read().entries["alice"]["events"]] == ["update"]


def test_a_torn_last_line_is_skipped_and_cut_and_a_damaged_line_is_named(tmp_path):
    path = str(tmp_path / "registry.yml")
    _event(path, "alice")
    os.chmod(audit_log.audit_path(path), 0o600)
    with open(audit_log.audit_path(path), "a", encoding="utf-8") as handle:
        handle.write('{"name": "alice", "event": "tor')
    assert len(audit_log.read(path)) == 1
    _event(path, "alice", action="install")
    assert [r["event"] for r in audit_log.read(path)] == ["update", "install"]
    with open(audit_log.audit_path(path), "a", encoding="utf-8") as handle:
        handle.write("not json\n")
    with pytest.raises(audit_log.AuditCorrupt, match=r"registry.yml.audit:3: not an audit record"):
        audit_log.read(path)


def test_the_log_has_the_registry_permissions(tmp_path):
    path = str(tmp_path / "registry.yml")
    _event(path, "alice")
    os.unlink(audit_log.audit_path(path))
    os.chmod(path, 0o640)
    _event(path, "alice")
    assert os.stat(audit_log.audit_path(path)).st_mode & 0o777 == 0o640


def test_the_registry_lookup_reads_the_audit_log(tmp_path):
    """query('icp.canister_factory.registry', path, audit=true[, name=...]) in a playbook."""
    path = str(tmp_path / "registry.yml")
    _event(path, "alice")
    _event(path, "bob", action="install")
    play = tmp_path / "audit.yml"
    play.write_text(f"""
- hosts: localhost
  gather_facts: false
  tasks:
    - ansible.builtin.debug:
        msg: "AUDIT={{{{ {{'all': query('icp.canister_factory.registry', '{path}', audit=true) | first,
                         'bob': query('icp.canister_factory.registry', '{path}', audit=true, name='bob') | first,
                         'none': query('icp.canister_factory.registry', '{tmp_path}/none.yml', audit=true) | first}}
                       | to_json }}}}"
""", encoding="utf-8")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=_collection_tree(tmp_path), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    run = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), str(play)], env=env,
                         capture_output=True, text=True, check=False, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    line = next(line for line in run.stdout.splitlines() if "AUDIT=" in line)
    found = json.loads(json.loads("{" + line.strip().rstrip(",") + "}")["msg"][len("AUDIT="):])
    assert [r["name"] for r in found["all"]] == ["alice", "bob"]
    assert [r["event"] for r in found["bob"]] == ["install"]
    assert found["none"] == []


def test_a_purged_entry_is_recorded_as_removed(tmp_path):
    path = str(tmp_path / "registry.yml")
    _event(path, "alice")
    with Registry(path).transaction() as data:
        assert data.remove("alice")
    with Registry(path).transaction() as data:
        assert not data.remove("ghost")  # nothing was there: nothing to record
    last = audit_log.read(path)[-1]
    assert (last["name"], last["canister_id"], last["event"], last["result"]) == ("alice", CANISTER, "remove", "purged")
    assert len(audit_log.read(path)) == 2
