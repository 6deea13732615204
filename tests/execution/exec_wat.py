"""Hand-written WAT canisters for System API tests (32-bit, one page of scratch memory)."""
import wasmtime

PRELUDE = """
  (import "ic0" "msg_arg_data_size" (func $arg_size (result i32)))
  (import "ic0" "msg_arg_data_copy" (func $arg_copy (param i32 i32 i32)))
  (import "ic0" "msg_reply_data_append" (func $append (param i32 i32)))
  (import "ic0" "msg_reply" (func $reply))
  (import "ic0" "msg_reject" (func $reject (param i32 i32)))
  (import "ic0" "msg_cycles_accept128" (func $accept (param i64 i64 i32)))
  (import "ic0" "msg_cycles_available128" (func $available (param i32)))
  (import "ic0" "canister_cycle_balance128" (func $balance (param i32)))
  (import "ic0" "call_new" (func $call_new (param i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "ic0" "call_cycles_add128" (func $call_cycles (param i64 i64)))
  (import "ic0" "call_perform" (func $call_perform (result i32)))
  (import "ic0" "call_on_cleanup" (func $on_cleanup (param i32 i32)))
  (import "ic0" "msg_cycles_refunded128" (func $refunded (param i32)))
  (import "ic0" "canister_self_size" (func $self_size (result i32)))
  (import "ic0" "canister_self_copy" (func $self_copy (param i32 i32 i32)))
  (import "ic0" "is_controller" (func $is_controller (param i32 i32) (result i32)))
  (import "ic0" "time" (func $time (result i64)))
  (import "ic0" "global_timer_set" (func $timer (param i64) (result i64)))
  (import "ic0" "certified_data_set" (func $certify (param i32 i32)))
  (import "ic0" "in_replicated_execution" (func $replicated (result i32)))
  (import "ic0" "performance_counter" (func $perf (param i32) (result i64)))
  (import "ic0" "canister_version" (func $version (result i64)))
  (import "ic0" "stable_grow" (func $stable_grow (param i32) (result i32)))
  (import "ic0" "stable_read" (func $stable_read (param i32 i32 i32)))
  (import "ic0" "stable_size" (func $stable_size (result i32)))
  (import "ic0" "debug_print" (func $print (param i32 i32)))
  (import "ic0" "accept_message" (func $accept_message))
  (import "ic0" "env_var_count" (func $env_count (result i32)))
  (import "ic0" "env_var_value_size" (func $env_value_size (param i32 i32) (result i32)))
  (import "ic0" "env_var_value_copy" (func $env_value_copy (param i32 i32 i32 i32 i32)))
  (import "ic0" "data_certificate_present" (func $cert_present (result i32)))
  (import "ic0" "root_key_size" (func $root_key_size (result i32)))
  (memory (export "memory") 1)
  (global $counter (mut i64) (i64.const 0))
  (func $reply_i64 (param $v i64)
    (i64.store (i32.const 0) (local.get $v))
    (call $append (i32.const 0) (i32.const 8))
    (call $reply))
  (func $reply_arg
    (call $arg_copy (i32.const 0) (i32.const 0) (call $arg_size))
    (call $append (i32.const 0) (call $arg_size))
    (call $reply))
"""


# A composite query ``ask(callee)`` that calls ``callee.count`` and answers its reply,
# changing its own counter on the way (which must not stick).
COMPOSITE = '''
  (table 2 funcref) (elem (i32.const 0) $got $failed)
  (func $got (param i32)
    (global.set $counter (i64.add (global.get $counter) (i64.const 1000)))
    (call $reply_arg))
  (func $failed (param i32) (call $reply_i64 (i64.const 99)))
  (func (export "canister_composite_query ask")
    (call $arg_copy (i32.const 100) (i32.const 0) (call $arg_size))
    (i32.store (i32.const 200) (i32.const 0x6e756f63))
    (i32.store8 (i32.const 204) (i32.const 0x74))
    (global.set $counter (i64.const 555))
    (call $call_new (i32.const 100) (call $arg_size) (i32.const 200) (i32.const 5)
                    (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 0))
    (drop (call $call_perform)))
  (func (export "canister_query count") (call $reply_i64 (global.get $counter)))
'''


def canister(body):
    """Compile a module made of the prelude plus ``body`` (WAT fields)."""
    return wasmtime.wat2wasm(f"(module {PRELUDE} {body})")


def le(value, size=8):
    """Little-endian bytes."""
    return value.to_bytes(size, "little")
