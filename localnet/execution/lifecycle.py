"""Code installation: install/reinstall and upgrade, each all-or-nothing."""
from . import errors
from .errors import ExecutionError, user_error
from .runtime import START_EXPORT
from .stable import StableMemory
from .state import ExecutionResult, Message
from .system_api import ApiType
from .validation import ModuleInfo

MISSING_OPTION = ("Missing upgrade option: Enhanced orthogonal persistence requires the "
                  "`wasm_memory_persistence` upgrade option.")
INVALID_KEEP = ("Invalid upgrade option: The `wasm_memory_persistence: opt Keep` upgrade option "
                "requires that the new canister module supports enhanced orthogonal persistence.")


def _module(engine, wasm):
    if isinstance(wasm, ModuleInfo):
        return wasm, None
    try:
        return engine.validate(wasm), None
    except ExecutionError as err:
        return None, err


def _failed(state, err, logs=(), instructions=0):
    return ExecutionResult(state, False, response=("reject", err.reject_code, err.message,
                                                   err.error_code),
                           error=err, logs=list(logs), instructions=instructions)


def _start_and_init(engine, state, info, live, export, arg, caller, time_ns, limit, ex_seed):
    """Run the start function, then ``export`` (init or post_upgrade). Returns (err, ex, logs)."""
    logs, used = [], 0
    message = Message("init", arg=arg, caller=caller, time_ns=time_ns)
    if live.compiled.has_start:
        start = engine.new_execution(state, ApiType.START, message, None, limit)
        err = engine.invoke(state, live, start, live.func(START_EXPORT))
        logs += start.logs_with_trap(err)
        used += start.used
        if err is not None:
            return err, start, logs, used
    ex = engine.new_execution(state, ApiType.INIT, message, None, limit)
    ex.balance, ex.timer, ex.certified = ex_seed
    func = live.func(export)
    err = engine.invoke(state, live, ex, func) if func is not None else None
    logs += ex.logs_with_trap(err)
    used += ex.used
    if err is None:
        err = engine.memory_limit_error(state, live)
    return err, ex, logs, used


def install(engine, state, wasm, arg, caller, time_ns, mode, limit):
    """Install or reinstall: a fresh instance and empty stable memory, then canister_init."""
    if mode not in ("install", "reinstall"):
        raise ValueError(f"unknown install mode {mode!r}")
    info, err = _module(engine, wasm)
    if err is not None:
        return _failed(state, err)
    try:
        live = engine.runtime.instantiate(info)
    except ExecutionError as exc:
        return _failed(state, exc)
    old_stable, old_module = state.stable, state.module
    state.stable, state.module = StableMemory(), info
    err, ex, logs, used = _start_and_init(engine, state, info, live, "canister_init", arg,
                                          caller, time_ns, limit, (state.cycles, 0, b""))
    if err is not None:
        state.stable, state.module = old_stable, old_module
        return _failed(state, err, logs, used)
    engine.discard_live(state)
    engine.adopt(state, live)
    state.wasm = wasm if isinstance(wasm, (bytes, bytearray)) else info.wasm
    engine.commit_scalars(state, ex)
    return ExecutionResult(state, True, logs=logs, instructions=used,
                           cycles_burned=ex.burned, calls=[])


def _check_persistence(state, old, new, persistence):
    if old.enhanced_orthogonal_persistence and persistence is None:
        return ExecutionError(errors.CONTRACT_VIOLATION,
                              f"Error from Canister {errors.canister_text(state.canister_id)}: "
                              f"{MISSING_OPTION}")
    if persistence == "keep" and not new.enhanced_orthogonal_persistence:
        return ExecutionError(errors.CONTRACT_VIOLATION,
                              f"Error from Canister {errors.canister_text(state.canister_id)}: "
                              f"{INVALID_KEEP}")
    return None


def upgrade(engine, state, wasm, arg, caller, time_ns, persistence, skip_pre_upgrade, limit):
    """pre_upgrade (old), new instance (heap kept with ``keep``), start, post_upgrade."""
    if state.module is None:
        return _failed(state, user_error(state.canister_id, errors.WASM_MODULE_NOT_FOUND,
                                         "Attempted to execute a message, but the canister "
                                         "contains no Wasm module"))
    info, err = _module(engine, wasm)
    if err is None:
        err = _check_persistence(state, state.module, info, persistence)
    if err is not None:
        return _failed(state, err)
    old_live = engine.live(state)
    undo = engine.begin(state)
    logs, used = [], 0
    pre = engine.new_execution(state, ApiType.PRE_UPGRADE,
                               Message("pre_upgrade", caller=caller, time_ns=time_ns), None, limit)
    pre_func = old_live.func("canister_pre_upgrade")
    if not skip_pre_upgrade and pre_func is not None:
        err = engine.invoke(state, old_live, pre, pre_func)
        logs += pre.logs_with_trap(err)
        used += pre.used
        if err is not None:
            engine.rollback(state, undo)
            return _failed(state, err, logs, used)
    try:
        live = engine.runtime.instantiate(info)
    except ExecutionError as exc:
        engine.rollback(state, undo)
        return _failed(state, exc, logs, used)
    if persistence == "keep":
        live.write_heap(old_live.read_heap())
    old_module, state.module = state.module, info
    err, ex, post_logs, post_used = _start_and_init(
        engine, state, info, live, "canister_post_upgrade", arg, caller, time_ns, limit,
        (pre.balance, 0, pre.certified))
    logs += post_logs
    used += post_used
    state.module = old_module
    if err is not None:
        engine.rollback(state, undo)
        return _failed(state, err, logs, used)
    state.stable.commit()
    state.module = info
    engine.adopt(state, live)
    state.wasm = wasm if isinstance(wasm, (bytes, bytearray)) else info.wasm
    engine.commit_scalars(state, ex)
    return ExecutionResult(state, True, logs=logs, instructions=used,
                           cycles_burned=pre.burned + ex.burned)
