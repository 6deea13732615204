"""Calls between canisters on localnet: delivery, answers that come in a later round, and the
call contexts that stay open meanwhile (what ``stop_canister`` waits for).

A call and its callbacks run at once, inside the message that makes it, while their answers
come at once. ``raw_rand`` is answered a round later (as on the replica, which takes the
randomness of the next round), so a canister awaiting it, and every canister awaiting that
one, keeps its call context open across messages: its caller (``Message.reply_to``, or the
callback of a calling canister) is answered from the round that closes it. Open contexts live
in memory only: after a restart none are open (their callers get no answer).

The fault ``hold_call`` (match ``endpoint: canister_call``, ``canister``: the callee, ``method``,
``sender``: the calling canister; ``seconds``) holds a call at its await point: it is delivered
by the first round after ``seconds``, and meanwhile the caller's message has ended with its
state committed, as on the replica, where every await ends a message execution. Queries then
see that state (e.g. a factory's child ``Creating`` while its install is held).
"""
import time
from collections import deque

from _ic.principal import Principal

from .state import CallResponse

# Management methods the replica answers in a later round.
NEXT_ROUND = {"raw_rand"}


class Answer:
    """Where a call context's answer goes (the engine's ``CallContext.origin``): kept in
    ``value`` while the message that opened the context runs; after it, ``late(tx, outcome)``
    (the caller's continuation) receives it."""

    __slots__ = ("late", "value")

    def __init__(self):
        self.late = None
        self.value = None


class CallRouting:
    """The call-routing half of ``seam.LocalnetEngine`` (which provides ``node``, ``engine``,
    ``_state`` and ``_step``)."""

    def init_routing(self):
        """Start with no open call contexts and no calls waiting for a round."""
        self._open = {}              # canister id -> {id(cc): cc} of call contexts left open
        self._next_round = deque()   # (caller id, call) answered in the next round
        self._held = []              # (monotonic release time, caller id, call): hold_call

    def _run_calls(self, tx, cid, state, first, now):
        """Record ``first``, then deliver its calls and those of their callbacks (in the order
        they were made) while their answers come at once; a call answered later goes on in
        ``_resume``."""
        self._step(tx, cid, state, first, now)
        self._settled(tx, cid, first)
        self._drain(tx, deque((cid, call) for call in first.calls))

    def _drain(self, tx, pending):
        while pending:
            cid, call = pending.popleft()
            if tx.get(cid) is None:   # a callee deleted the caller: its calls go nowhere
                continue
            response = self._deliver(tx, cid, call)
            if response is not None:
                self._callback(tx, cid, call, response, pending)

    def _callback(self, tx, cid, call, response, pending):
        if tx.get(cid) is None:   # a callee deleted it: no callback is left to run
            return
        now = self.node.clock.canister_time_ns()
        state = self._state(tx, tx.mutable(cid))
        result = self.engine.run_callback(state, call.callback, response, now)
        self._step(tx, cid, state, result, now)
        self._settled(tx, cid, result)
        pending.extend((cid, c) for c in result.calls)

    def _resume(self, tx, cid, call, outcome, refund):
        """The answer to a call of ``cid`` came in a later round: run its callback and go on."""
        pending = deque()
        self._callback(tx, cid, call, call_response(outcome, refund), pending)
        self._drain(tx, pending)

    def _settled(self, tx, cid, result):
        """Pass on the answer a step gave its call context; track the context while open."""
        cc = result.call_context
        if cc is None:
            return
        origin = cc.origin
        if result.response is not None and isinstance(origin, Answer):
            if origin.late is not None:
                outcome = outcome_of(result.response)
                outcome.refund = result.refund
                origin.late(tx, outcome)
            elif origin.value is None:
                origin.value = (result.response, result.refund)
        if is_open(cc):
            self._open.setdefault(cid, {})[id(cc)] = cc
            return
        contexts = self._open.get(cid)
        if contexts and contexts.pop(id(cc), None) is not None and not contexts:
            del self._open[cid]
            self.node.management.call_contexts_closed(tx, cid)

    def _deliver(self, tx, cid, call, may_hold=True):
        """Send one call of canister ``cid``; its CallResponse, or None when it comes later."""
        from .. import canisters
        if call.callee == b"" and call.method in NEXT_ROUND:
            self._next_round.append((cid, call))
            return None
        if may_hold and self.node.faults.active:
            rule = self.node.faults.take("canister_call", (str(Principal(call.callee)),), call.method,
                                         str(cid), actions=("hold_call",))
            if rule is not None:
                self._held.append((time.monotonic() + rule["seconds"], cid, call))
                return None
        if call.callee == b"":
            outcome, refund = self.node.management.call_from_canister(
                tx, cid, call.method, call.arg, cycles=call.cycles,
                caller_version=_version(tx, cid),
                reply_to=lambda later_tx, late: self._resume(later_tx, cid, call, late,
                                                             call.cycles))
        else:
            outcome = canisters.deliver(self.node, tx, canisters.Message(
                Principal(call.callee), call.method, call.arg, cid, cycles=call.cycles,
                ingress=False,
                reply_to=lambda later_tx, late: self._resume(
                    later_tx, cid, call, late, getattr(late, "refund", call.cycles))))
            refund = getattr(outcome, "refund", call.cycles)
        if outcome.pending:
            return None
        return call_response(outcome, refund)

    def run_held_calls(self, tx):
        """Deliver the held calls whose time has come (fault ``hold_call``) and go on with
        their callers; returns how many."""
        if not self._held:
            return 0
        now = time.monotonic()
        due = [h for h in self._held if h[0] <= now]
        self._held = [h for h in self._held if h[0] > now]
        for _release, cid, call in due:
            if tx.get(cid) is None:
                continue
            pending = deque()
            response = self._deliver(tx, cid, call, may_hold=False)
            if response is not None:
                self._callback(tx, cid, call, response, pending)
            self._drain(tx, pending)
        return len(due)

    def run_next_round(self, tx):
        """Answer the calls waiting for this round (raw_rand); returns how many."""
        waiting, self._next_round = self._next_round, deque()
        for cid, call in waiting:
            if tx.get(cid) is None:
                continue
            outcome, refund = self.node.management.call_from_canister(
                tx, cid, call.method, call.arg, cycles=call.cycles,
                caller_version=_version(tx, cid))
            self._resume(tx, cid, call, outcome, refund)
        return len(waiting)

    def reject_open_contexts(self, tx, canister):
        """Uninstall: every call context of ``canister`` still waiting for its answer is
        rejected (CANISTER_REJECT); none stays open."""
        from ..requests import Outcome
        contexts = self._open.pop(canister.id, {})
        for cc in contexts.values():
            origin = cc.origin
            if not cc.responded and isinstance(origin, Answer) and origin.late is not None:
                origin.late(tx, Outcome(reject_code=4, reject_message=(
                    f"Canister {canister.id} has been uninstalled.")))
            cc.responded = True
        if contexts:
            self.node.management.call_contexts_closed(tx, canister.id)

    def open_call_contexts(self, canister):
        """How many call contexts of the canister wait for answers to its calls."""
        return len(self._open.get(canister.id, ()))


def _version(tx, cid):
    """The caller's canister version (None once it is gone)."""
    record = tx.get(cid)
    return record.version if record is not None else None


def is_open(cc):
    """Whether a call context still waits: unanswered, or with calls not yet answered."""
    return cc is not None and not (cc.responded and cc.outstanding == 0)


def call_response(outcome, refund=0):
    """The CallResponse a callback gets for an Outcome."""
    if outcome.replied:
        return CallResponse(reply=outcome.reply, refund=refund)
    return CallResponse(reject_code=outcome.reject_code,
                        reject_message=outcome.reject_message, refund=refund)


def outcome_of(response):
    """The localnet Outcome of an engine response (``("reply", bytes)`` or a reject tuple)."""
    from ..requests import Outcome
    if response[0] == "reply":
        return Outcome(reply=response[1])
    return Outcome(reject_code=response[1], reject_message=response[2], error_code=response[3])
