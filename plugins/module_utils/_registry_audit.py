# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The registry's audit log: every event ever recorded on an entry, in ``<registry>.audit``.

An entry keeps only its last ``MAX_EVENTS`` events; the audit log keeps them all, and records
an entry dropped whole (ic_registry's purge) as event ``remove`` with result ``purged``. It is
append-only, one JSON object per line::

    {"time": "2026-12-05T01:02:03Z", "name": "alice", "canister_id": "lxzze-...-cai",
     "event": "install", "result": "ok", "identity": "<principal>", "details": {"module_hash": "..."}}

Events are added to entries by ``add_event`` (registry.py), by every module and path; they reach
the disk only through a registry transaction, and the transaction's commit is where the audit
lines are written: under the registry lock, for the events the transaction added (the entry's
events after it, less those it had before), appended and fsync'd before the journal line or
the compacted file that records the same change. A crash between the two leaves an audit line
of a change the registry never recorded, never a recorded change without its audit line; a
killed append leaves a torn last line, which readers skip and the next append cuts off. The
lines hold what the events hold (no secret is ever put in an event) and the log is created
with the registry file's permissions. Compaction never touches it.
"""

from __future__ import annotations

import json

try:
    from ansible_collections.icp.canister_factory.plugins.module_utils._registry_journal import Journal
except ImportError:
    # The EDA event source (extensions/eda) imports module_utils as top-level modules.
    from _registry_journal import Journal  # type: ignore[no-redef]

# Fields of an event that are columns of an audit line; the rest go to "details".
_EVENT_FIELDS = ("time", "action", "result", "identity")


class AuditCorrupt(Exception):
    """A complete line of the audit log is not a record (the file was edited or damaged)."""


def audit_path(registry_path):
    """Where the audit log of the registry file ``registry_path`` lives."""
    return registry_path + ".audit"


def added_events(before, after):
    """The events entry ``after`` has that entry ``before`` (None: a new entry) had not.

    An entry's events are its old ones with the new ones appended, cut to the last
    ``MAX_EVENTS``: the new ones are what follows the longest run of old events that the new
    list starts with. (Identical events of the same second at that seam are told apart by
    position only.) A list rewritten otherwise gives every event not among the old ones.
    """
    old = list((before or {}).get("events") or [])
    new = list((after or {}).get("events") or [])
    for overlap in range(min(len(old), len(new)), 0, -1):
        if new[:overlap] == old[-overlap:]:
            return new[overlap:]
    return [event for event in new if event not in old]


def records(name, entry, events):
    """The audit records of ``events`` added to entry ``name`` (as it is after the change)."""
    lines = []
    for event in events:
        if not isinstance(event, dict):
            continue
        lines.append({"time": event.get("time"), "name": name, "canister_id": entry.get("canister_id"),
                      "event": event.get("action"), "result": event.get("result"),
                      "identity": event.get("identity"),
                      "details": {k: v for k, v in event.items() if k not in _EVENT_FIELDS}})
    return lines


def transaction_records(changes, before, now):
    """The audit records of a transaction's ``changes`` (``[(name, entry or None)]``); ``before(name)``
    gives an entry as it was. An entry dropped whole (ic_registry's purge) gets a record of its own,
    at time ``now``."""
    found = []
    for name, entry in changes:
        if entry is not None:
            found.extend(records(name, entry, added_events(before(name), entry)))
        elif before(name) is not None:
            found.append({"time": now, "name": name, "canister_id": before(name).get("canister_id"),
                          "event": "remove", "result": "purged", "identity": None, "details": {}})
    return found


def append(registry_path, audit_records):
    """Append ``audit_records`` durably (fsync'd); the caller holds the registry lock."""
    if not audit_records:
        return
    lines = [json.dumps(r, ensure_ascii=False, separators=(",", ":"), default=str) + "\n" for r in audit_records]
    Journal(audit_path(registry_path), like=registry_path).append(lines)


def read(registry_path, name=None, canister_id=None):
    """The audit records of the registry file ``registry_path``, oldest first, optionally only
    those of entry ``name`` and/or canister ``canister_id``; [] when there is no log.

    A torn last line (an append that was killed) is skipped; any other line that is not a
    record raises AuditCorrupt naming the file and line.
    """
    path = audit_path(registry_path)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return []
    complete = data[:data.rfind(b"\n") + 1]
    found = []
    for number, line in enumerate(complete.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict) or not isinstance(record.get("name"), str):
                raise ValueError("not an audit record")
        except ValueError as exc:
            raise AuditCorrupt(f"{path}:{number}: not an audit record ({exc}); move the file aside to "
                               "start a new log") from None
        if (name is None or record["name"] == name) and (canister_id is None or record.get("canister_id") == canister_id):
            found.append(record)
    return found
