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

from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import ICError
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.principal import Principal

EMPTY_ARGS = b"DIDL\x00\x00"
REPORT_TYPES = "(record { capacity : opt record { used : nat; limit : nat; unit : text }; state_version : opt nat64 })"


def read_report(agent, canister_id):
    """``{"capacity": dict or None, "state_version": int or None}`` from ``get_info`` sent as a query.

    None when the canister cannot answer it (no such method, stopped, no code, caller without
    access): the caller then falls back to what it does for a canister without a report.
    """
    from ansible_collections.icp.canister_factory.plugins.module_utils._ic import candid
    try:
        reply = agent.query(Principal.coerce(canister_id, "canister_id"), "get_info", EMPTY_ARGS)
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
    """``memory_size / wasm_memory_limit`` from canister_status, or None without a limit."""
    limit = int(((status or {}).get("settings") or {}).get("wasm_memory_limit") or 0)
    if limit <= 0:
        return None
    return int(status.get("memory_size") or 0) / limit


def fullness(status, report):
    """How full a canister is: the larger of its memory ratio and its template's capacity ratio.

    None when neither is known (no wasm_memory_limit and no capacity counter).
    """
    ratios = [r for r in (memory_ratio(status), capacity_ratio(report)) if r is not None]
    return max(ratios) if ratios else None
