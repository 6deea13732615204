"""System API details, exercised with hand-written WAT canisters."""
import pytest

from exec_helpers import OWNER, STRANGER
from exec_wat import canister, le
from localnet.execution import CanisterState, ExecutionEngine, Message, from_snapshot

CID = bytes(range(1, 11))


def install(engine, body, cycles=1_000, **kw):
    state = CanisterState(CID, controllers=[OWNER], cycles=cycles, **kw)
    result = engine.install(state, canister(body), b"", OWNER, time_ns=5)
    assert result.committed, result.error
    return state


def call(engine, state, method, arg=b"", kind="update", **kw):
    return engine.run(state, Message(kind, method, arg, kw.pop("caller", STRANGER),
                                     time_ns=kw.pop("time_ns", 77), **kw))


def test_double_reply_is_a_contract_violation(engine):
    state = install(engine, '(func (export "canister_update twice") (call $reply) (call $reply))')
    result = call(engine, state, "twice")
    assert result.response[3] == "IC0504" and not result.committed
    assert "Canister violated contract: ic0.msg_reply: the call is already replied" in \
        result.response[2]


def test_api_availability_depends_on_context(engine):
    state = CanisterState(CID, cycles=0)
    result = engine.install(state, canister('(func (export "canister_init") (call $reply))'))
    assert not result.committed and state.is_empty
    assert 'Canister violated contract: "ic0_msg_reply" cannot be executed in init mode' in \
        result.error.message


def test_cycles_accept_and_refund(engine):
    state = install(engine, '''
      (func (export "canister_update take")
        (call $accept (i64.const 0) (i64.const 30) (i32.const 64))
        (call $available (i32.const 96))
        (call $balance (i32.const 128))
        (call $append (i32.const 64) (i32.const 80))
        (call $reply))''')
    result = call(engine, state, "take", cycles=100)
    reply = result.response[1]
    assert (reply[:16], reply[32:48], reply[64:80]) == (le(30, 16), le(70, 16), le(1030, 16))
    assert result.cycles_accepted == 30 and result.refund == 70 and state.cycles == 1030


def test_call_cycles_leave_balance_and_traps_when_short(engine):
    body = '''
      (func (export "canister_update send") (param) (local $n i64)
        (local.set $n (i64.load (i32.const 0)))
        (call $arg_copy (i32.const 0) (i32.const 0) (i32.const 8))
        (call $call_new (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
                        (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))
        (call $call_cycles (i64.const 0) (i64.load (i32.const 0)))
        (drop (call $call_perform))
        (call $reply))
      (func (export "canister_update build_only")
        (call $call_new (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
                        (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))
        (call $call_cycles (i64.const 0) (i64.const 400))
        (call $reply))'''
    state = install(engine, body)
    result = call(engine, state, "send", le(600))
    assert result.committed and state.cycles == 400 and result.calls[0].cycles == 600
    assert result.calls[0].callee == b"" and result.calls[0].method == ""
    result = call(engine, state, "send", le(401))
    assert result.response[3] == "IC0504" and "is out of cycles" in result.response[2]
    assert state.cycles == 400
    result = call(engine, state, "build_only")
    assert result.committed and not result.calls and state.cycles == 400


def test_identity_time_timer_certified_data(engine):
    state = install(engine, '''
      (func (export "canister_update info") (local $old i64)
        (local.set $old (call $timer (i64.const 999)))
        (call $self_copy (i32.const 100) (i32.const 0) (call $self_size))
        (call $certify (i32.const 100) (i32.const 10))
        (i64.store (i32.const 0) (call $time))
        (i64.store (i32.const 8) (local.get $old))
        (i32.store (i32.const 16) (call $is_controller (i32.const 200) (call $arg_size)))
        (i32.store (i32.const 20) (call $replicated))
        (i64.store (i32.const 24) (call $version))
        (call $arg_copy (i32.const 200) (i32.const 0) (call $arg_size))
        (i32.store (i32.const 16) (call $is_controller (i32.const 200) (call $arg_size)))
        (call $append (i32.const 0) (i32.const 32))
        (call $reply))
      (func (export "canister_update big_certificate")
        (call $certify (i32.const 0) (i32.const 33)))''')
    state.global_timer = 123
    reply = call(engine, state, "info", OWNER, time_ns=424242).response[1]
    assert reply[:8] == le(424242) and reply[8:16] == le(123)
    assert reply[16:20] == le(1, 4) and reply[20:24] == le(1, 4) and reply[24:32] == le(0)
    assert state.global_timer == 999 and state.certified_data == CID and state.version == 1
    reply = call(engine, state, "info", STRANGER).response[1]
    assert reply[16:20] == le(0, 4)
    result = call(engine, state, "big_certificate")
    assert "must be no larger than 32 bytes. Found 33 bytes." in result.response[2]


def test_queries_are_not_replicated(engine):
    state = install(engine, '''
      (func (export "canister_query where")
        (call $reply_i64 (i64.extend_i32_u (call $replicated))))''')
    assert call(engine, state, "where", kind="query").response == ("reply", le(0))
    assert call(engine, state, "where").response == ("reply", le(1))


def test_memory_limit_and_rollback_after_growth(engine):
    state = install(engine, '''
      (func (export "canister_update grow")
        (drop (memory.grow (i32.const 20)))
        (global.set $counter (i64.add (global.get $counter) (i64.const 1)))
        (call $reply_i64 (global.get $counter)))
      (func (export "canister_query count") (call $reply_i64 (global.get $counter)))''',
                    wasm_memory_limit=10 * 65536)
    result = call(engine, state, "grow")
    assert result.response[3] == "IC0539" and not result.committed
    assert "Canister exceeded its current Wasm memory limit of 655360 bytes. The peak Wasm " \
        "memory usage was 1376256 bytes." in result.response[2]
    assert len(state.heap()) == 65536
    assert call(engine, state, "count", kind="query").response == ("reply", le(0))
    state.wasm_memory_limit = 0
    assert call(engine, state, "grow").response == ("reply", le(1))


def test_stable_memory_32_bit_and_bounds(engine):
    state = install(engine, '''
      (func (export "canister_update grow")
        (call $reply_i64 (i64.extend_i32_s (call $stable_grow (i32.const 2)))))
      (func (export "canister_update read_past_end")
        (call $stable_read (i32.const 0) (i32.const 262142) (i32.const 4)))''')
    assert call(engine, state, "grow").response == ("reply", le(0))
    assert call(engine, state, "grow").response == ("reply", le(2))
    result = call(engine, state, "read_past_end")
    assert result.response[3] == "IC0502"
    assert "Canister trapped: stable memory out of bounds" in result.response[2]


def test_wasm_trap_text(engine):
    state = install(engine, '''
      (func (export "canister_update oob") (drop (i32.load (i32.const 70000))))
      (func (export "canister_update div") (drop (i32.div_u (i32.const 1) (i32.const 0))))''')
    assert "Canister trapped: heap out of bounds.\n" in call(engine, state, "oob").response[2]
    assert "Canister trapped: integer division by 0" in call(engine, state, "div").response[2]


def test_inspect_message(engine):
    state = install(engine, '''
      (func (export "canister_inspect_message")
        (if (i32.eq (call $arg_size) (i32.const 0)) (then (call $accept_message))))''')
    assert call(engine, state, "anything", kind="inspect_message").accepted
    assert not call(engine, state, "anything", b"x", kind="inspect_message").accepted
    plain = install(engine, "")
    assert call(engine, plain, "m", kind="inspect_message").accepted


def test_timer_task_and_env_vars(engine):
    state = install(engine, '''
      (func (export "canister_global_timer")
        (global.set $counter (i64.add (global.get $counter) (i64.const 1))))
      (func (export "canister_query count") (call $reply_i64 (global.get $counter)))
      (func (export "canister_query env")
        (call $arg_copy (i32.const 100) (i32.const 0) (call $arg_size))
        (call $env_value_copy (i32.const 100) (call $arg_size) (i32.const 0) (i32.const 0)
                              (call $env_value_size (i32.const 100) (call $arg_size)))
        (call $append (i32.const 0) (call $env_value_size (i32.const 100) (call $arg_size)))
        (call $reply))''', env_vars={"B": "two", "A": "one"})
    state.global_timer = 50
    assert engine.run(state, Message("global_timer", time_ns=60)).committed
    assert state.global_timer == 0
    assert call(engine, state, "count", kind="query").response == ("reply", le(1))
    assert call(engine, state, "env", b"B", kind="query").response == ("reply", b"two")
    result = call(engine, state, "env", b"C", kind="query")
    assert "Environment variable C not found." in result.response[2]


def test_start_runs_once_and_eviction_keeps_state(tmp_path):
    engine = ExecutionEngine(max_live=1)
    body = '''
      (func $start (global.set $counter (i64.add (global.get $counter) (i64.const 100)))
                   (call $print (i32.const 0) (i32.const 0)))
      (start $start)
      (func (export "canister_update inc")
        (global.set $counter (i64.add (global.get $counter) (i64.const 1)))
        (call $reply_i64 (global.get $counter)))'''
    a = install(engine, body)
    b = CanisterState(bytes(10), cycles=0)
    assert engine.install(b, canister(body)).committed
    for _ in range(2):
        assert call(engine, a, "inc").response[1] == le(101 if _ == 0 else 102)
        assert call(engine, b, "inc").response[1] == le(101 if _ == 0 else 102)
    assert a._live is None and b._live is not None
    restored = from_snapshot(a.snapshot(), engine)
    assert restored.module.module_hash == a.module.module_hash
    assert call(engine, restored, "inc").response[1] == le(103)
    assert call(engine, a, "inc").response[1] == le(103)


@pytest.mark.parametrize("kind", ["query", "update"])
def test_no_module(engine, kind):
    state = CanisterState(CID)
    result = call(engine, state, "x", kind=kind)
    assert result.response[3] == "IC0537" and result.refund == 0


def test_host_bug_still_rolls_back(engine, monkeypatch):
    state = install(engine, '''
      (func (export "canister_update t")
        (global.set $counter (i64.const 5))
        (drop (call $version)))
      (func (export "canister_query count") (call $reply_i64 (global.get $counter)))''')

    def broken(self):
        raise ZeroDivisionError("host bug")
    monkeypatch.setattr("localnet.execution.host.Execution.canister_version", broken)
    result = call(engine, state, "t")
    assert not result.committed and "internal error in localnet" in result.response[2]
    monkeypatch.undo()
    assert call(engine, state, "count", kind="query").response == ("reply", le(0))


def test_trapping_callback_runs_cleanup_and_refunds_stay(engine):
    from localnet.execution import CallResponse
    state = install(engine, '''
      (table 3 funcref) (elem (i32.const 0) $bad_reply $on_reject $cleanup)
      (func $bad_reply (param i32) (global.set $counter (i64.const 7)) unreachable)
      (func $on_reject (param i32)
        (call $refunded (i32.const 0)) (call $append (i32.const 0) (i32.const 16)) (call $reply))
      (func $cleanup (param i32) (global.set $counter (i64.extend_i32_u (local.get 0))))
      (func (export "canister_update go")
        (call $call_new (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
                        (i32.const 0) (i32.const 1) (i32.const 1) (i32.const 2))
        (call $on_cleanup (i32.const 2) (i32.const 42))
        (call $call_cycles (i64.const 0) (i64.const 100))
        (drop (call $call_perform)))
      (func (export "canister_query count") (call $reply_i64 (global.get $counter)))''')
    first = call(engine, state, "go")
    assert first.committed and first.response is None and state.cycles == 900
    result = engine.run_callback(state, first.calls[0].callback, CallResponse(reply=b"", refund=60))
    assert state.cycles == 960 and result.error.error_code == "IC0502"
    assert result.response[:2] == ("reject", 5) and "Canister trapped: unreachable" in \
        result.response[2]
    assert call(engine, state, "count", kind="query").response == ("reply", le(42))

    second = call(engine, state, "go")
    result = engine.run_callback(state, second.calls[0].callback,
                                 CallResponse(reject_code=3, reject_message="gone", refund=100))
    assert result.committed and result.response == ("reply", le(100, 16))
    assert state.cycles == 960


def test_unreachable_and_stack_overflow_texts(engine):
    state = install(engine, '''
      (func (export "canister_update u") unreachable)
      (func $deep (call $deep))
      (func (export "canister_update deep") (call $deep))''')
    assert "Canister trapped: unreachable.\n" in call(engine, state, "u").response[2]
    assert "Canister trapped: stack overflow.\n" in call(engine, state, "deep").response[2]
