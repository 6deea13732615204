"""The registry keeps the newest events, and a reader that takes no lock (the inventory plugin)
never sees a half-written file, even when it reads in the middle of a write."""
import builtins
import io
import os
import threading

from _registry import MAX_EVENTS, Registry, add_event

CANISTER = "rrkah-fqaaa-aaaaa-aaaaq-cai"
EXTRA = 5


def _events(path, name):
    return Registry(path).read().get(name)["events"]


def test_event_history_keeps_the_newest_events(tmp_path):
    """An entry with more than MAX_EVENTS events keeps the last ones, oldest first, both when
    events are added one by one and when a whole list is stored."""
    path = str(tmp_path / "registry.yml")
    total = MAX_EVENTS + EXTRA
    for index in range(total):
        with Registry(path).transaction() as data:
            entry = data.get("app") or {"canister_id": CANISTER}
            add_event(entry, "upgrade", "ok", identity=f"op{index}")
            data.put("app", entry)
    kept = [e["identity"] for e in _events(path, "app")]
    assert kept == [f"op{i}" for i in range(EXTRA, total)]

    with Registry(path).transaction() as data:
        data.put("bulk", {"canister_id": CANISTER,
                          "events": [{"action": "a", "result": "ok", "identity": f"b{i}"}
                                     for i in range(total)]})
    kept = [e["identity"] for e in _events(path, "bulk")]
    assert kept == [f"b{i}" for i in range(EXTRA, total)]


class _PausingFile:
    """A text file opened for writing whose first write stops half-way until released."""

    def __init__(self, handle, gate):
        self._handle, self._gate = handle, gate

    def write(self, text):
        if self._gate.paused.is_set():
            return self._handle.write(text)
        half = len(text) // 2
        written = self._handle.write(text[:half])
        self._handle.flush()
        self._gate.paused.set()
        assert self._gate.release.wait(10), "the reader never finished"
        return written + self._handle.write(text[half:])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._handle.__exit__(*exc)

    def __getattr__(self, name):
        return getattr(self._handle, name)


class _Gate:
    def __init__(self):
        self.paused, self.release = threading.Event(), threading.Event()


def _pause_writes_to(directory, monkeypatch):
    """Make every file opened for writing in ``directory`` pause mid-way through its first write,
    whatever function the writer uses to open it."""
    gate = _Gate()
    real_open, real_fdopen = builtins.open, os.fdopen

    def writing(mode):
        return any(flag in mode for flag in "wax+")

    def paused_open(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        inside = isinstance(file, (str, os.PathLike)) and \
            os.path.dirname(os.path.abspath(file)) == directory
        return _PausingFile(handle, gate) if inside and writing(mode) else handle

    def paused_fdopen(fd, mode="r", *args, **kwargs):
        handle = real_fdopen(fd, mode, *args, **kwargs)
        return _PausingFile(handle, gate) if writing(mode) else handle

    monkeypatch.setattr(builtins, "open", paused_open)
    monkeypatch.setattr(io, "open", paused_open)
    monkeypatch.setattr(os, "fdopen", paused_fdopen)
    return gate


def test_a_lock_free_reader_during_a_slow_write_sees_the_old_registry(tmp_path, monkeypatch):
    """A compaction's write of the YAML file is stopped half-way; a reader at that moment sees
    every old entry intact and the new one from the journal, and after the write the same from
    the YAML file alone."""
    path = str(tmp_path / "registry.yml")
    with Registry(path).transaction() as data:
        for index in range(30):
            data.put(f"old{index:02d}", {"canister_id": CANISTER, "template": "user"})
    gate = _pause_writes_to(str(tmp_path), monkeypatch)
    failure = []

    def write():
        try:
            registry = Registry(path)
            with registry.transaction() as data:
                data.put("new", {"canister_id": CANISTER, "template": "user"})
            registry.compact()
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            failure.append(exc)
            gate.paused.set()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert gate.paused.wait(10), "the registry was never written"
        assert not failure, failure
        seen = Registry(path).read()
    finally:
        gate.release.set()
        writer.join(10)
    assert not failure, failure
    assert sorted(seen.entries) == ["new"] + [f"old{i:02d}" for i in range(30)], \
        "a reader during the write saw a partial registry"
    assert not os.path.exists(path + ".journal")
    assert "new" in Registry(path).read().entries

