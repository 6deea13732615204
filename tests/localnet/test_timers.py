"""Canister timers fire on their own, and canister time follows /_/time."""
import wasmtime

from localnet.testing import wait_until

TIMER_WAT = """
(module
  (import "ic0" "global_timer_set" (func $timer (param i64) (result i64)))
  (import "ic0" "time" (func $time (result i64)))
  (import "ic0" "msg_reply_data_append" (func $append (param i32 i32)))
  (import "ic0" "msg_reply" (func $reply))
  (memory 1)
  (global $fired (mut i32) (i32.const 0))
  (func (export "canister_init")
    (drop (call $timer (i64.add (call $time) (i64.const 1)))))
  (func (export "canister_global_timer")
    (global.set $fired (i32.add (global.get $fired) (i32.const 1)))
    ;; the next one an hour of canister time later
    (drop (call $timer (i64.add (call $time) (i64.const 3600000000000)))))
  (func (export "canister_query fired")
    (i32.store (i32.const 0) (global.get $fired))
    (call $append (i32.const 0) (i32.const 4))
    (call $reply)))
"""


def fired(client, cid):
    return int.from_bytes(client.query(cid, "fired", b""), "little")


def test_global_timer_fires_and_follows_canister_time(net, client):
    cid = client.create_canister()
    client.mgmt("install_code", {"mode": {"install": None}, "canister_id": cid,
                                 "wasm_module": wasmtime.wat2wasm(TIMER_WAT), "arg": b"",
                                 "sender_canister_version": None})
    assert wait_until(lambda: fired(client, cid) == 1, timeout=10)
    net.advance_time(3601)
    assert wait_until(lambda: fired(client, cid) == 2, timeout=10)
    # real time goes on as before: certificates stay fresh for clients
    client.mgmt("canister_status", {"canister_id": cid})
