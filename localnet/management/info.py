"""Reading canisters: status, info, logs, metrics, metadata, and raw_rand."""
import os

from .. import VERSION, cycles
from ..errors import reject
from .context import visible_to


def _visible(call, canister, setting):
    if call.caller == canister.id or visible_to(canister, setting, call.caller):
        return
    call.require_controller(canister, allow_self=True)


def status_record(canister, now_ns):
    """The ``canister_status`` result of a record at ``now_ns``."""
    settings = dict(canister.settings)
    settings["controllers"] = list(canister.controllers)
    metrics = cycles.memory_metrics(canister)
    metrics["log_memory_store_size"] = sum(len(r["content"]) for r in canister.logs)
    return {
        "status": {canister.status: None},
        "ready_for_migration": canister.status == "stopped",
        "version": canister.version,
        "settings": settings,
        "module_hash": canister.module_hash,
        "memory_size": cycles.memory_size(canister),
        "memory_metrics": metrics,
        "cycles": cycles.balance_at(canister, now_ns),
        "reserved_cycles": canister.reserved_cycles,
        "idle_cycles_burned_per_day": cycles.idle_cycles_burned_per_day(canister),
        "query_stats": dict(canister.query_stats),
    }


def canister_status(call, args):
    """``canister_status`` (controllers, the canister itself, or per status_visibility)."""
    canister = call.view(args["canister_id"])
    _visible(call, canister, "status_visibility")
    return status_record(canister, call.now_ns)


def canister_metrics(call, args):
    """Cycles consumed by category (this network charges creation and idle burn only)."""
    canister = call.view(args["canister_id"])
    call.require_controller(canister, allow_self=True)
    zero = ("memory", "compute_allocation", "ingress_induction", "instructions",
            "request_and_response_transmission", "uninstall", "canister_creation",
            "http_outcalls", "burned_cycles")
    return {"cycles_consumed": {name: 0 for name in zero}}


def canister_info(call, args):
    """History, module hash and controllers of any canister (canisters only)."""
    if call.ingress:
        raise reject("IC0406", "Only canisters can call ic00 method canister_info")
    canister = call.view(args["canister_id"])
    wanted = args.get("num_requested_changes") or 0
    recent = canister.history[max(0, len(canister.history) - wanted):] if wanted else []
    return {
        "total_num_changes": canister.total_changes,
        "recent_changes": recent,
        "module_hash": canister.module_hash,
        "controllers": list(canister.controllers),
    }


def fetch_canister_logs(call, args):
    """The canister's log records (query only; per log_visibility)."""
    canister = call.view(args["canister_id"])
    _visible(call, canister, "log_visibility")
    return {"canister_log_records": [dict(r) for r in canister.logs]}


def canister_metadata(call, args):
    """One metadata section; private ones only for controllers (canisters only)."""
    canister = call.view(args["canister_id"])
    if canister.is_empty:
        raise reject("IC0406", f"The canister {canister.id} has no Wasm module and hence no "
                               "metadata is available.")
    section = canister.metadata.get(args["name"])
    if section is None or (not section["public"] and call.caller not in canister.controllers):
        raise reject("IC0406", f"The canister {canister.id} has no metadata section with the "
                               f"name {args['name']}.")
    return {"value": section["data"]}


def raw_rand(call, args):
    """32 fresh random bytes."""
    return os.urandom(32)


def subnet_info(call, args):
    """Replica and registry version of this subnet."""
    return {"replica_version": VERSION, "registry_version": 1}


HANDLERS = {
    "canister_status": canister_status,
    "canister_metrics": canister_metrics,
    "canister_info": canister_info,
    "fetch_canister_logs": fetch_canister_logs,
    "canister_metadata": canister_metadata,
    "raw_rand": raw_rand,
    "subnet_info": subnet_info,
}
