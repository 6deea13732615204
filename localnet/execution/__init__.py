"""Canister execution for localnet: canister Wasm on wasmtime with the IC System API (``ic0``).

Pure execution: no networking, no persistence, no routing. The management canister and the
HTTP layer call it; it calls nothing above it. One engine per process::

    engine = ExecutionEngine(cache_dir="state/wasm-cache", root_key=der, subnet_id=raw)
    info = engine.validate(wasm_bytes)          # ModuleInfo, or raises ExecutionError (IC0505)
    state = CanisterState(canister_id_bytes, controllers=[...], cycles=10**13)
    r = engine.install(state, wasm_bytes, arg, caller, time_ns, mode="install")
    r = engine.run(state, Message("update", method="add", arg=arg, caller=caller,
                                  cycles=0, time_ns=now))
    r.response     # ("reply", bytes) | ("reject", code, message, error_code) | None (pending)
    r.calls        # [OutgoingCall]: deliver each, then
    engine.run_callback(state, call.callback, CallResponse(reply=bytes, refund=n), now)
    r = engine.upgrade(state, new_wasm, arg, caller, now, wasm_memory_persistence="keep")

Every call is atomic: on a trap, an instruction-limit or memory-limit error, the state (main
memory, globals, stable memory, cycles, certified data, timer) is as before and
``r.committed`` is False. Queries (and inspect_message) never commit. ``CanisterState`` is
changed in place; ``state.snapshot()`` gives plain bytes for persistence or canister
snapshots, ``from_snapshot(snap, engine)`` restores one. Canister version:
the engine adds 1 per committed message/callback; install/upgrade/settings changes are the
management canister's to count. Logs: ``r.logs`` is ``[(time_ns, bytes)]`` from debug_print
plus ``[TRAP]: ...`` lines of failed replicated executions.
"""
from .engine import ExecutionEngine
from .errors import ExecutionError
from .limits import INSPECT_LIMIT, INSTALL_LIMIT, QUERY_LIMIT, UPDATE_LIMIT
from .restore import from_snapshot
from .state import (RUNNING, STOPPED, STOPPING, CallContext, CallResponse, Callback,
                    CanisterSnapshot, CanisterState, ExecutionResult, Message, OutgoingCall)
from .system_api import ApiType
from .validation import ModuleInfo

__all__ = [
    "ExecutionEngine", "ExecutionError", "ModuleInfo", "CanisterState", "CanisterSnapshot",
    "Message", "CallContext", "Callback", "CallResponse", "OutgoingCall", "ExecutionResult",
    "ApiType", "from_snapshot", "RUNNING", "STOPPING", "STOPPED", "UPDATE_LIMIT", "QUERY_LIMIT",
    "INSTALL_LIMIT", "INSPECT_LIMIT",
]
