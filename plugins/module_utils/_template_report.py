# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What a template canister says about itself in its ``get_info`` query, read without an update call.

Templates built from ``wasm/src/common/Report.mo`` add two ``opt`` fields to ``get_info``:
``capacity`` (their fullest quota: ``used`` of ``limit`` in ``unit``) and ``state_version``
(bumped by every state-changing update and every install or upgrade, kept across upgrades).
The reply is read at a type holding only these fields: Candid ignores the others and gives
``None`` for an ``opt`` field an older template does not send, so one type reads every template.
"""

from __future__ import annotations

try:
    from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import ICError
    from ansible_collections.icp.canister_factory.plugins.module_utils._ic.principal import Principal
except ImportError:
    # The EDA event source (extensions/eda) imports module_utils as top-level modules.
    from _ic.errors import ICError  # type: ignore[no-redef]
    from _ic.principal import Principal  # type: ignore[no-redef]

EMPTY_ARGS = b"DIDL\x00\x00"
REPORT_TYPES = "(record { capacity : opt record { used : nat; limit : nat; unit : text }; state_version : opt nat64 })"


def read_report(agent, canister_id):
    """``{"capacity": dict or None, "state_version": int or None}`` from ``get_info`` sent as a query.

    None when the canister cannot answer it (no such method, stopped, no code, caller without
    access): the caller then falls back to what it does for a canister without a report.
    """
    try:
        reply = agent.query(Principal.coerce(canister_id, "canister_id"), "get_info", EMPTY_ARGS)
    except ICError:
        return None
    return decode_report(reply)


def decode_report(reply):
    """The report in a ``get_info`` reply already fetched (by a caller that also reads other fields), or None."""
    try:
        from ansible_collections.icp.canister_factory.plugins.module_utils._ic import candid
    except ImportError:
        from _ic import candid  # type: ignore[no-redef]
    try:
        (info,) = candid.decode(reply, candid.parse_types(REPORT_TYPES))
    except ICError:
        return None
    capacity = info.get("capacity")
    if capacity is not None:
        capacity = {"used": int(capacity["used"]), "limit": int(capacity["limit"]), "unit": str(capacity["unit"])}
    version = info.get("state_version")
    return {"capacity": capacity, "state_version": None if version is None else int(version)}


def capacity_ratio(report):
    """``used / limit`` of the template's fullest quota, or None without one."""
    capacity = (report or {}).get("capacity")
    if not capacity or capacity["limit"] <= 0:
        return None
    return capacity["used"] / capacity["limit"]


def memory_ratio(status):
    """Wasm memory against ``wasm_memory_limit`` from canister_status, or None without a limit.

    The limit caps the Wasm heap, so the heap is measured (``memory_metrics.wasm_memory_size``,
    what the factory canister's autoscaling reads too); a replica without memory_metrics gives
    ``memory_size``, which is larger, so the ratio errs towards "full".
    """
    status = status or {}
    limit = int((status.get("settings") or {}).get("wasm_memory_limit") or 0)
    if limit <= 0:
        return None
    heap = (status.get("memory_metrics") or {}).get("wasm_memory_size")
    used = heap if heap is not None else status.get("memory_size")
    return int(used or 0) / limit


def fullness(status, report):
    """How full a canister is: the larger of its memory ratio and its template's capacity ratio.

    The one rule for "near the limit" (docs/internals.md, "Near the limit"): ic_canister_info
    (and so scale.yml), ic_monitor and the EDA source fleet_events all judge by it. None when neither is known (no
    wasm_memory_limit and no capacity counter).
    """
    ratios = [r for r in (memory_ratio(status), capacity_ratio(report)) if r is not None]
    return max(ratios) if ratios else None


def assess(status, report):
    """Fullness with its parts, for an alert that says why.

    ``{fullness, memory_ratio, capacity_ratio, capacity, by}``; ``by`` is ``"capacity"`` or
    ``"memory"``, whichever is fuller (None when neither is known).
    """
    memory, capacity = memory_ratio(status), capacity_ratio(report)
    full = fullness(status, report)
    by = None if full is None else ("capacity" if capacity is not None and capacity == full else "memory")
    return {"fullness": full, "memory_ratio": memory, "capacity_ratio": capacity,
            "capacity": (report or {}).get("capacity"), "by": by}


def near_limit(assessment, threshold):
    """Whether an :func:`assess` result is at or above ``threshold`` (a ratio, 0.8 = 80 %)."""
    return assessment["fullness"] is not None and assessment["fullness"] >= threshold
