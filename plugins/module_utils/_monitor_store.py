# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The time series of ``ic_monitor``: one SQLite file, one row per canister and sample.

SQLite because it is in the standard library, survives a crash mid-write (one transaction per
run) and answers "the samples of the last N days" with an index. Rows older than the retention
window are deleted in the same transaction that adds the new ones.
"""

from __future__ import annotations

import json
import os
import sqlite3

COLUMNS = ("ts", "host", "canister_id", "template", "status", "cycles", "memory_bytes",
           "wasm_memory_limit", "idle_burn_per_day", "query_calls", "query_instructions",
           "counters", "memory_ratio", "fullness", "full_by", "capacity")
JSON_COLUMNS = ("counters", "capacity")
# Columns added after the first release of the file, with their types: an older file gets them
# (NULL in its old rows) the first time it is opened.
ADDED_COLUMNS = {"memory_ratio": "REAL", "fullness": "REAL", "full_by": "TEXT", "capacity": "TEXT"}
_SCHEMA = """
CREATE TABLE IF NOT EXISTS samples (
    ts REAL NOT NULL, host TEXT NOT NULL, canister_id TEXT NOT NULL, template TEXT,
    status TEXT, cycles INTEGER, memory_bytes INTEGER, wasm_memory_limit INTEGER,
    idle_burn_per_day INTEGER, query_calls INTEGER, query_instructions INTEGER, counters TEXT,
    memory_ratio REAL, fullness REAL, full_by TEXT, capacity TEXT);
CREATE INDEX IF NOT EXISTS samples_by_host ON samples (host, ts);
CREATE INDEX IF NOT EXISTS samples_by_time ON samples (ts);
"""


class MonitorStore:
    """The samples file at ``path`` (created with its directory on first use)."""

    def __init__(self, path):
        self.path = os.path.abspath(os.path.expanduser(path))

    def _connect(self):
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30)
        db.executescript(_SCHEMA)
        present = {row[1] for row in db.execute("PRAGMA table_info(samples)")}
        with db:
            for name, kind in ADDED_COLUMNS.items():
                if name not in present:
                    db.execute(f"ALTER TABLE samples ADD COLUMN {name} {kind}")
        return db

    def exists(self):
        """Whether the file is there."""
        return os.path.exists(self.path)

    def last_time(self):
        """Time (epoch seconds) of the newest sample, or None."""
        if not self.exists():
            return None
        with self._connect() as db:
            return db.execute("SELECT MAX(ts) FROM samples").fetchone()[0]

    def add(self, samples, retention_seconds, now):
        """Insert ``samples`` (dicts with COLUMNS) and drop rows older than the window; return the count dropped."""
        db = self._connect()
        try:
            with db:
                db.executemany(
                    f"INSERT INTO samples ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                    [tuple(json.dumps(s.get(c), sort_keys=True) if c in JSON_COLUMNS else s.get(c) for c in COLUMNS)
                     for s in samples])
                return db.execute("DELETE FROM samples WHERE ts < ?", (now - retention_seconds,)).rowcount
        finally:
            db.close()

    def series(self, since=None):
        """``{host: [sample dict, ...]}`` oldest first, from ``since`` (epoch seconds) on."""
        if not self.exists():
            return {}
        db = self._connect()
        try:
            rows = db.execute(f"SELECT {', '.join(COLUMNS)} FROM samples WHERE ts >= ? ORDER BY host, ts",
                              (since or 0,)).fetchall()
        finally:
            db.close()
        out = {}
        for row in rows:
            sample = dict(zip(COLUMNS, row))
            sample["counters"] = json.loads(sample["counters"] or "{}")
            sample["capacity"] = json.loads(sample["capacity"] or "null")
            out.setdefault(sample["host"], []).append(sample)
        return out
