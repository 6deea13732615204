"""The seam between the network and code execution: every message to a canister goes here.

The management canister and the HTTP layer never run Wasm themselves; they call ``deliver``
(updates, replicated) and ``run_query`` (queries, nothing kept). When an execution engine is
present (``localnet.execution.create_engine(node)``, see docs/internals.md) these forward to
it; without one, installed code cannot run and callers get the replica's method-not-found
rejects.
"""
from dataclasses import dataclass

from _ic.errors import Reject

from . import cycles, system_canisters
from .errors import reject, with_help
from .requests import Outcome


@dataclass
class Message:
    """A message for a canister's code."""

    canister_id: object
    method: str
    arg: bytes
    caller: object
    kind: str = "update"          # "update" or "query"
    cycles: int = 0
    request_id: bytes = None
    ingress: bool = True
    # ``reply_to(tx, Outcome)`` receives an answer that comes in a later round (then the
    # Outcome returned now has ``pending``); None: the caller cannot wait for one.
    reply_to: object = None
    # The effective canister id of an ingress message (it picks the subnet of a management
    # call such as provisional_create_canister_with_cycles).
    ecid: object = None


def load_engine(node):
    """The execution engine for ``node``, or None when localnet/execution is absent."""
    try:
        from . import execution
    except ModuleNotFoundError as err:
        if err.name in ("localnet.execution", __package__ + ".execution"):
            return None
        raise
    factory = getattr(execution, "create_engine", None)
    return factory(node) if factory is not None else None


def check_callable(canister, message, now_ns):
    """The checks every message to a canister passes first (exists, running, code, cycles)."""
    if canister is None:
        raise reject("IC0301", f"Canister {message.canister_id} not found.")
    if canister.status == "stopped":
        raise reject("IC0508", with_help(
            f"Canister {canister.id} is stopped and therefore does not have a "
            "CallContextManager", "Try starting the canister before sending a message.",
            "canister-stopped"))
    if canister.status == "stopping":
        raise reject("IC0509", f"Canister {canister.id} is stopping")
    if canister.is_empty:
        if message.kind == "query":
            raise reject("IC0537", f"Error from Canister {canister.id}: Requested canister "
                                   "has no wasm module")
        raise reject("IC0537", with_help(
            f"Error from Canister {canister.id}: Attempted to execute a message, but the "
            "canister contains no Wasm module.",
            "Try installing code to the canister before calling it.", "wasm-module-not-found"))
    cycles.check_not_frozen(canister, now_ns)


def _no_method(canister, message):
    kind = "query" if message.kind == "query" else "update"
    return Outcome.of_reject(reject("IC0536", with_help(
        f"Error from Canister {canister.id}: Canister has no {kind} method "
        f"'{message.method}'.",
        "Check that the method being called is exported by the target canister.",
        "method-not-found")))


def inspect(node, canister, message):
    """Ingress filter for a canister's update: raise Reject to refuse before execution."""
    if system_canisters.is_system(message.canister_id):
        return
    check_callable(canister, message, node.clock.canister_time_ns())
    if node.engine is not None and hasattr(node.engine, "inspect_message"):
        node.engine.inspect_message(canister, message)


def deliver(node, tx, message):
    """Run an update message in transaction ``tx``; returns an Outcome (never raises Reject)."""
    if system_canisters.is_system(message.canister_id):
        return system_canisters.deliver(node, tx, message)
    canister = tx.mutable(message.canister_id)
    try:
        check_callable(canister, message, node.clock.canister_time_ns())
    except Reject as err:
        return Outcome.of_reject(err)
    cycles.settle_idle_burn(canister, node.clock.canister_time_ns())
    if node.engine is None:
        return _no_method(canister, message)
    return node.engine.execute(tx, canister, message)


def run_query(node, tx, message):
    """Run a query against ``tx``'s view; the caller discards ``tx`` afterwards."""
    if system_canisters.is_system(message.canister_id):
        return system_canisters.query(node, tx, message)
    canister = tx.mutable(message.canister_id)
    try:
        check_callable(canister, message, node.clock.canister_time_ns())
    except Reject as err:
        return Outcome.of_reject(err)
    if node.engine is None:
        return _no_method(canister, message)
    return node.engine.query(tx, canister, message)
