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


# The argument is copied to 200000, above every address the generated writes can reach
# (writes stop below 196000), so a write never rewrites the operations still to run.
SCRIBBLE = '''
  (func (export "canister_init") (drop (memory.grow (i32.const 3))))
  (func (export "canister_update scribble")
    (local $i i32) (local $n i32) (local $op i32) (local $addr i32) (local $val i32)
    (local $trap i32)
    (local.set $n (call $arg_size))
    (call $arg_copy (i32.const 200000) (i32.const 0) (local.get $n))
    (local.set $trap (i32.load8_u (i32.const 200000)))
    (local.set $i (i32.const 1))
    (block $done (loop $next
      (br_if $done (i32.gt_u (i32.add (local.get $i) (i32.const 9)) (local.get $n)))
      (local.set $op (i32.load8_u (i32.add (i32.const 200000) (local.get $i))))
      (local.set $addr (i32.load (i32.add (i32.const 200001) (local.get $i))))
      (local.set $val (i32.load (i32.add (i32.const 200005) (local.get $i))))
      (if (i32.eq (local.get $op) (i32.const 0))
        (then (i32.store8 (local.get $addr) (local.get $val))))
      (if (i32.eq (local.get $op) (i32.const 1))
        (then (i32.store16 offset=3 (local.get $addr) (local.get $val))))
      (if (i32.eq (local.get $op) (i32.const 2))
        (then (i32.store offset=4093 (local.get $addr) (local.get $val))))
      (if (i32.eq (local.get $op) (i32.const 3))
        (then (i64.store offset=1 (local.get $addr) (i64.extend_i32_u (local.get $val)))))
      (if (i32.eq (local.get $op) (i32.const 4))
        (then (f64.store (local.get $addr) (f64.convert_i32_u (local.get $val)))))
      (if (i32.eq (local.get $op) (i32.const 5))
        (then (memory.fill (local.get $addr) (local.get $val) (i32.const 5000))))
      (if (i32.eq (local.get $op) (i32.const 6))
        (then (memory.copy (local.get $addr) (i32.const 200000) (i32.const 100))))
      (local.set $i (i32.add (local.get $i) (i32.const 9)))
      (br $next)))
    (if (local.get $trap) (then unreachable))
    (call $reply))
  (func (export "canister_query peek") (call $reply))
'''
writes = st.lists(st.tuples(st.integers(0, 6), st.integers(0, 190_000),
                            st.integers(0, 2**32 - 1)), max_size=8)


def _ops(trap, ops):
    return bytes([trap]) + b"".join(bytes([op]) + a.to_bytes(4, "little") +
                                    v.to_bytes(4, "little") for op, a, v in ops)


@settings(max_examples=40, deadline=None)
@given(writes, writes, writes)
def test_dirty_tracking_rolls_back_exactly(first, second, third):
    engine = _ENGINE
    state = CanisterState(b"\x09" * 10)
    assert engine.install(state, canister(SCRIBBLE)).committed
    assert state._live.dirty is not None
    assert engine.run(state, Message("update", "scribble", _ops(0, first))).committed
    committed = state.heap()
    assert not engine.run(state, Message("update", "scribble", _ops(1, second))).committed
    assert state.heap() == committed
    engine.run(state, Message("query", "peek"))
    assert engine.run(state, Message("update", "scribble", _ops(0, third))).committed
    after = state.heap()
    assert not engine.run(state, Message("update", "scribble", _ops(1, first + second))).committed
    assert state.heap() == after


_ENGINE = ExecutionEngine()


def test_real_canisters_are_tracked(engine, motoko_builds, rust_build):
    for wasm in list(motoko_builds.values()) + [rust_build]:
        assert engine.runtime.compiled(engine.validate(wasm)).dirty is not None
