"""Rebuilding a CanisterState from a CanisterSnapshot (after a restart, or snapshot load)."""
from .stable import StableMemory
from .state import CanisterState


def from_snapshot(snapshot, engine):
    """A CanisterState equal to the one ``snapshot`` was taken from.

    The module is re-validated (and compiled, from the engine's cache when possible); the
    main memory stays as bytes until the first message makes the canister live again.
    """
    state = CanisterState(snapshot.canister_id, snapshot.controllers, snapshot.cycles,
                          snapshot.env_vars, snapshot.wasm_memory_limit)
    if snapshot.wasm is not None:
        state.module = engine.validate(snapshot.wasm)
        state.wasm = snapshot.wasm
    state._heap = snapshot.heap
    state._globals = list(snapshot.globals)
    state.stable = StableMemory(snapshot.stable)
    state.certified_data = snapshot.certified_data
    state.global_timer = snapshot.global_timer
    state.version = snapshot.version
    state.status = snapshot.status
    return state
