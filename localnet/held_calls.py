"""Calls held in ``processing`` by the ``hold_processing`` fault, kept in the state.

The fault models a message the IC has already inducted: its status is ``processing`` and it
will execute, whatever happens to a node. So the message is persisted with its ``processing``
history entry, and a localnet that is killed and started again executes it when the hold ends
(at once if that time has passed).
"""
from _ic.principal import Principal

from .canisters import Message

_META = "held_calls"


def persist(tx, message, release_at_ns):
    """Keep ``message`` (an ingress call) until it has executed."""
    held = dict(tx.get_meta(_META, {}))
    held[message.request_id.hex()] = {
        "canister": message.canister_id.raw, "method": message.method, "arg": message.arg,
        "caller": message.caller.raw, "release_at_ns": release_at_ns}
    tx.set_meta(_META, held)


def forget(tx, request_id):
    """Drop the held call ``request_id`` (in the transaction that executes it)."""
    held = dict(tx.get_meta(_META, {}))
    if held.pop(request_id.hex(), None) is not None:
        tx.set_meta(_META, held)


def load(view):
    """``(message, release_at_ns)`` of every call still held."""
    return [(Message(Principal(bytes(r["canister"])), r["method"], bytes(r["arg"]), Principal(bytes(r["caller"])),
                     request_id=bytes.fromhex(key)), r["release_at_ns"])
            for key, r in sorted(view.get_meta(_META, {}).items())]
