# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one shape of a canister's facts, built from a ``canister_status`` reply.

ic_canister and ic_canister_info return it, the fleet's items carry it and the ``registry``
inventory plugin derives its live host variables from it, so the same name means the same
value everywhere.
"""

from __future__ import annotations

from ansible_collections.icp.canister_factory.plugins.module_utils._canister_settings import from_definite


def run_status(status):
    """Return ``running``/``stopping``/``stopped`` from a canister_status result, ``absent`` for None."""
    if status is None:
        return "absent"
    return next(iter(status["status"]))


def hex_or_none(blob):
    """Hex text of an optional blob."""
    return bytes(blob).hex() if blob is not None else None


def _int_or_none(value):
    """A number the replica sent, or None when this replica version does not send it (never 0)."""
    return None if value is None else int(value)


def _ints(record):
    return {k: _int_or_none(v) for k, v in (record or {}).items()}


def canister_facts(status):
    """JSON-friendly facts of a canister from its canister_status reply (None: it does not exist)."""
    if status is None:
        return {"status": "absent"}
    settings = from_definite(status["settings"])
    return {
        "status": run_status(status),
        "module_hash": hex_or_none(status.get("module_hash")),
        "controllers": settings["controllers"],
        "settings": settings,
        "cycles": int(status["cycles"]),
        "reserved_cycles": _int_or_none(status.get("reserved_cycles")),
        "idle_cycles_burned_per_day": _int_or_none(status.get("idle_cycles_burned_per_day")),
        "memory_size": _int_or_none(status.get("memory_size")),
        "memory_metrics": _ints(status.get("memory_metrics")),
        "query_stats": _ints(status.get("query_stats")),
        "version": _int_or_none(status.get("version")),
    }
