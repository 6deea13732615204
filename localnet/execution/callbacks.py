"""Running the reply, reject and cleanup callbacks of inter-canister calls."""
from . import errors
from .errors import ExecutionError, user_error
from .limits import QUERY_LIMIT, UPDATE_LIMIT
from .state import ExecutionResult, Message
from .system_api import ApiType


def _api(is_reply, composite):
    if composite:
        return ApiType.COMPOSITE_REPLY_CALLBACK if is_reply else ApiType.COMPOSITE_REJECT_CALLBACK
    return ApiType.REPLY_CALLBACK if is_reply else ApiType.REJECT_CALLBACK


def _call_table(engine, state, ex, index, env):
    live = state._live
    func = live.table_func(index)
    if func is None:
        return user_error(state.canister_id, errors.FUNCTION_NOT_FOUND,
                          f"Canister requested to invoke a non-existent Wasm function {index} "
                          "from table 0")
    return engine.invoke(state, live, ex, func, env)


def _commit(engine, state, ex):
    engine.commit_scalars(state, ex)
    state.stable.commit()
    state.version += 1


def run_callback(engine, state, callback, response, time_ns, instruction_limit):
    """Deliver ``response`` (CallResponse) to ``callback``; see ExecutionEngine.run_callback.

    Refunded cycles are credited and the call context's outstanding count drops before the
    callback runs, so both stay even if the callback traps.
    """
    cc = callback.call_context
    cc.outstanding -= 1
    state.cycles += response.refund
    if state.module is None:
        err = user_error(state.canister_id, errors.WASM_MODULE_NOT_FOUND,
                         "Attempted to execute a message, but the canister contains no Wasm module")
        result = ExecutionResult(state, False, error=err, call_context=cc)
        engine.settle(state, cc, None, err, result)
        return result
    is_reply = response.reply is not None
    composite = cc.composite
    limit = instruction_limit or (QUERY_LIMIT if composite else UPDATE_LIMIT)
    message = Message("callback", arg=response.reply or b"", caller=cc.caller, time_ns=time_ns,
                      replicated=not composite)
    engine.live(state)
    ex = engine.new_execution(state, _api(is_reply, composite), message, cc, limit)
    if not is_reply:
        ex.reject = (response.reject_code, response.reject_message)
    ex.refunded = response.refund
    fun, env = ((callback.reply_fun, callback.reply_env) if is_reply
                else (callback.reject_fun, callback.reject_env))
    if composite:
        return _composite_callback(engine, state, cc, ex, fun, env)
    undo = engine.begin(state)
    err = _call_table(engine, state, ex, fun, env)
    logs = ex.logs_with_trap(err)
    instructions = ex.used
    if err is None and not composite:
        _commit(engine, state, ex)
        result = ExecutionResult(state, True, logs=logs, calls=ex.calls, call_context=cc,
                                 cycles_accepted=ex.accepted_cycles, cycles_burned=ex.burned)
    else:
        engine.rollback(state, undo)
        result = ExecutionResult(state, False, error=err, logs=logs, call_context=cc,
                                 replicated=not composite)
        if err is not None and callback.cleanup_fun is not None:
            err = _cleanup(engine, state, callback, ex, message, limit, err, result)
            result.error = err
    result.instructions = instructions
    engine.settle(state, cc, ex, err, result)
    return result


def _composite_callback(engine, state, cc, ex, fun, env):
    """A callback inside a composite query: it works on the query's own (uncommitted) state,
    which the engine discards when the query's call context is done."""
    err = _call_table(engine, state, ex, fun, env)
    ex.finish_calls()
    result = ExecutionResult(state, False, error=err, logs=ex.logs_with_trap(err),
                             calls=ex.calls if err is None else [], call_context=cc,
                             instructions=ex.used, replicated=False)
    engine.settle(state, cc, ex, err, result)
    engine.close_query(state, cc)
    return result


def _cleanup(engine, state, callback, failed, message, limit, err, result):
    """Run the cleanup callback after a trapped reply/reject callback; returns the error."""
    api = ApiType.COMPOSITE_CLEANUP if callback.call_context.composite else ApiType.CLEANUP
    ex = engine.new_execution(state, api, message, callback.call_context, limit)
    ex.reject = failed.reject
    undo = engine.begin(state)
    cleanup_err = _call_table(engine, state, ex, callback.cleanup_fun, callback.cleanup_env)
    result.logs.extend(ex.logs_with_trap(cleanup_err))
    if cleanup_err is None:
        _commit(engine, state, ex)
        result.committed = True
        return err
    engine.rollback(state, undo)
    return ExecutionError(err.error_code,
                          f"{err.message}\n\ncall_on_cleanup also failed:\n\n{cleanup_err.message}")
