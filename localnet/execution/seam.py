"""Adapter from localnet's execution seam (docs/internals.md, "Execution seam") to the engine.

``create_engine(node)`` is what ``localnet.canisters.load_engine`` looks for. This is the only
module of the package that knows localnet's records and transactions, and it touches them
only through the documented seam: ``tx.read_blob/write_blob``, the canister record's fields,
``canisters.deliver`` and ``management.call_from_canister``.

Persistence: after every committed step the canister's memories go to blobs of the same
transaction, in 64 KiB chunks (``heap.<n>``, ``stable.<n>``) of which only the changed ones
are written, plus ``globals``; a fresh random token goes to ``canister.engine["token"]``. The
engine keeps each canister's live state (and the last saved bytes) in memory and reuses them
only while the record carries the token they were saved under, so a discarded transaction (a
query, a rejected nested call, a snapshot load) makes the next message reload the blobs.
``canister.engine`` also keeps ``timer`` (the global timer, ns) and ``heartbeat`` (the module
exports ``canister_heartbeat``), which ``run_timers`` reads without loading the canister.

Calls between canisters, answers that come in a later round and the call contexts left open
meanwhile are in routing.py (``CallRouting``).

Cycles (fees.py): an ingress message pays its induction and every execution (update,
callback, system task, install) its base fee plus instructions, also when it traps; a message
whose base fees would take the canister under its freezing limit is refused with IC0207.
"""
import os
from collections import OrderedDict, deque

from _ic import cbor
from _ic.errors import Reject
from _ic.principal import Principal

from . import fees
from .engine import ExecutionEngine
from .query_stats import QueryStats
from .restore import from_snapshot
from .routing import Answer, CallRouting, call_response, is_open, outcome_of
from .state import RUNNING, STOPPED, STOPPING, CanisterSnapshot, Message

_STATUS = {"running": RUNNING, "stopping": STOPPING, "stopped": STOPPED}
CHUNK = 65536
MAX_CACHED = 32
_ZERO = bytes(CHUNK)
_INSPECT_REJECTED = "IC0406"


def create_engine(node):
    """The seam object for ``node``."""
    return LocalnetEngine(node)


def _reject(code, message):
    return Reject(int(code[3]), message, code)


class LocalnetEngine(CallRouting):
    """install / execute / query / inspect_message / uninstall for localnet's node."""

    def __init__(self, node):
        self.node = node
        # Compiled modules are shareable between state dirs (tests start many nodes).
        cache_dir = (os.environ.get("LOCALNET_WASM_CACHE")
                     or os.path.join(node.state_dir, "wasm-cache"))
        # Each cached canister holds its heap up to three times (live memory, rollback copy,
        # last saved bytes), so the cache stays small; others reload from their blobs.
        self.engine = ExecutionEngine(
            cache_dir=cache_dir, root_key=node.keys.root_key_der,
            subnet_id=node.keys.subnet_id.raw, max_live=MAX_CACHED,
            subnet_of=lambda raw: node.subnet_of(Principal(raw)).subnet_id.raw)
        self._cache = _Cache(self.engine, self.engine.max_live)
        self.query_stats = QueryStats()
        self.init_routing()

    # -- state sync -----------------------------------------------------------------------
    def _state(self, blobs, canister):
        """The canister's CanisterState, reloaded from blobs unless the cache is current."""
        token = canister.engine.get("token")
        cached = self._cache.get(canister.id, token)
        if cached is not None:
            state = cached[1]
        else:
            state, saved = self._load(blobs, canister)
            self._cache.put(canister.id, token, state, saved)
        state.controllers = [p.raw for p in canister.controllers]
        state.cycles = canister.cycles
        state.version = canister.version
        state.status = _STATUS.get(canister.status, RUNNING)
        state.certified_data = canister.certified_data
        state.global_timer = canister.engine.get("timer", 0)
        settings = canister.settings
        state.wasm_memory_limit = settings.get("wasm_memory_limit", 0)
        state.env_vars = {v["name"]: v["value"]
                          for v in settings.get("environment_variables") or []}
        return state

    def _load(self, blobs, canister):
        cid = canister.id
        wasm = blobs.read_blob(cid, "wasm") if not canister.is_empty else None
        globals_blob = blobs.read_blob(cid, "globals")
        snapshot = CanisterSnapshot(
            canister_id=cid.raw, wasm=wasm,
            heap=_read_chunks(blobs, cid, "heap", canister.wasm_memory_size),
            globals=[tuple(g) for g in cbor.loads(globals_blob)] if globals_blob else [],
            stable=_read_chunks(blobs, cid, "stable", canister.stable_memory_size),
            certified_data=b"", global_timer=0,
            cycles=0, controllers=[], version=0, status=RUNNING, env_vars={},
            wasm_memory_limit=0)
        return from_snapshot(snapshot, self.engine), {"heap": snapshot.heap,
                                                      "stable": snapshot.stable}

    def _save(self, tx, canister, state):
        """Write a committed state into ``tx``: blobs, record fields and a new token."""
        snap = state.snapshot()
        cid = canister.id
        cached = self._cache.get(cid, canister.engine.get("token"))
        previous = cached[2] if cached is not None and cached[1] is state else {}
        for name in ("heap", "stable"):
            _write_chunks(tx, cid, name, getattr(snap, name), previous.get(name))
        tx.write_blob(cid, "globals", cbor.dumps([list(g) for g in snap.globals]))
        canister.cycles = state.cycles
        canister.version = state.version
        canister.certified_data = state.certified_data
        canister.wasm_memory_size = len(snap.heap)
        canister.stable_memory_size = len(snap.stable)
        canister.global_memory_size = 8 * len(snap.globals)
        token = os.urandom(8).hex()
        canister.engine = dict(canister.engine, token=token, timer=state.global_timer,
                               heartbeat=_exports(state, "canister_heartbeat"))
        self._cache.put(cid, token, state, {"heap": snap.heap, "stable": snap.stable})

    def _log(self, canister, result, now):
        records = result.canister_logs
        if not records:
            return
        for _idx, content in records:
            canister.logs.append({"idx": canister.next_log_idx, "timestamp_nanos": now,
                                  "content": bytes(content)})
            canister.next_log_idx += 1
        limit = canister.settings.get("log_memory_limit", 4096)
        while canister.logs and sum(len(r["content"]) for r in canister.logs) > limit:
            canister.logs.pop(0)

    # -- the seam -------------------------------------------------------------------------
    def install(self, tx, canister, mode, wasm, arg, caller, options):
        """install / reinstall / upgrade; raises Reject on failure (nothing changes)."""
        now = self.node.clock.canister_time_ns()
        state = self._state(tx, canister)
        if mode == "upgrade":
            persistence = options.get("wasm_memory_persistence")
            result = self.engine.upgrade(
                state, wasm, arg, caller.raw, now,
                wasm_memory_persistence=next(iter(persistence)) if persistence else None,
                skip_pre_upgrade=bool(options.get("skip_pre_upgrade")))
        else:
            result = self.engine.install(state, wasm, arg, caller.raw, now, mode=mode)
        self._log(canister, result, now)
        if not result.committed:
            raise _reject(result.error.error_code, result.error.message)
        self._save(tx, canister, state)
        self._charge(tx, canister, fees.execution(result.instructions, _wasm64(state)))

    def _charge(self, tx, canister, amount):
        """Take ``amount`` cycles (never below zero); they count as consumed by its subnet."""
        from .. import cycles
        taken = min(amount, canister.cycles)
        canister.cycles -= taken
        cycles.add_consumed(tx, canister.subnet, taken)

    def _prepay(self, tx, canister, message):
        """Refuse (IC0207) a message the canister cannot pay the base fees of without falling
        under its freezing limit; charge the induction of an ingress message. Returns a
        reject Outcome or None."""
        from ..requests import Outcome
        induction = fees.ingress(message.method, message.arg) if message.ingress else 0
        try:
            self._check_affordable(canister, induction + fees.UPDATE_BASE_FEE)
        except Reject as err:
            return Outcome.of_reject(err)
        self._charge(tx, canister, induction)
        return None

    def _check_affordable(self, canister, cost):
        from .. import cycles
        cycles.check_not_frozen(canister, self.node.clock.canister_time_ns(), cost=cost)

    def execute(self, tx, canister, message):
        """An update (or a call from a canister). Its calls run at once while their answers
        come at once; when one is answered in a later round, the message's answer comes then
        too, through ``message.reply_to`` (an Outcome with ``pending`` is returned now)."""
        from ..requests import Outcome
        refused = self._prepay(tx, canister, message)
        if refused is not None:
            refused.refund = message.cycles
            return refused
        now = self.node.clock.canister_time_ns()
        state = self._state(tx, canister)
        answer = Answer()
        result = self.engine.run(state, Message(
            "update", message.method, message.arg, message.caller.raw, cycles=message.cycles,
            time_ns=now, origin=answer))
        self._run_calls(tx, canister.id, state, result, now)
        reply_to = getattr(message, "reply_to", None)
        if answer.value is None and reply_to is not None and is_open(result.call_context):
            answer.late = reply_to
            return Outcome.later()
        if answer.value is None:
            text = result.error.message if result.error else "no response"
            answer.value = (("reject", 5, text, "IC0506"), 0)
        outcome = outcome_of(answer.value[0])
        outcome.refund = answer.value[1]
        return outcome

    def _step(self, tx, cid, state, result, now):
        # A nested transaction may have replaced the working copy: always write the current one.
        canister = tx.mutable(cid)
        self.node.metrics.executed(canister.subnet)
        self._log(canister, result, now)
        if result.committed:
            self._save(tx, canister, state)
        cost = fees.execution(result.instructions, _wasm64(state))
        if result.committed:
            cost += fees.outgoing_calls(result.calls)
        self._charge(tx, canister, cost)

    def query(self, tx, canister, message):
        """A query: run on the current state, nothing kept."""
        from ..requests import Outcome
        now = self.node.clock.canister_time_ns()
        state = self._state(tx, canister)
        cid = canister.id.raw
        data = canister.certified_data

        certifier = self.node.certifier_of(self.node.topology.subnets[canister.subnet])

        def certificate():
            return certifier.certificate({b"canister": {cid: {b"certified_data": data}}})
        result = self.engine.run(state, Message(
            "query", message.method, message.arg, message.caller.raw, time_ns=now,
            replicated=False, data_certificate=certificate))
        response, pending = result.response, deque(result.calls)
        instructions = result.instructions
        while pending:   # a composite query's calls: queries, answered at once
            call = pending.popleft()
            answer = self._query_call(tx, canister.id, call)
            result = self.engine.run_callback(state, call.callback, answer, now)
            instructions += result.instructions
            response = response or result.response
            pending.extend(result.calls)
        outcome = outcome_of(response)
        self.query_stats.count(canister.id, instructions, len(message.arg),
                               len(outcome.reply) if outcome.replied else 0)
        return outcome

    def _query_call(self, tx, source, call):
        from .. import canisters
        from ..requests import Outcome
        message = canisters.Message(Principal(call.callee), call.method, call.arg, source,
                                    kind="query", ingress=False)
        if call.callee == b"":
            try:
                outcome = Outcome(reply=self.node.management.query(tx, message, self.node.subnet_of(source)))
            except Reject as err:
                outcome = Outcome.of_reject(err)
        elif len(self.node.topology.subnets) > 1 and \
                self.node.subnet_of(message.canister_id) is not self.node.subnet_of(source):
            # The replica runs a composite query's calls against its own subnet's state only
            # (dfinity/ic rs/execution_environment/src/query_handler/query_context.rs,
            # handle_request -> get_active_canister): a canister elsewhere is not found.
            outcome = Outcome(reject_code=3, error_code="IC0301",
                              reject_message=f"Canister {message.canister_id} not found")
        else:
            outcome = canisters.run_query(self.node, tx, message)
        return call_response(outcome)

    def inspect_message(self, canister, message):
        """Refuse ingress the canister cannot pay for (IC0207, as the replica does before
        induction) or that canister_inspect_message does not accept."""
        self._check_affordable(canister, fees.ingress(message.method, message.arg)
                               + fees.UPDATE_BASE_FEE)
        # Ingress filtering runs outside the node's lock; the cached states need it.
        with self.node.lock:
            state = self._state(self.node.store, canister)
            result = self.engine.run(state, Message(
                "inspect_message", message.method, message.arg, message.caller.raw,
                time_ns=self.node.clock.canister_time_ns(), replicated=False))
        if result.error is not None:
            raise _reject(result.error.error_code, result.error.message)
        if not result.accepted:
            raise _reject(_INSPECT_REJECTED, f"Error from Canister {canister.id}: Canister "
                                             "rejected the message")

    def run_timers(self, tx):
        """One round of system tasks: the heartbeat of every running canister that exports
        ``canister_heartbeat`` and the global timer of those whose timer is due (frozen
        canisters run nothing); also brings the records' query_stats up to date. Returns how
        many records it changed or tasks it ran (the node then commits ``tx``)."""
        from .. import cycles
        ran = self.run_next_round(tx) + self.run_held_calls(tx)
        now = self.node.clock.canister_time_ns()
        ran += self.query_stats.flush(tx)
        for cid in [c.id for c in tx.all_canisters()]:
            record = tx.get(cid)   # an earlier task of this round may have changed or deleted it
            if record is None:
                continue
            timer = record.engine.get("timer", 0)
            due = bool(timer) and timer <= now
            beats = bool(record.engine.get("heartbeat"))
            if record.is_empty or record.status != "running" or not (due or beats):
                continue
            try:
                cycles.check_not_frozen(record, now, cost=fees.UPDATE_BASE_FEE)
            except Reject:
                continue
            canister = tx.mutable(cid)
            cycles.settle_idle_burn(canister, now)
            if beats:
                self._system_task(tx, canister, "heartbeat", now)
                ran += 1
            if due and tx.get(cid) is not None:
                self._system_task(tx, tx.mutable(cid), "global_timer", now)
                ran += 1
        return ran

    def _system_task(self, tx, canister, kind, now):
        state = self._state(tx, canister)
        result = self.engine.run(state, Message(kind, time_ns=now))
        if kind == "global_timer":
            # The timer is off once the task starts, even if the task traps.
            canister.engine = dict(canister.engine, timer=state.global_timer)
        self._run_calls(tx, canister.id, state, result, now)

    def uninstall(self, tx, canister):
        """Drop the in-memory state (the management canister clears the blobs); call contexts
        still waiting for their answers are rejected."""
        self._cache.drop(canister.id)
        self.reject_open_contexts(tx, canister)


class _Cache:
    """Per canister: (token, live CanisterState, bytes last saved); least recently used out.

    Bounded like the engine's live instances: a canister that falls out is reloaded from its
    blobs when it is next called.
    """

    def __init__(self, engine, size):
        self.engine = engine
        self.size = size
        self.items = OrderedDict()

    def get(self, cid, token):
        """The entry if it was saved under ``token``, else None."""
        item = self.items.get(cid)
        if item is None or token is None or item[0] != token:
            return None
        self.items.move_to_end(cid)
        return item

    def put(self, cid, token, state, saved):
        """Remember ``state`` (and what its blobs hold) under ``token``."""
        old = self.items.get(cid)
        if old is not None and old[1] is not state:
            self.engine.forget(old[1])
        self.items[cid] = (token, state, saved)
        self.items.move_to_end(cid)
        while len(self.items) > self.size:
            _cid, (_token, cold, _saved) = self.items.popitem(last=False)
            self.engine.forget(cold)

    def drop(self, cid):
        """Forget a canister (uninstall)."""
        item = self.items.pop(cid, None)
        if item is not None:
            self.engine.forget(item[1])


def _chunk_names(blobs, cid, name):
    return [n for n in blobs.blob_names(cid, name + ".") if n[len(name) + 1:].isdigit()]


def _read_chunks(blobs, cid, name, size):
    """``size`` bytes from the chunks of ``name``; chunks not stored are zeros."""
    data = bytearray(size)
    for chunk_name in _chunk_names(blobs, cid, name):
        start = int(chunk_name[len(name) + 1:]) * CHUNK
        if start < size:
            part = blobs.read_blob(cid, chunk_name) or b""
            data[start:start + len(part)] = part
    return bytes(data)


def _write_chunks(tx, cid, name, data, previous):
    """Store ``data`` as chunks, skipping those equal to ``previous`` (None: unknown) and
    leaving out all-zero ones (most of a fresh Motoko heap)."""
    count = (len(data) + CHUNK - 1) // CHUNK
    for i in range(count):
        part = data[i * CHUNK:(i + 1) * CHUNK]
        if previous is not None and previous[i * CHUNK:(i + 1) * CHUNK] == part:
            continue
        zero = part == _ZERO[:len(part)]
        tx.write_blob(cid, f"{name}.{i:06d}", None if zero else part)
    if previous is not None and len(previous) <= len(data):
        return
    for chunk_name in _chunk_names(tx, cid, name):
        if int(chunk_name[len(name) + 1:]) >= count:
            tx.write_blob(cid, chunk_name, None)


def _exports(state, name):
    return state.module is not None and name in state.module.system_exports


def _wasm64(state):
    return state.module is not None and state.module.memory64
