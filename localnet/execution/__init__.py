"""Canister execution for localnet: canister Wasm on wasmtime with the IC System API (``ic0``).

Pure execution: no networking, no persistence, no routing; the core imports nothing from the
rest of localnet. One engine per process (thread-safe, one execution at a time)::

    engine = ExecutionEngine(cache_dir="state/wasm-cache", root_key=der, subnet_id=raw)
    info = engine.validate(wasm)             # ModuleInfo, or raises ExecutionError (IC0505)
    state = CanisterState(canister_id_raw, controllers=[raw, ...], cycles=10**13,
                          env_vars={...}, wasm_memory_limit=3 << 30)
    r = engine.install(state, wasm, arg, caller_raw, time_ns, mode="install" | "reinstall")
    r = engine.upgrade(state, wasm, arg, caller_raw, time_ns,
                       wasm_memory_persistence=None | "keep" | "replace", skip_pre_upgrade=False)
    r = engine.run(state, Message("update" | "query" | "composite_query" | "inspect_message" |
                                  "heartbeat" | "global_timer" | "on_low_wasm_memory",
                                  method, arg, caller_raw, cycles=0, time_ns=now,
                                  instruction_limit=None, origin=anything))
    for call in r.calls:                     # OutgoingCall(callee, method, arg, cycles, callback)
        ... deliver, then:
        engine.run_callback(state, call.callback, CallResponse(reply=b"..." | None,
                            reject_code=0, reject_message="", refund=n), time_ns)
    engine.uninstall(state); engine.evict(state)

ExecutionResult: ``committed``; ``response`` = ``("reply", bytes)`` | ``("reject", code,
message, error_code)`` | None (still waiting for calls); ``refund`` (cycles back to the
caller with the response); ``call_context.origin`` (what the caller passed in ``Message``,
to route the response); ``error`` (ExecutionError: replica wording and IC code, e.g. IC0503,
IC0502, IC0522, IC0536, IC0537, IC0539, IC0504); ``logs`` / ``canister_logs`` ([(time_ns,
bytes)], debug_print plus ``[TRAP]: ...``); ``instructions``; ``cycles_accepted``;
``cycles_burned``; ``accepted`` (inspect_message).

Every call is atomic: on a trap, instruction-limit or memory-limit error, main memory, globals,
stable memory, cycles, certified data and timer are as before. Canisters stay live between
messages (bounded LRU); stores are instrumented to mark dirty 4 KiB pages (dirty.py), so a
rollback or the next snapshot copies only those pages. Queries and inspect_message
never commit; a composite query's calls (``r.calls``, to be delivered as queries) run their
callbacks on its uncommitted state, dropped when it answers (one open composite query per
canister; other messages get IC0504 meanwhile). ``CanisterState`` is changed in place; ``state.snapshot()`` gives plain bytes
(persistence, canister snapshots) and ``from_snapshot(snap, engine)`` restores one. The engine
adds 1 to ``state.version`` per committed message or callback; install/upgrade/settings
changes are counted by the management canister.

``create_engine(node)`` (seam.py) adapts all of this to localnet's execution seam
(docs/internals.md): install / execute / query / inspect_message / uninstall /
open_call_contexts, plus ``run_timers(tx)`` (one round of heartbeats and due global timers),
charging cycles for execution as an application subnet does (fees.py).
"""
from .engine import ExecutionEngine
from .errors import ExecutionError
from .limits import INSPECT_LIMIT, INSTALL_LIMIT, QUERY_LIMIT, UPDATE_LIMIT
from .restore import from_snapshot
from .seam import create_engine
from .state import (RUNNING, STOPPED, STOPPING, CallContext, CallResponse, Callback,
                    CanisterSnapshot, CanisterState, ExecutionResult, Message, OutgoingCall)
from .system_api import ApiType
from .validation import ModuleInfo

__all__ = [
    "ExecutionEngine", "ExecutionError", "ModuleInfo", "CanisterState", "CanisterSnapshot",
    "Message", "CallContext", "Callback", "CallResponse", "OutgoingCall", "ExecutionResult",
    "ApiType", "from_snapshot", "RUNNING", "STOPPING", "STOPPED", "UPDATE_LIMIT", "QUERY_LIMIT",
    "INSTALL_LIMIT", "INSPECT_LIMIT", "create_engine",
]
