"""The registry's journal: every change is appended (fsync'd, under the lock) and replayed by
readers; compaction folds it into the YAML file and may be interrupted or repeated; writers in
several processes lose nothing, even when one is killed with SIGKILL in the middle of a write."""
import datetime
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
import yaml

from _registry import Registry, RegistryError, add_event

CANISTER = "rrkah-fqaaa-aaaaa-aaaaq-cai"
UTILS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))),
                     "plugins", "module_utils")


def _yaml_hosts(path):
    """What a reader of the YAML file alone (no journal) sees."""
    with open(path, encoding="utf-8") as handle:
        doc = yaml.safe_load(handle)
    return doc["all"]["children"]["canisters"]["hosts"] or {}


def _put(registry, name, **fields):
    with registry.transaction() as data:
        entry = data.get(name) or {"canister_id": CANISTER, "template": "user"}
        entry.update(fields)
        data.put(name, entry)


def test_a_change_is_appended_and_every_reader_sees_it(tmp_path):
    """After the first write (which creates the YAML file), a change goes to the journal only; a
    new Registry, the same one, and the YAML file after compact() all see it."""
    path = str(tmp_path / "registry.yml")
    registry = Registry(path)
    _put(registry, "first")
    assert os.path.exists(path) and not os.path.exists(path + ".journal")
    size = os.path.getsize(path)
    _put(registry, "second", status="creating")
    _put(registry, "first", status="active")
    assert os.path.getsize(path) == size, "a small change rewrote the whole file"
    with open(path + ".journal", encoding="utf-8") as handle:
        assert len(handle.readlines()) == 2
    assert set(_yaml_hosts(path)) == {"first"}
    for reader in (Registry(path), registry):
        entries = reader.read().entries
        assert entries["second"]["status"] == "creating" and entries["first"]["status"] == "active"
    assert registry.compact() is True
    assert not os.path.exists(path + ".journal")
    assert _yaml_hosts(path)["second"]["status"] == "creating"
    assert _yaml_hosts(path)["first"]["status"] == "active"


def test_the_journal_has_the_registry_files_permissions(tmp_path):
    path = str(tmp_path / "registry.yml")
    _put(Registry(path), "a")
    os.chmod(path, 0o600)
    _put(Registry(path), "b")
    assert os.stat(path + ".journal").st_mode & 0o777 == 0o600


def test_a_no_op_transaction_writes_nothing(tmp_path):
    path = str(tmp_path / "registry.yml")
    registry = Registry(path)
    _put(registry, "app", status="active")
    _put(registry, "app", status="active")
    with registry.transaction() as data:
        data.put("app", data.get("app"))
    assert not os.path.exists(path + ".journal")


def test_removal_is_journaled(tmp_path):
    path = str(tmp_path / "registry.yml")
    registry = Registry(path)
    _put(registry, "keep")
    _put(registry, "drop")
    registry.compact()
    with registry.transaction() as data:
        assert data.remove("drop")
    assert set(Registry(path).read().entries) == {"keep"}
    assert set(_yaml_hosts(path)) == {"keep", "drop"}, "the removal should be in the journal only"
    registry.compact()
    assert set(_yaml_hosts(path)) == {"keep"}


def test_the_journal_is_compacted_when_it_is_as_big_as_the_file(tmp_path):
    path = str(tmp_path / "registry.yml")
    registry = Registry(path, compact_bytes=0)
    _put(registry, "app")
    for index in range(60):
        with registry.transaction() as data:
            entry = data.get("app")
            add_event(entry, "update", "ok", identity=f"op{index}")
            data.put("app", entry)
        journal = os.path.getsize(path + ".journal") if os.path.exists(path + ".journal") else 0
        assert journal < 2 * os.path.getsize(path) + 2048, "the journal grew past its bound"
    events = Registry(path).read().get("app")["events"]
    assert events[-1]["identity"] == "op59"


def test_compaction_interrupted_before_the_journal_goes_and_repeated(tmp_path, monkeypatch):
    """Crash between writing the YAML file and removing the journal: the journal replayed over
    the new file changes nothing (records are whole entries), and compacting again gives the
    same file."""
    path = str(tmp_path / "registry.yml")
    registry = Registry(path)
    _put(registry, "app", status="creating")
    _put(registry, "app", status="active")
    _put(registry, "other")
    with registry.transaction() as data:
        data.remove("other")
    before = Registry(path).read().entries

    def crash():
        raise OSError("killed here")

    monkeypatch.setattr(registry.journal, "remove", crash)
    with pytest.raises(OSError):
        registry.compact()
    monkeypatch.undo()
    assert os.path.exists(path + ".journal")
    assert _yaml_hosts(path) == before, "the YAML file alone should already hold everything"
    assert Registry(path).read().entries == before, "replaying the journal again changed the registry"

    assert Registry(path).compact() is True
    with open(path, encoding="utf-8") as handle:
        once = handle.read()
    assert Registry(path).compact() is False, "nothing left to compact"
    with open(path, encoding="utf-8") as handle:
        assert handle.read() == once
    assert Registry(path).read().entries == before


def test_a_torn_last_line_is_skipped_and_cut_off_by_the_next_writer(tmp_path):
    path = str(tmp_path / "registry.yml")
    registry = Registry(path)
    _put(registry, "a")
    _put(registry, "b")
    with open(path + ".journal", "a", encoding="utf-8") as handle:
        handle.write('{"op":"put","name":"torn","entry":{"canister_id":"rrk')
    assert set(Registry(path).read().entries) == {"a", "b"}
    _put(Registry(path), "c")
    with open(path + ".journal", encoding="utf-8") as handle:
        lines = handle.read().split("\n")
    assert lines[-1] == "" and all(line.startswith('{"op":"put","name":"') and line.endswith("}}")
                                   for line in lines[:-1])
    assert set(Registry(path).read().entries) == {"a", "b", "c"}


def test_a_damaged_journal_line_is_named(tmp_path):
    path = str(tmp_path / "registry.yml")
    _put(Registry(path), "a")
    _put(Registry(path), "b")
    with open(path + ".journal", "a", encoding="utf-8") as handle:
        handle.write("not json\n")
    with pytest.raises(RegistryError, match=r"registry\.yml\.journal \(line 2 .*not a journal record"):
        Registry(path).read()


def test_an_entry_json_cannot_carry_goes_to_the_yaml_file(tmp_path):
    """A hand-edited entry with a date (YAML has dates, JSON does not) is written whole, not journaled."""
    path = str(tmp_path / "registry.yml")
    _put(Registry(path), "a")
    _put(Registry(path), "b")
    with Registry(path).transaction() as data:
        data.put("a", dict(data.get("a"), installed_on=datetime.date(2026, 1, 2)))
    assert not os.path.exists(path + ".journal")
    assert Registry(path).read().get("a")["installed_on"] == datetime.date(2026, 1, 2)
    assert "b" in _yaml_hosts(path)


def test_an_old_registry_file_is_read_and_updated_as_it_is(tmp_path):
    """A registry written before the journal existed (YAML only) is read unchanged; a change
    lands in the journal beside it and compaction writes the same layout back."""
    path = str(tmp_path / "registry.yml")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(textwrap.dedent(f"""\
            all:
              children:
                canisters:
                  hosts:
                    old: {{canister_id: {CANISTER}, template: user, status: active}}
                user_canisters:
                  hosts: {{old: null}}
                mine:
                  hosts: {{old: null}}
            """))
    registry = Registry(path)
    _put(registry, "new", status="active")
    assert set(registry.read().entries) == {"old", "new"}
    registry.compact()
    with open(path, encoding="utf-8") as handle:
        doc = yaml.safe_load(handle)
    assert set(doc["all"]["children"]["user_canisters"]["hosts"]) == {"old", "new"}
    assert doc["all"]["children"]["mine"] == {"hosts": {"old": None}}


WRITER = """
import os, sys
sys.path.insert(0, {utils!r})
from _registry import Registry
path, tag, count, limit = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
registry = Registry(path, compact_bytes=limit)
for index in range(count):
    with registry.transaction() as data:
        counter = data.get("counter") or {{"template": "user", "hits": 0}}
        counter["hits"] += 1
        data.put("counter", counter)
        data.put(f"{{tag}}{{index:04d}}", {{"template": "user", "status": "active", "n": index}})
    os.write(1, f"{{tag}}{{index:04d}}\\n".encode())
"""


def _writer(tmp_path, path, tag, count, limit=4096):
    script = tmp_path / "writer.py"
    if not script.exists():
        # Written once and put in place whole: rewriting it while an earlier writer's Python is
        # still reading it would start that writer on a truncated script (it would do nothing).
        draft = tmp_path / "writer.py.tmp"
        draft.write_text(WRITER.format(utils=UTILS), encoding="utf-8")
        os.replace(draft, script)
    return subprocess.Popen([sys.executable, str(script), path, tag, str(count), str(limit)],
                            stdout=subprocess.PIPE)


def test_writers_in_several_processes_lose_nothing_while_readers_read(tmp_path):
    """Four processes write at once (read-modify-write of one shared entry, and entries of
    their own), compacting often; a lock-free reader meanwhile always sees a registry that holds
    everything it saw before."""
    path = str(tmp_path / "registry.yml")
    count = 60
    writers = [_writer(tmp_path, path, tag, count) for tag in "abcd"]
    seen_problems, stop = [], threading.Event()

    def read_all_the_time():
        before = set()
        while not stop.is_set():
            try:
                names = set(Registry(path).read().entries)
            except RegistryError as exc:
                seen_problems.append(str(exc))
                return
            if not before <= names:
                seen_problems.append(f"a read lost {sorted(before - names)[:3]}")
                return
            before = names

    reader = threading.Thread(target=read_all_the_time)
    reader.start()
    try:
        for proc in writers:
            proc.communicate(timeout=120)
            assert proc.returncode == 0
    finally:
        stop.set()
        reader.join(30)
    assert not seen_problems, seen_problems
    entries = Registry(path).read().entries
    assert entries["counter"]["hits"] == 4 * count, "a read-modify-write lost an update"
    assert {n for n in entries if n != "counter"} == {f"{t}{i:04d}" for t in "abcd" for i in range(count)}


def test_a_writer_killed_mid_run_loses_no_acknowledged_entry(tmp_path):
    """SIGKILL writers at random moments (in an append, a compaction or between them): every
    entry a writer reported as written is there, the file and the journal are readable, and the
    next writer carries on."""
    path = str(tmp_path / "registry.yml")
    acknowledged = set()
    for round_number, delay in enumerate((0.15, 0.3, 0.45)):
        proc = _writer(tmp_path, path, f"k{round_number}_", 100000, limit=2048)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
        acknowledged.update(out.decode().split())
        entries = Registry(path).read().entries
        missing = acknowledged - set(entries)
        assert not missing, f"entries lost by the kill: {sorted(missing)[:5]}"
    assert acknowledged, "the writers never got to write"
    _put(Registry(path), "after")
    registry = Registry(path)
    registry.compact()
    hosts = _yaml_hosts(path)
    assert acknowledged | {"after"} <= set(hosts)


def test_a_checked_parse_is_taken_over_by_the_next_read_and_sees_later_changes(tmp_path, monkeypatch):
    """check() parses once; the next read() of the path reuses that parse, yet still sees what
    was journaled or compacted after the check."""
    path = str(tmp_path / "registry.yml")
    _put(Registry(path), "a")
    Registry(path).check()
    _put(Registry(path), "b")
    parses = []
    real_parse = Registry._parse  # pylint: disable=protected-access
    monkeypatch.setattr(Registry, "_parse", lambda self, text: parses.append(1) or real_parse(self, text))
    assert set(Registry(path).read().entries) == {"a", "b"}
    assert not parses, "the read parsed the file the check had parsed"
    Registry(path).check()
    Registry(path).compact()
    _put(Registry(path), "c")
    assert set(Registry(path).read().entries) == {"a", "b", "c"}
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("  : [broken\n")
    with pytest.raises(RegistryError, match="not valid YAML"):
        Registry(path).check()
