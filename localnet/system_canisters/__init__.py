"""System canisters implemented in Python: the cycles ledger and the cycles minting canister.

They have canister records at their mainnet ids (created at start, controlled by nobody) so
routing, ecid checks and read_state treat them like any canister, but their messages are
answered here instead of by Wasm (see ``canisters.deliver``).
"""
import time

from _ic.errors import Reject

from ..errors import reject, with_help
from ..model import Canister
from ..requests import Outcome
from . import cmc, cycles_ledger

CYCLES_LEDGER = cycles_ledger.LEDGER_ID
CMC = cmc.CMC_ID
SYSTEM = {CYCLES_LEDGER: cycles_ledger, CMC: cmc}
_BALANCE = 10 ** 15


def ensure(store, now_ns):
    """Create the records of missing system canisters."""
    missing = [cid for cid in SYSTEM if store.get(cid) is None]
    if not missing:
        return
    tx = store.transaction()
    for cid in missing:
        tx.put(Canister(id=cid, controllers=[], cycles=_BALANCE, created_ns=now_ns,
                        burn_checked_ns=0, module_hash=SYSTEM[cid].MODULE_HASH,
                        metadata=SYSTEM[cid].metadata()))
    tx.commit()


def resume_held(node):
    """Schedule the CMC steps that were held when localnet stopped, at the time their hold
    ends (the real CMC answers anyway, and a restart of ours must not change when); each
    original call gets its answer in its ingress history."""
    for name, pending in cycles_ledger.held(node.store):
        request_id = pending.get("request_id")
        entry = node.history.get(bytes(request_id)) if request_id else None
        delay = max(0.0, (pending.get("release_at_ns", 0) - time.time_ns()) / 1e9)
        node.finish_held(delay, entry, _finisher(node, name))


def _finisher(node, name):
    """The resume function of held creation ``name``: its CMC step and the call's reply."""
    return lambda tx: Outcome(reply=cycles_ledger.finish_held(node, tx, name))


def is_system(canister_id):
    """True for the ids served by this package."""
    return canister_id in SYSTEM


def _no_method(canister_id, method, kind):
    return Outcome.of_reject(reject("IC0536", with_help(
        f"Error from Canister {canister_id}: Canister has no {kind} method '{method}'.",
        "Check that the method being called is exported by the target canister.",
        "method-not-found")))


def deliver(node, tx, message):
    """An update to a system canister; the Outcome carries ``refund`` (unused cycles)."""
    module = SYSTEM[message.canister_id]
    handler = module.UPDATES.get(message.method) or module.QUERIES.get(message.method)
    if handler is None:
        outcome = _no_method(message.canister_id, message.method, "update")
        outcome.refund = message.cycles
        return outcome
    inner = tx.nested()
    node.metrics.executed(node.topology.root.index)
    try:
        reply, refund = module.run(handler, node, inner, message)
    except Reject as err:
        outcome = Outcome.of_reject(err)
        outcome.refund = message.cycles
        return outcome
    except cycles_ledger.Held as held:
        # The burn is kept; the call's answer comes when the held CMC step has run.
        inner.commit()
        outcome = Outcome()
        outcome.refund = 0
        outcome.resume_after = held.seconds
        outcome.resume = _finisher(node, held.key)
        return outcome
    inner.commit()
    outcome = Outcome(reply=reply)
    outcome.refund = refund
    return outcome


def query(node, tx, message):
    """A query to a system canister."""
    module = SYSTEM[message.canister_id]
    handler = module.QUERIES.get(message.method)
    if handler is None:
        return _no_method(message.canister_id, message.method, "query")
    try:
        return Outcome(reply=module.run(handler, node, tx, message)[0])
    except Reject as err:
        return Outcome.of_reject(err)
