"""The engine's building blocks: stable-memory journal, Wasm rewriting, snapshots."""
import wasmtime
from hypothesis import given, settings
from hypothesis import strategies as st

from exec_wat import canister
from localnet.execution import CanisterState, ExecutionEngine, Message, from_snapshot
from localnet.execution import wasm_binary
from localnet.execution.stable import PAGE, StableMemory

ops = st.lists(st.one_of(
    st.tuples(st.just("grow"), st.integers(0, 2)),
    st.tuples(st.just("write"), st.integers(0, 3 * PAGE), st.binary(min_size=1, max_size=300)),
), max_size=12)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2), ops)
def test_stable_rollback_restores_exactly(pages, changes):
    mem = StableMemory(bytes(range(256)) * (pages * PAGE // 256))
    before = mem.snapshot()
    mem.begin()
    for op in changes:
        if op[0] == "grow":
            mem.grow(op[1])
        elif op[1] + len(op[2]) <= len(mem.data):
            mem.write(op[1], op[2])
    mem.rollback()
    assert mem.snapshot() == before


def test_stable_grow_limit():
    mem = StableMemory()
    assert mem.grow(3, max_pages=4) == 0
    assert mem.grow(2, max_pages=4) == -1 and mem.pages == 3


def test_instrument_without_exports_moves_start():
    wasm = wasmtime.wat2wasm(
        "(module (memory 1) (global $g (mut i32) (i32.const 1)) "
        "(func $s (i32.store (i32.const 8) (i32.const 42)) (global.set $g (i32.const 2))) "
        "(start $s))")
    parsed = wasm_binary.parse(wasm)
    out = wasm_binary.parse(wasm_binary.instrument(parsed, "s!", "t!", "m!", "g!"))
    assert out.start is None
    assert {(e.name, e.kind) for e in out.exports} == {("s!", 0), ("m!", 2), ("g!0", 3)}
    engine = ExecutionEngine()
    state = CanisterState(b"\x07" * 10)
    assert engine.install(state, wasm).committed
    assert state.heap()[8:12] == (42).to_bytes(4, "little")
    assert state.snapshot().globals == [("__ic_g0", 2)]


def test_snapshot_round_trip_preserves_everything():
    engine = ExecutionEngine()
    body = '''
      (func (export "canister_update bump")
        (global.set $counter (i64.add (global.get $counter) (i64.const 1)))
        (drop (call $stable_grow (i32.const 1)))
        (call $reply_i64 (global.get $counter)))'''
    state = CanisterState(b"\x08" * 10, controllers=[b"c"], cycles=7, env_vars={"K": "V"})
    assert engine.install(state, canister(body)).committed
    engine.run(state, Message("update", "bump"))
    snap = state.snapshot()
    copy = from_snapshot(snap, engine)
    assert copy.snapshot() == snap
    assert engine.run(copy, Message("update", "bump")).reply == (2).to_bytes(8, "little")
    assert copy.stable.pages == 2 and state.stable.pages == 1
    engine.uninstall(state)
    assert state.is_empty and state.stable.pages == 0 and state.heap() == b""
