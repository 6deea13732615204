# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The registry's journal: an append-only file of entry changes beside the YAML registry.

``<registry>.journal`` holds one JSON object per line, each the whole new state of one entry::

    {"op": "put", "name": "alice", "entry": {"canister_id": "...", "status": "active", ...}}
    {"op": "remove", "name": "bob"}

A record states a result, not a difference, so replaying a journal over a registry that
already holds some of its records (a crash after compaction wrote the YAML and before it
removed the journal) gives the same registry: replay is idempotent.

Only a writer holding the registry lock appends, and it fsyncs before its transaction
returns. A line without its newline is the tail of an append that was killed: readers ignore
it, and the next writer cuts it off before it appends (that transaction never returned, so
nothing it wrote was promised to anyone).
"""

from __future__ import annotations

import json
import os

OP_PUT = "put"
OP_REMOVE = "remove"
_TAIL_CHUNK = 65536


class JournalCorrupt(Exception):
    """A complete journal line is not a record (the file was edited or damaged)."""


def put_line(name, entry):
    """The journal line that stores ``entry`` under ``name``, and the entry as a reader will see it.

    Returns ``(None, None)`` when JSON cannot carry the entry exactly (a date, a tuple, a
    non-text key from a hand-edited file): such a change is written to the YAML file instead.
    """
    try:
        line = json.dumps({"op": OP_PUT, "name": name, "entry": entry}, ensure_ascii=False,
                          separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        return None, None
    stored = json.loads(line)["entry"]
    # A tuple or a non-text key comes back as something that compares unequal.
    if stored != entry:
        return None, None
    return line + "\n", stored


def remove_line(name):
    """The journal line that drops entry ``name``."""
    return json.dumps({"op": OP_REMOVE, "name": name}, ensure_ascii=False, separators=(",", ":")) + "\n"


def apply_records(entries, records):
    """Apply parsed records to ``entries`` (name -> entry dict) in order."""
    for record in records:
        if record["op"] == OP_PUT:
            entries[record["name"]] = record["entry"]
        else:
            entries.pop(record["name"], None)


def file_stamp(stat_result):
    """What identifies one version of a file: a replaced file has another inode or mtime."""
    if stat_result is None:
        return None
    return (stat_result.st_dev, stat_result.st_ino, stat_result.st_mtime_ns, stat_result.st_size)


def fsync_directory(directory):
    """Make a rename or unlink in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Journal:
    """The journal file of one registry."""

    def __init__(self, path, like=None):
        self.path = path
        # A new journal gets the permissions of this file (the registry's), as compaction keeps them.
        self.like = like

    def identity(self):
        """``(dev, inode)`` of the journal now, or None when there is none."""
        try:
            stat_result = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (stat_result.st_dev, stat_result.st_ino)

    def size(self):
        """Bytes in the journal (0 when there is none)."""
        try:
            return os.stat(self.path).st_size
        except FileNotFoundError:
            return 0

    def read(self, offset=0, identity=None):
        """Return ``(records, end, identity)``: the complete records from byte ``offset`` on.

        ``end`` is the offset after the last complete line. When the journal is not the file
        ``identity`` names (it was removed, or replaced), reading starts at 0 again.
        """
        try:
            handle = open(self.path, "rb")  # pylint: disable=consider-using-with
        except FileNotFoundError:
            return [], 0, None
        with handle:
            stat_result = os.fstat(handle.fileno())
            now = (stat_result.st_dev, stat_result.st_ino)
            if now != identity or offset > stat_result.st_size:
                offset = 0
            handle.seek(offset)
            data = handle.read()
        complete = data.rfind(b"\n") + 1
        records = []
        for number, line in enumerate(data[:complete].splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                if record.get("op") not in (OP_PUT, OP_REMOVE) or not isinstance(record.get("name"), str) or (
                        record["op"] == OP_PUT and not isinstance(record.get("entry"), dict)):
                    raise ValueError("not a registry record")
            except (ValueError, AttributeError) as exc:
                where = f"{self.path} (line {number} after byte {offset})"
                raise JournalCorrupt(f"{where}: not a journal record ({exc}); move the journal aside and "
                                     "check the registry entries it held") from None
            records.append(record)
        return records, offset + complete, now

    def append(self, lines):
        """Append ``lines`` (complete, newline-terminated) durably; the caller holds the registry lock.

        Returns ``(end, identity)``: the journal's size after the append and its identity.
        """
        created = not os.path.exists(self.path)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            if created and self.like:
                try:
                    os.fchmod(fd, os.stat(self.like).st_mode & 0o777)
                except FileNotFoundError:
                    pass
            self._cut_torn_tail(fd)
            payload = "".join(lines).encode("utf-8")
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
            stat_result = os.fstat(fd)
        finally:
            os.close(fd)
        if created:
            fsync_directory(os.path.dirname(self.path))
        return stat_result.st_size, (stat_result.st_dev, stat_result.st_ino)

    @staticmethod
    def _cut_torn_tail(fd):
        """Drop a last line without its newline (an append that was killed half-way)."""
        size = os.fstat(fd).st_size
        if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
            return
        end = size
        while end > 0:
            start = max(0, end - _TAIL_CHUNK)
            chunk = os.pread(fd, end - start, start)
            newline = chunk.rfind(b"\n")
            if newline >= 0:
                os.ftruncate(fd, start + newline + 1)
                return
            end = start
        os.ftruncate(fd, 0)

    def remove(self):
        """Delete the journal (its records are in the YAML file now) and make that durable."""
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            return
        fsync_directory(os.path.dirname(self.path))
