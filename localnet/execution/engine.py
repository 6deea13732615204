"""ExecutionEngine: runs canister messages atomically on live wasmtime instances."""
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass

import wasmtime

from . import callbacks, errors, lifecycle, validation
from .errors import ExecutionError, HostTrap, user_error
from .host import Execution
from .runtime import Runtime
from .limits import INSPECT_LIMIT, INSTALL_LIMIT, QUERY_LIMIT, UPDATE_LIMIT
from .stable import StableMemory
from .state import CallContext, ExecutionResult, reject_response as _reject
from .system_api import ApiType

LOG = logging.getLogger(__name__)
DISCARDING = (ApiType.REPLICATED_QUERY, ApiType.NON_REPLICATED_QUERY, ApiType.COMPOSITE_QUERY,
              ApiType.INSPECT_MESSAGE)
MEMORY_LIMITED = (ApiType.UPDATE, ApiType.INIT)
SYSTEM_TASKS = {"heartbeat": "canister_heartbeat", "global_timer": "canister_global_timer",
                "on_low_wasm_memory": "canister_on_low_wasm_memory"}


@dataclass
class _Undo:
    heap: bytes
    globals: list


class ExecutionEngine:
    """Executes canister Wasm with the IC System API.

    ``root_key`` (DER) and ``subnet_id`` (bytes) are what ``ic0.root_key_*`` and
    ``ic0.subnet_self_*`` return (``subnet_of(canister_id_raw) -> bytes``, when given, names
    each canister's own subnet instead); ``minting_canisters`` may call ``ic0.mint_cycles128``;
    ``cache_dir`` keeps compiled modules across processes; ``max_live`` bounds how many
    canisters keep a live instance (the others keep their memory as bytes).
    """

    def __init__(self, cache_dir=None, root_key=b"", subnet_id=b"", minting_canisters=(),
                 max_live=64, subnet_of=None):
        self.runtime = Runtime(cache_dir)
        self.root_key = bytes(root_key)
        self.subnet_id = bytes(subnet_id)
        self._subnet_of = subnet_of
        self._minting = {bytes(c) for c in minting_canisters}
        self.max_live = max_live
        self._hot = OrderedDict()
        self.lock = threading.RLock()

    def subnet_id_of(self, canister_id):
        """The id (bytes) of the subnet that runs ``canister_id`` (``ic0.subnet_self``)."""
        return self._subnet_of(canister_id) if self._subnet_of else self.subnet_id

    def may_mint(self, canister_id):
        """Whether a canister may mint cycles (the CMC)."""
        return canister_id in self._minting

    def validate(self, wasm):
        """Check and compile a module as install_code would; ModuleInfo or ExecutionError."""
        info = validation.validate(wasm)
        with self.lock:
            self.runtime.compiled(info)
        return info

    # -- live instances -------------------------------------------------------------------
    def live(self, state):
        """The live instance of a non-empty canister, restoring it from bytes if needed."""
        key = id(state)
        if state._live is not None:
            self._hot.move_to_end(key)
            return state._live
        inst = self.runtime.instantiate(state.module)
        inst.write_heap(state._heap)
        inst.write_globals(state._globals)
        self.adopt(state, inst)
        return inst

    def adopt(self, state, inst):
        """Make ``inst`` the state's live instance and keep the hot set bounded."""
        state._live = inst
        state._heap, state._globals = b"", []
        self._hot[id(state)] = state
        self._hot.move_to_end(id(state))
        while len(self._hot) > self.max_live:
            _key, cold = self._hot.popitem(last=False)
            cold.detach()

    def evict(self, state):
        """Drop the state's live instance (keeping its memory as bytes)."""
        with self.lock:
            self._hot.pop(id(state), None)
            state.detach()

    def forget(self, state):
        """Release everything the engine holds for a state that is no longer used."""
        with self.lock:
            self.discard_live(state)

    def discard_live(self, state):
        """Forget the state's live instance without saving its memory (code is replaced)."""
        self._hot.pop(id(state), None)
        state._live = None

    def begin(self, state):
        """Snapshot what a trap must restore; starts the stable-memory journal.

        The memory copy is kept on the instance. For modules whose stores are tracked it is
        brought up to date by copying only the pages written since; otherwise it is reused
        while no Wasm has run since it was taken or restored, and retaken in full after.
        """
        live = state._live
        state.stable.begin()
        clean = live.clean
        if live.dirty is not None and clean is not None:
            heap = clean.heap
            live.copy_pages(heap, live.take_dirty_pages(), to_heap=False)
            if live.heap_size() > len(heap):
                heap += live.read_heap()[len(heap):]
            live.clean = _Undo(heap, live.raw_globals())
        elif clean is None or live.touched:
            live.clean = _Undo(live.copy_heap_into(clean.heap if clean else None),
                               live.raw_globals())
            if live.dirty is not None:
                live.take_dirty_pages()
        live.touched = False
        return live.clean

    def rollback(self, state, undo):
        """Restore the snapshot taken by ``begin``."""
        live = state._live
        if live.heap_size() != len(undo.heap):
            # Wasm memory cannot shrink: rebuild the instance from the snapshot.
            live = self.runtime.instantiate(state.module)
            live.write_heap(undo.heap)
            self.adopt(state, live)
        elif live.dirty is not None:
            live.copy_pages(undo.heap, live.take_dirty_pages(), to_heap=True)
        else:
            live.write_heap(undo.heap)
        live.write_raw_globals(undo.globals)
        live.clean, live.touched = undo, False
        state.stable.rollback()

    # -- invoking Wasm --------------------------------------------------------------------
    def invoke(self, state, live, ex, func, *args):
        """Call ``func`` with fuel = ``ex.limit``; return an ExecutionError or None."""
        ex.store, ex.memory, ex.dirty = live.store, live.memory, live.dirty
        live.touched = True
        live.store.set_fuel(ex.limit)
        self.runtime.current = ex
        try:
            func(live.store, *args)
            return None
        except HostTrap as trap:
            ex.trap_text = trap.log
            return user_error(state.canister_id, trap.error_code, trap.text)
        except wasmtime.Trap as trap:
            if trap.trap_code == wasmtime.TrapCode.OUT_OF_FUEL:
                text = (f"Canister exceeded the limit of {ex.limit} instructions for single "
                        "message execution")
                ex.trap_text = text
                return user_error(state.canister_id, errors.INSTRUCTION_LIMIT, text)
            code = trap.trap_code.name if trap.trap_code is not None else ""
            ex.trap_text = errors.wasm_trap_text(code, trap.message)
            return user_error(state.canister_id, errors.CANISTER_TRAPPED,
                              f"Canister trapped: {ex.trap_text}")
        except wasmtime.WasmtimeError as exc:
            ex.trap_text = str(exc).splitlines()[0]
            return user_error(state.canister_id, errors.CANISTER_TRAPPED,
                              f"Canister trapped: {ex.trap_text}")
        except Exception as exc:  # noqa: BLE001 - a host bug must not break atomicity
            LOG.exception("internal error while executing canister code")
            ex.trap_text = f"internal error in localnet: {exc!r}"
            return user_error(state.canister_id, errors.CANISTER_TRAPPED,
                              f"Canister trapped: {ex.trap_text}")
        finally:
            self.runtime.current = None
            ex.used = ex.limit - live.store.get_fuel()

    def memory_limit_error(self, state, live, size_before=0):
        """IC0539 if the main memory grew past the canister's wasm_memory_limit."""
        size, limit = live.heap_size(), state.wasm_memory_limit
        if not limit or size <= limit or size <= size_before:
            return None
        return user_error(
            state.canister_id, errors.WASM_MEMORY_LIMIT,
            f"Canister exceeded its current Wasm memory limit of {limit} bytes. The peak Wasm "
            f"memory usage was {size} bytes. If the canister reaches 4GiB, then it may stop "
            "functioning and may become unrecoverable. Please reach out to the canister owner to "
            "investigate the reason for the increased memory usage. It might be necessary to "
            "move data from the Wasm memory to the stable memory. If such high Wasm memory usage "
            "is expected and safe, then the developer can increase the Wasm memory limit in the "
            "canister settings")

    def new_execution(self, state, api, message, call_context, limit):
        """An Execution with the engine's environment."""
        return Execution(state, api, message, call_context, self, limit)

    @staticmethod
    def commit_scalars(state, ex):
        """Write an execution's cycles, timer and certified data into the state."""
        ex.finish_calls()
        state.cycles = ex.balance
        state.global_timer = ex.timer
        state.certified_data = ex.certified

    # -- messages -------------------------------------------------------------------------
    def _entry(self, state, message):
        """(export, api type, default limit) for a message, or raise ExecutionError."""
        info, kind, name = state.module, message.kind, message.method
        if kind == "update":
            if name in info.update_methods:
                return f"canister_update {name}", ApiType.UPDATE, UPDATE_LIMIT
            if name in info.query_methods:
                return f"canister_query {name}", ApiType.REPLICATED_QUERY, UPDATE_LIMIT
            raise user_error(state.canister_id, errors.METHOD_NOT_FOUND,
                             f"Canister has no update method '{name}'")
        if kind in ("query", "composite_query"):
            if name in info.query_methods:
                return f"canister_query {name}", ApiType.NON_REPLICATED_QUERY, QUERY_LIMIT
            if name in info.composite_query_methods:
                return (f"canister_composite_query {name}", ApiType.COMPOSITE_QUERY,
                        QUERY_LIMIT)
            raise user_error(state.canister_id, errors.METHOD_NOT_FOUND,
                             f"Canister has no query method '{name}'")
        if kind == "inspect_message":
            return "canister_inspect_message", ApiType.INSPECT_MESSAGE, INSPECT_LIMIT
        if kind in SYSTEM_TASKS:
            return SYSTEM_TASKS[kind], ApiType.SYSTEM_TASK, UPDATE_LIMIT
        raise ValueError(f"unknown message kind {kind!r} (install/upgrade have their own calls)")

    def run(self, state, message):
        """Execute one message (update, query, composite_query, inspect_message, heartbeat,
        global_timer, on_low_wasm_memory) atomically; return an ExecutionResult."""
        with self.lock:
            return self._run(state, message)

    def _run(self, state, message):
        cc = None
        if message.kind in ("update", "query", "composite_query"):
            cc = CallContext(message.caller, message.method, message.cycles,
                             deadline=message.deadline, origin=message.origin)
        elif message.kind in SYSTEM_TASKS:
            # The callbacks of calls a timer or heartbeat makes need a call context; there is
            # no caller to answer, as in the replica's system-task call origin.
            cc = CallContext(b"", message.kind, responded=True, origin=message.origin)
        try:
            if state._open_query is not None:
                raise user_error(state.canister_id, errors.CONTRACT_VIOLATION,
                                 "localnet runs one composite query per canister at a time; "
                                 "this message arrived while one waits for its calls")
            if state.module is None:
                raise user_error(state.canister_id, errors.WASM_MODULE_NOT_FOUND,
                                 "Attempted to execute a message, but the canister contains no "
                                 "Wasm module")
            export, api, default_limit = self._entry(state, message)
        except ExecutionError as err:
            result = ExecutionResult(state, False, response=_reject(err), error=err,
                                     call_context=cc, refund=message.cycles)
            if cc is not None:
                cc.responded, cc.cycles_available = True, 0
            return result
        if cc is not None:
            cc.composite = api == ApiType.COMPOSITE_QUERY
        if message.kind == "global_timer":
            state.global_timer = 0
        live = self.live(state)
        func = live.func(export)
        if func is None:
            return ExecutionResult(state, True, accepted=api == ApiType.INSPECT_MESSAGE)
        ex = self.new_execution(state, api, message, cc,
                                message.instruction_limit or default_limit)
        undo = self.begin(state)
        err = self.invoke(state, live, ex, func)
        if err is None and api in MEMORY_LIMITED:
            err = self.memory_limit_error(state, live, len(undo.heap))
        if err is None and api == ApiType.COMPOSITE_QUERY and ex.calls:
            # Its callbacks run on what it changed; all of it goes when the query ends.
            ex.finish_calls()
            cc.undo, state._open_query = undo, cc
        elif err is not None or api in DISCARDING:
            self.rollback(state, undo)
        result = ExecutionResult(state, err is None and api not in DISCARDING, error=err,
                                 logs=ex.logs_with_trap(err), call_context=cc,
                                 instructions=ex.used, replicated=ex.replicated)
        if api == ApiType.INSPECT_MESSAGE:
            result.accepted = err is None and ex.accepted_message
            return result
        if err is None and api == ApiType.REPLICATED_QUERY:
            state.version += 1
        if err is None and api not in DISCARDING:
            self.commit_scalars(state, ex)
            state.stable.commit()
            state.version += 1
            result.cycles_accepted, result.cycles_burned = ex.accepted_cycles, ex.burned
        if err is None and (api not in DISCARDING or state._open_query is cc):
            result.calls = ex.calls
        if cc is not None:
            self.settle(state, cc, ex, err, result)
            self.close_query(state, cc)
        return result

    def close_query(self, state, cc):
        """Discard what a composite query changed once its call context is done."""
        if state._open_query is cc and cc.responded and cc.outstanding == 0:
            state._open_query = None
            self.rollback(state, cc.undo)

    @staticmethod
    def settle(state, cc, ex, err, result):
        """Decide what the originator of call context ``cc`` receives now, if anything."""
        if err is None:
            cc.outstanding += len(result.calls)
            if result.committed:
                cc.cycles_available = ex.available
            result.response = ex.response
        elif not cc.responded and cc.outstanding == 0:
            result.response = _reject(err)
        if err is None and result.response is None and not cc.responded and cc.outstanding == 0:
            result.response = ("reject", 5, f"Canister {errors.canister_text(state.canister_id)} "
                               "did not reply to the call", errors.DID_NOT_REPLY)
        if result.response is not None:
            from_ex = err is None and ex.response is not None and result.committed
            result.refund = ex.refund if from_ex else cc.cycles_available
            cc.responded = True
            cc.cycles_available = 0

    # -- callbacks ------------------------------------------------------------------------
    def run_callback(self, state, callback, response, time_ns=0, instruction_limit=None):
        """Deliver the response (CallResponse) of an outgoing call to its callback."""
        with self.lock:
            return callbacks.run_callback(self, state, callback, response, time_ns, instruction_limit)

    # -- code installation ----------------------------------------------------------------
    def install(self, state, wasm, arg=b"", caller=b"", time_ns=0, mode="install",
                instruction_limit=None):
        """Install (or reinstall) ``wasm``: fresh instance, start, canister_init(arg)."""
        with self.lock:
            return lifecycle.install(self, state, wasm, arg, caller, time_ns, mode,
                                     instruction_limit or INSTALL_LIMIT)

    def upgrade(self, state, wasm, arg=b"", caller=b"", time_ns=0, wasm_memory_persistence=None,
                skip_pre_upgrade=False, instruction_limit=None):
        """pre_upgrade on the old module, then start and post_upgrade(arg) on the new one;
        all or nothing. ``wasm_memory_persistence`` is None, "keep" or "replace"."""
        with self.lock:
            return lifecycle.upgrade(self, state, wasm, arg, caller, time_ns, wasm_memory_persistence,
                                     skip_pre_upgrade, instruction_limit or INSTALL_LIMIT)

    def uninstall(self, state):
        """Remove code, main and stable memory, certified data and the timer."""
        with self.lock:
            self.discard_live(state)
            state._heap, state._globals = b"", []
            state.module = state.wasm = None
            state.stable = StableMemory()
            state.certified_data = b""
            state.global_timer = 0
