"""Creating, funding, configuring, starting, stopping and deleting canisters."""
from _ic.principal import Principal

from .. import cycles, limits
from ..errors import reject, with_help
from ..model import Canister
from ..requests import Outcome
from . import interface, settings as settings_mod
from .context import LATER

# The replica's STOP_CANISTER_TIMEOUT_DURATION.
STOP_TIMEOUT_NS = 5 * 60 * 10**9


def _allocate_id(call, subnet):
    # The root subnet keeps the counter it always had; the others have one each.
    meta = "next_canister_index" if subnet.is_root else f"next_canister_index.{subnet.index}"
    index = call.tx.get_meta(meta, subnet.first_allocated)
    while call.tx.get(Principal.from_canister_index(index)) is not None:
        index += 1
    if index > subnet.allocation[1]:
        raise reject("IC0102", "Canister creation failed: the subnet has no free canister ids.")
    call.tx.set_meta(meta, index + 1)
    return Principal.from_canister_index(index)


def _check_specified_id(call, specified):
    index = specified.canister_index()
    if index is not None and any(lo <= index <= hi for lo, hi in
                                 (s.allocation for s in call.node.topology.subnets)):
        raise reject("IC0408", f"The `specified_id` {specified} is invalid because it belongs "
                               "to the canister allocation ranges of the test environment.\n"
                               "Use a `specified_id` that matches a canister ID on the ICP "
                               "mainnet and a test environment that supports canister creation "
                               "with `specified_id` (e.g., PocketIC).")
    if call.tx.get(specified) is not None:
        raise reject("IC0205", f"Unsuccessful canister creation: canister id {specified} "
                               "already exists.")


def _check_not_full(call, subnet):
    """The fault ``subnet_full``: the subnet refuses new canisters as the replica does at its
    canister limit (dfinity/ic rs/execution_environment canister_manager
    ``MaxNumberOfCanistersReached``, IC0102), its limit being the canisters it holds now."""
    node = call.node
    if not node.faults.active or node.faults.take("subnet", (str(subnet.subnet_id),), "create_canister",
                                                  actions=("subnet_full",)) is None:
        return
    held = sum(1 for c in call.tx.all_canisters() if c.subnet == subnet.index)
    raise reject("IC0102", f"Subnet {subnet.subnet_id} has reached the allowed canister limit of {held} "
                           "canisters. Retry creating the canister.")


def create(call, settings, balance, specified_id=None):
    """Make a new empty, running canister; returns its id."""
    settings_mod.validate(settings)
    if specified_id is not None:
        _check_specified_id(call, specified_id)
        canister_id = specified_id
        # A specified id lands on the subnet whose ranges hold it.
        subnet = call.node.topology.by_range(specified_id) or call.subnet
    else:
        subnet = call.subnet
        _check_not_full(call, subnet)
        canister_id = _allocate_id(call, subnet)
    canister = Canister(id=canister_id, controllers=[call.caller], cycles=balance,
                        created_ns=call.now_ns, burn_checked_ns=call.now_ns,
                        subnet=subnet.index)
    given = dict(settings or {})
    settings_mod.apply(canister, given, call.now_ns, others=call.tx.all_canisters())
    env = given.get("environment_variables")
    call.record_change(canister, {"creation": {
        "controllers": list(canister.controllers),
        "environment_variables_hash": settings_mod.env_hash(env) if env else None}})
    call.tx.put(canister)
    return canister_id


def provisional_create_canister_with_cycles(call, args):
    """Create with ``amount`` cycles from nothing (no fee), optionally at ``specified_id``."""
    amount = args.get("amount")
    balance = limits.DEFAULT_PROVISIONAL_CYCLES if amount is None else amount
    canister_id = create(call, args.get("settings"), balance, args.get("specified_id"))
    return {"canister_id": canister_id}


def create_canister(call, args):
    """Create from a canister's attached cycles, less the creation fee."""
    if call.ingress:
        raise reject("IC0406", "Only canisters can call ic00 method create_canister")
    if call.cycles < limits.CREATION_FEE:
        raise reject("IC0403", f"Creating a canister requires a fee of {limits.CREATION_FEE} "
                               "that is deducted from the canister's initial balance but only "
                               f"{call.cycles} cycles were received with the create_canister "
                               "request.")
    canister_id = create(call, args.get("settings"), call.cycles - limits.CREATION_FEE)
    call.cycles = 0
    _add_consumed(call, limits.CREATION_FEE)
    return {"canister_id": canister_id}


def _add_consumed(call, amount):
    cycles.add_consumed(call.tx, call.subnet.index, amount)


def provisional_top_up_canister(call, args):
    """Add ``amount`` cycles to any canister."""
    canister = call.canister(args["canister_id"])
    cycles.settle_idle_burn(canister, call.now_ns)
    canister.cycles += args["amount"]


def deposit_cycles(call, args):
    """Move the attached cycles to the canister (canisters only)."""
    canister = call.canister(args["canister_id"])
    cycles.settle_idle_burn(canister, call.now_ns)
    canister.cycles += call.cycles
    call.cycles = 0


def update_settings(call, args):
    """Apply the given settings fields (controllers only)."""
    canister = call.controlled(args["canister_id"])
    cycles.settle_idle_burn(canister, call.now_ns)
    given = {k: v for k, v in (args.get("settings") or {}).items() if v is not None}
    settings_mod.validate(given)
    controllers_changed = settings_mod.apply(
        canister, given, call.now_ns, others=call.tx.all_canisters())
    canister.version += 1
    if controllers_changed:
        call.record_change(canister, {"controllers_change": {
            "controllers": list(canister.controllers)}})


def start_canister(call, args):
    """Running again; the version goes up when the status changes. Stop calls still waiting
    for the canister to stop are rejected (IC0511 to users, CANISTER_REJECT to canisters)."""
    canister = call.controlled(args["canister_id"])
    if canister.status != "running":
        canister.status = "running"
        canister.version += 1
    for reply_to, _deadline, ingress in call.node.management.stop_waiters.pop(canister.id, []):
        if ingress:
            reply_to(call.tx, Outcome(reject_code=5, error_code="IC0511", reject_message=(
                f"Canister {canister.id}'s stop request was cancelled.")))
        else:
            reply_to(call.tx, Outcome(reject_code=4, reject_message=(
                f"Canister {canister.id}'s stop request cancelled")))


def stop_canister(call, args):
    """Stop: with no open call contexts the canister is stopped at once and the call answered.
    Otherwise it is ``stopping`` (new calls to it are refused) and the call is answered when the
    last context closes (``finish_stopping``), or rejected after STOP_TIMEOUT_NS."""
    canister = call.controlled(args["canister_id"])
    canister.version += 1
    if canister.status == "stopped":
        return None
    engine = call.node.engine
    open_contexts = engine.open_call_contexts(canister) \
        if engine is not None and hasattr(engine, "open_call_contexts") else 0
    if not open_contexts:
        canister.status = "stopped"
        return None
    canister.status = "stopping"
    if call.reply_to is None:
        return None
    call.node.management.stop_waiters.setdefault(canister.id, []).append(
        (call.reply_to, call.now_ns + STOP_TIMEOUT_NS, call.ingress))
    return LATER


def finish_stopping(management, tx, canister_id):
    """A stopping canister whose last call context closed is stopped; its stop calls reply."""
    canister = tx.mutable(canister_id)
    if canister is None or canister.status != "stopping":
        return
    canister.status = "stopped"
    reply = interface.encode_reply("stop_canister", None)
    for reply_to, _deadline, _ingress in management.stop_waiters.pop(canister_id, []):
        reply_to(tx, Outcome(reply=reply))


def expire_stops(management, tx, now_ns):
    """Reject (SYS_TRANSIENT, IC0206) the stop calls older than the replica's timeout; the
    canister stays ``stopping``. Returns how many were rejected."""
    expired = 0
    for canister_id in list(management.stop_waiters):
        waiting = management.stop_waiters.pop(canister_id)
        for reply_to, deadline, ingress in waiting:
            if deadline > now_ns:
                management.stop_waiters.setdefault(canister_id, []).append(
                    (reply_to, deadline, ingress))
                continue
            reply_to(tx, Outcome(reject_code=2, reject_message="Stop canister request timed out",
                                 error_code="IC0206" if ingress else None))
            expired += 1
    return expired


def delete_canister(call, args):
    """Delete a stopped canister with everything it holds; its cycles are burnt."""
    canister = call.controlled(args["canister_id"])
    if canister.id == call.caller:
        raise reject("IC0512", f"Canister {canister.id} cannot delete itself.")
    if canister.status != "stopped":
        raise reject("IC0510", with_help(
            f"Canister {canister.id} must be stopped before it is deleted.",
            "Stop the canister before deleting it.", "delete-canister-not-stopped"))
    _add_consumed(call, cycles.balance_at(canister, call.now_ns))
    call.tx.delete(canister.id)


HANDLERS = {
    "provisional_create_canister_with_cycles": provisional_create_canister_with_cycles,
    "create_canister": create_canister,
    "provisional_top_up_canister": provisional_top_up_canister,
    "deposit_cycles": deposit_cycles,
    "update_settings": update_settings,
    "start_canister": start_canister,
    "stop_canister": stop_canister,
    "delete_canister": delete_canister,
}
