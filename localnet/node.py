"""The network's one node: state, keys, clock, ingress history, management and execution.

Everything that changes state runs under ``self.lock`` (one message at a time, as a replica's
deterministic execution does) in a store transaction that is committed as a whole.
"""
import logging
import os
import threading
import time

from _ic import cbor
from _ic.errors import Reject
from _ic.principal import Principal

from . import canisters, cycles, held_calls, ledger, system_canisters
from .certify import Certifier
from .clock import Clock
from .faults import Faults
from .ingress import check_effective_canister
from .keys import Keys
from .management import Management
from .management.context import LATER
from .metrics import Metrics
from .requests import IngressHistory, Outcome
from .store import Store
from .subnets import Topology

MANAGEMENT = Principal.management()
_PRUNE_EVERY = 256
SYNC_CALL_TIMEOUT = 10.0
TIMER_INTERVAL = 0.2
log = logging.getLogger("localnet.node")


class Node:
    """An IC network of one or more subnets (one node each) over a state directory."""

    def __init__(self, state_dir, clean=False, reply_shape="spec", subnets=1,
                 sync_call_timeout=SYNC_CALL_TIMEOUT):
        if clean:
            for name in ("state.sqlite3", "state.sqlite3-wal", "state.sqlite3-shm",
                         "root_key.hex"):
                path = os.path.join(state_dir, name)
                if os.path.exists(path):
                    os.remove(path)
        self.state_dir = state_dir
        # The management replies' shape: an older replica's, the spec's or a newer one's.
        self.reply_shape = reply_shape
        # How long a v3/v4 call waits for its answer before the 202 (the replica's ingress timeout).
        self.sync_call_timeout = float(sync_call_timeout)
        self.store = Store(state_dir)
        self.keys = Keys.load_or_create(self.store)
        self.clock = Clock(self.store.get_meta("clock_offset", 0))
        try:
            self.topology = Topology(self.keys, self.store, self.clock, subnets)
            self._check_subnets()
        except ValueError:
            self.store.close()
            raise
        self._certifiers = [Certifier(s, self.clock, lambda fmt, s=s: self.topology.delegation(s, fmt))
                            for s in self.topology.subnets]
        self.certifier = self._certifiers[0]
        self.history = IngressHistory(self.store)
        self.history.prune(self.clock.now_ns())
        self.metrics = Metrics()
        self.faults = Faults()
        self.lock = threading.RLock()
        self.management = Management(self)
        self.engine = canisters.load_engine(self)
        self._calls_since_prune = 0
        self._answered_later = []   # (history entry, Outcome) to record once committed
        self._stopping = threading.Event()
        self._timers = None
        system_canisters.ensure(self.store, self.clock.canister_time_ns())
        self._held_ids = set()      # request ids of calls held by hold_processing
        system_canisters.resume_held(self)
        self._resume_held_calls()

    def _check_subnets(self):
        beyond = sorted({c.subnet for c in self.store.canisters.values()
                         if c.subnet >= len(self.topology)})
        if beyond:
            raise ValueError(f"subnets: the state directory holds canisters on subnet "
                             f"{beyond[-1] + 1}; serve it with --subnets {beyond[-1] + 1} or more")

    def subnet_of(self, canister_id):
        """The subnet that holds ``canister_id`` (its record's), else the one whose ranges
        would hold it, else the root subnet."""
        canister = self.store.get(canister_id)
        if canister is not None:
            return self.topology.subnets[canister.subnet]
        return self.topology.by_range(canister_id) or self.topology.root

    def certifier_of(self, subnet):
        """The Certifier that signs for ``subnet``."""
        return self._certifiers[subnet.index]

    def start_timers(self, interval=TIMER_INTERVAL):
        """Fire due canister timers (``ic0.global_timer_set``) every ``interval`` seconds."""
        if self.engine is None or not hasattr(self.engine, "run_timers") or self._timers:
            return
        self._timers = threading.Thread(target=self._timer_loop, args=(interval,),
                                        name="localnet-timers", daemon=True)
        self._timers.start()

    def _timer_loop(self, interval):
        while not self._stopping.wait(interval):
            try:
                with self.lock:
                    tx = self.store.transaction()
                    ran = self.engine.run_timers(tx)
                    ran += self.management.expire_stops(tx, self.clock.canister_time_ns())
                    if ran:
                        tx.commit()
                    self._record_later_answers()
            except Exception:  # noqa: BLE001 - a failing timer must not stop the others
                log.exception("running canister timers failed")

    def close(self):
        """Stop the timers and release the store."""
        self._stopping.set()
        if self._timers is not None:
            self._timers.join(5)
        with self.lock:
            self.store.close()

    # --- update calls ---------------------------------------------------------------------
    def call(self, request, ecid, hold=0):
        """Accept an authenticated call; returns the history Entry once it has executed.

        Raises HttpError for requests the HTTP layer refuses and Reject for rejections
        before execution (answered as ``non_replicated_rejection``). ``hold`` (seconds, the
        ``hold_processing`` fault) returns the entry at once, still ``processing`` (persisted
        with the message, so a restart keeps it), and executes the call that much later.
        """
        to_management = request.canister_id == MANAGEMENT
        if to_management:
            self.management.check_ecid(request.method_name, request.arg, ecid)
        else:
            check_effective_canister(request, ecid)
        entry = self.history.get(request.request_id)
        if entry is not None:   # a resend: it gets the first one's answer, or waits for it
            return entry
        message = canisters.Message(request.canister_id, request.method_name, request.arg,
                                    request.sender, request_id=request.request_id, ecid=ecid)
        if to_management:
            self.management.ingress_filter(request.sender, request.method_name, request.arg)
        else:
            with self.lock:  # inspect_message runs canister code
                canisters.inspect(self, self.store.get(request.canister_id), message)
        entry, new = self.history.begin(request.request_id, request.sender, ecid,
                                        request.ingress_expiry)
        if not new:
            return entry
        self.metrics.update(request.canister_id, request.method_name,
                            self.subnet_of(ecid if to_management else request.canister_id).index)
        message.reply_to = lambda tx, late: self._answer_later(tx, entry, late)
        if hold:
            with self.lock:
                tx = self.store.transaction()
                self.history.record_processing(tx, entry)
                held_calls.persist(tx, message, time.time_ns() + int(hold * 10 ** 9))
                tx.commit()
                self._held_ids.add(message.request_id)
            self._later(hold, self._run_logged, entry, message)
            return entry
        self._run(entry, message)
        return entry

    def _run(self, entry, message):
        try:
            outcome = self.execute(message, entry)
        except BaseException:
            self._internal_error(entry)
            raise
        if getattr(outcome, "resume", None) is not None:
            self.finish_held(outcome.resume_after, entry, outcome.resume)
        elif not outcome.pending:   # else a later round answers it (the entry stays processing)
            self._record_answer(entry, outcome)
        self._maybe_prune()

    def _internal_error(self, entry):
        self.history.finish(entry, Outcome(reject_code=5, error_code="IC0504",
                                           reject_message="internal error in localnet"))

    def _run_logged(self, entry, message):
        try:
            self._run(entry, message)
        except Exception:  # noqa: BLE001 - a held call failing must not kill the timer thread
            log.exception("executing a held call failed")

    def _record_answer(self, entry, outcome):
        self.history.finish(entry, outcome)
        self.metrics.outcome("replied" if outcome.replied else "rejected")

    def _answer_later(self, tx, entry, outcome):
        """A later round answers an ingress call: persisted with that round's state change,
        published once the round has committed."""
        self.history.record(tx, entry, outcome)
        self._answered_later.append((entry, outcome))

    def _record_later_answers(self):
        """Record the answers later rounds gave to ingress calls, after their commit."""
        answered, self._answered_later = self._answered_later, []
        for entry, outcome in answered:
            self._record_answer(entry, outcome)

    def execute(self, message, entry=None):
        """Run one update message in its own transaction; returns the Outcome (``pending``
        when ``message.reply_to`` gets it in a later round).

        With the ingress history ``entry``, a final answer is committed in the same
        transaction as the state change (a rejected management call commits only the answer).
        """
        with self.lock:
            try:
                return self._execute(message, entry)
            finally:
                self._record_later_answers()

    def _execute(self, message, entry):
        tx = self.store.transaction()
        if message.canister_id == MANAGEMENT:
            try:
                reply = self.management.call(tx, message)
            except Reject as err:
                outcome = Outcome.of_reject(err)
                tx = self.store.transaction()
            else:
                outcome = Outcome.later() if reply is LATER else Outcome(reply=reply)
        else:
            # Execution decides what a failed message still leaves behind (cycles, logs).
            outcome = canisters.deliver(self, tx, message)
        if entry is not None and _is_final(outcome):
            self.history.record(tx, entry, outcome)
        elif entry is not None and getattr(outcome, "resume", None) is not None:
            self.history.record_processing(tx, entry)
        if message.request_id in self._held_ids:
            held_calls.forget(tx, message.request_id)
        tx.commit()
        self._held_ids.discard(message.request_id)
        return outcome

    def finish_held(self, seconds, entry, resume):
        """Run ``resume(tx)`` (a step whose execution waits: fault ``hold_cmc``) ``seconds`` from
        now, in the background; meanwhile the call stays ``processing`` (persisted, so a restart
        still knows it) and other messages run. Its answer is committed with the step's state
        change. A localnet that stops first leaves the step to its next start."""
        if seconds <= 0:
            self._finish_held(entry, resume)
        else:
            self._later(seconds, self._finish_held, entry, resume)

    def _later(self, seconds, func, *args):
        """Run ``func(*args)`` in ``seconds`` in the background, unless localnet stops first
        (what is held is persisted: the next start runs it)."""
        def wait_then_run():
            if not self._stopping.wait(seconds):
                func(*args)
        threading.Thread(target=wait_then_run, name="localnet-held", daemon=True).start()

    def _resume_held_calls(self):
        """Schedule the calls ``hold_processing`` held when localnet stopped, at the time their
        hold ends; each answers its persisted ``processing`` history entry."""
        for message, release_at_ns in held_calls.load(self.store):
            entry = self.history.get(message.request_id)
            if entry is None:   # its status was pruned: it still runs, as on the IC
                entry, _new = self.history.begin(message.request_id, message.caller, message.canister_id, 0)
            message.reply_to = lambda tx, late, entry=entry: self._answer_later(tx, entry, late)
            self._held_ids.add(message.request_id)
            self._later(max(0.0, (release_at_ns - time.time_ns()) / 1e9), self._run_logged, entry, message)

    def _finish_held(self, entry, resume):
        try:
            with self.lock:
                tx = self.store.transaction()
                outcome = resume(tx)
                if entry is not None:
                    self.history.record(tx, entry, outcome)
                tx.commit()
                self._record_later_answers()
        except Exception:  # noqa: BLE001 - the held call is answered, the server goes on
            log.exception("finishing a held call failed")
            if entry is not None:
                self._internal_error(entry)
            return
        if entry is not None:
            self._record_answer(entry, outcome)

    def _maybe_prune(self):
        self._calls_since_prune += 1
        if self._calls_since_prune >= _PRUNE_EVERY:
            self._calls_since_prune = 0
            self.history.prune(self.clock.now_ns())

    # --- queries --------------------------------------------------------------------------
    def query(self, request, ecid):
        """Answer a query; returns an Outcome. Nothing a query does is kept."""
        args = None
        if request.canister_id == MANAGEMENT:
            args = self.management.check_query_ecid(request.method_name, request.arg, ecid)
        else:
            check_effective_canister(request, ecid)
        self.metrics.query(request.canister_id, request.method_name,
                           self.subnet_of(ecid if request.canister_id == MANAGEMENT else request.canister_id).index)
        message = canisters.Message(request.canister_id, request.method_name, request.arg,
                                    request.sender, kind="query",
                                    request_id=request.request_id)
        with self.lock:
            tx = self.store.transaction()
            if request.canister_id == MANAGEMENT:
                try:
                    return Outcome(reply=self.management.query(tx, message, args=args))
                except Reject as err:
                    return Outcome.of_reject(err)
            return canisters.run_query(self, tx, message)

    # --- admin ----------------------------------------------------------------------------
    def advance_time(self, seconds):
        """Move the clock forward; the offset survives restarts."""
        now = self.clock.advance(seconds)
        self.store.set_meta("clock_offset", self.clock.offset_ns)
        return now

    def mint(self, owner, amount, subaccount=None):
        """Credit ``amount`` cycles to a cycles-ledger account; returns the new balance."""
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise ValueError("amount: must be a positive integer of cycles")
        with self.lock:
            tx = self.store.transaction()
            balance = ledger.credit(tx, owner, subaccount, amount)
            tx.commit()
            return balance

    def balance(self, owner, subaccount=None):
        """A cycles-ledger account's balance."""
        return ledger.balance(self.store, owner, subaccount)

    def canister_list(self):
        """JSON-ready summaries of every canister."""
        now = self.clock.canister_time_ns()
        with self.lock:
            return [{
                "id": str(c.id),
                "controllers": [str(p) for p in c.controllers],
                "status": c.status,
                "module_hash": c.module_hash.hex() if c.module_hash else None,
                "cycles": cycles.balance_at(c, now),
                "version": c.version,
                "subnet": str(self.topology.subnets[c.subnet].subnet_id),
            } for c in sorted(self.store.canisters.values(), key=lambda c: c.id.raw)]

    def subnet_metrics(self, subnet):
        """CBOR value of ``/subnet/<sid>/metrics`` (canisters and memory of that subnet)."""
        held = [c for c in self.store.canisters.values() if c.subnet == subnet.index]
        state_bytes = sum(cycles.memory_size(c) for c in held)
        consumed = cycles.consumed(self.store, subnet.index)
        # Every figure is the subnet's own (the interface spec: "on this subnet").
        return cbor.dumps({
            "num_canisters": len(held),
            "canister_state_bytes": state_bytes,
            "consumed_cycles_total": {0: consumed & (2 ** 64 - 1), 1: consumed >> 64 or None},
            "update_transactions_total": self.metrics.transactions[subnet.index],
        })


def _is_final(outcome):
    """An outcome that answers the call now (not held, not answered by a later round)."""
    return not outcome.pending and getattr(outcome, "resume", None) is None
