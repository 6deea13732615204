# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The drain module: a tiny canister that sends its cycles elsewhere before it is deleted.

Deleting a canister burns what it holds. As icp-cli and dfx do, deletion first reinstalls the
canister with this module and calls its ``drain`` method, which attaches the liquid balance
(less ``DRAIN_KEEP_CYCLES`` for the call itself) to one call: the cycles ledger's ``deposit``
(to the operator's account) or the management canister's ``deposit_cycles`` (to another
canister). ``DRAIN_WAT`` is the source; ``DRAIN_WASM`` its binary (a unit test checks that
they agree).
"""

from __future__ import annotations

import base64
import struct

# Enough for the call fee and the response prepayment of a 13-node subnet (about 7B cycles,
# mostly refunded to the drained canister and burnt with it).
DRAIN_KEEP_CYCLES = 10_000_000_000
_CALLEE_SLOT = 29
_METHOD_SLOT = 32

DRAIN_WAT = r"""(module
  ;; The drain module: installed into a canister just before it is deleted, it sends the
  ;; canister's liquid cycles (less a margin for the call itself) to the call its install
  ;; argument names. Install argument: keep (u64 LE) | callee length (u8) | callee (29 bytes)
  ;; | method length (u8) | method (32 bytes) | payload. `drain` (controllers only) replies
  ;; attached (u128 LE) | refunded (u128 LE) | the callee's reply; a reject is passed on.
  (import "ic0" "msg_arg_data_size" (func $arg_size (result i32)))
  (import "ic0" "msg_arg_data_copy" (func $arg_copy (param i32 i32 i32)))
  (import "ic0" "msg_caller_size" (func $caller_size (result i32)))
  (import "ic0" "msg_caller_copy" (func $caller_copy (param i32 i32 i32)))
  (import "ic0" "is_controller" (func $is_controller (param i32 i32) (result i32)))
  (import "ic0" "canister_liquid_cycle_balance128" (func $liquid (param i32)))
  (import "ic0" "call_new" (func $call_new (param i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "ic0" "call_data_append" (func $call_data_append (param i32 i32)))
  (import "ic0" "call_cycles_add128" (func $call_cycles_add128 (param i64 i64)))
  (import "ic0" "call_perform" (func $call_perform (result i32)))
  (import "ic0" "msg_cycles_refunded128" (func $refunded (param i32)))
  (import "ic0" "msg_reply_data_append" (func $reply_append (param i32 i32)))
  (import "ic0" "msg_reply" (func $reply))
  (import "ic0" "msg_reject" (func $reject (param i32 i32)))
  (import "ic0" "msg_reject_msg_size" (func $reject_msg_size (result i32)))
  (import "ic0" "msg_reject_msg_copy" (func $reject_msg_copy (param i32 i32 i32)))
  (memory 2)
  (table 2 funcref)
  (elem (i32.const 0) $on_reply $on_reject)
  (data (i32.const 65200) "only a controller may drain this canister")
  (data (i32.const 65300) "the drain call could not be sent")
  (func $init (export "canister_init")
    (i32.store (i32.const 65000) (call $arg_size))
    (call $arg_copy (i32.const 0) (i32.const 0) (call $arg_size)))
  (func $drain (export "canister_update drain")
    (local $lo i64) (local $hi i64) (local $keep i64) (local $n i32)
    (local.set $n (call $caller_size))
    (call $caller_copy (i32.const 65100) (i32.const 0) (local.get $n))
    (if (i32.eqz (call $is_controller (i32.const 65100) (local.get $n)))
      (then (call $reject (i32.const 65200) (i32.const 41)) (return)))
    (call $liquid (i32.const 65008))
    (local.set $lo (i64.load (i32.const 65008)))
    (local.set $hi (i64.load (i32.const 65016)))
    (local.set $keep (i64.load (i32.const 0)))
    (if (i32.and (i64.eqz (local.get $hi)) (i64.le_u (local.get $lo) (local.get $keep)))
      (then (local.set $lo (i64.const 0)))
      (else
        (if (i64.lt_u (local.get $lo) (local.get $keep))
          (then (local.set $hi (i64.sub (local.get $hi) (i64.const 1)))))
        (local.set $lo (i64.sub (local.get $lo) (local.get $keep)))))
    (i64.store (i32.const 65024) (local.get $lo))
    (i64.store (i32.const 65032) (local.get $hi))
    (i64.store (i32.const 65040) (i64.const 0))
    (i64.store (i32.const 65048) (i64.const 0))
    (if (i32.and (i64.eqz (local.get $hi)) (i64.eqz (local.get $lo)))
      (then (call $reply_append (i32.const 65024) (i32.const 32)) (call $reply) (return)))
    (call $call_new (i32.const 9) (i32.load8_u (i32.const 8))
                    (i32.const 39) (i32.load8_u (i32.const 38))
                    (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 0))
    (call $call_data_append (i32.const 71) (i32.sub (i32.load (i32.const 65000)) (i32.const 71)))
    (call $call_cycles_add128 (local.get $hi) (local.get $lo))
    (if (call $call_perform)
      (then (call $reject (i32.const 65300) (i32.const 32)))))
  (func $on_reply (param $env i32)
    (local $n i32)
    (call $refunded (i32.const 65040))
    (call $reply_append (i32.const 65024) (i32.const 32))
    (local.set $n (call $arg_size))
    (call $arg_copy (i32.const 66000) (i32.const 0) (local.get $n))
    (call $reply_append (i32.const 66000) (local.get $n))
    (call $reply))
  (func $on_reject (param $env i32)
    (local $n i32)
    (local.set $n (call $reject_msg_size))
    (call $reject_msg_copy (i32.const 66000) (i32.const 0) (local.get $n))
    (call $reject (i32.const 66000) (local.get $n))))
"""

DRAIN_WASM = base64.b64decode(
    "AGFzbQEAAAABLQhgAAF/YAN/f38AYAJ/fwF/YAF/AGAIf39/f39/f38AYAJ/fwBgAn5+AGAAAAL4AhADaWMwEW1zZ19h"
    "cmdfZGF0YV9zaXplAAADaWMwEW1zZ19hcmdfZGF0YV9jb3B5AAEDaWMwD21zZ19jYWxsZXJfc2l6ZQAAA2ljMA9tc2df"
    "Y2FsbGVyX2NvcHkAAQNpYzANaXNfY29udHJvbGxlcgACA2ljMCBjYW5pc3Rlcl9saXF1aWRfY3ljbGVfYmFsYW5jZTEy"
    "OAADA2ljMAhjYWxsX25ldwAEA2ljMBBjYWxsX2RhdGFfYXBwZW5kAAUDaWMwEmNhbGxfY3ljbGVzX2FkZDEyOAAGA2lj"
    "MAxjYWxsX3BlcmZvcm0AAANpYzAWbXNnX2N5Y2xlc19yZWZ1bmRlZDEyOAADA2ljMBVtc2dfcmVwbHlfZGF0YV9hcHBl"
    "bmQABQNpYzAJbXNnX3JlcGx5AAcDaWMwCm1zZ19yZWplY3QABQNpYzATbXNnX3JlamVjdF9tc2dfc2l6ZQAAA2ljMBNt"
    "c2dfcmVqZWN0X21zZ19jb3B5AAEDBQQHBwMDBAQBcAACBQMBAAIHKQINY2FuaXN0ZXJfaW5pdAAQFWNhbmlzdGVyX3Vw"
    "ZGF0ZSBkcmFpbgARCQgBAEEACwISEwrAAgQTAEHo+wMQADYCAEEAQQAQABABC+MBAgN+AX8QAiEDQcz8A0EAIAMQA0HM"
    "/AMgAxAERQRAQbD9A0EpEA0PC0Hw+wMQBUHw+wMpAwAhAEH4+wMpAwAhAUEAKQMAIQIgAVAgACACWHEEQEIAIQAFIAAg"
    "AlQEQCABQgF9IQELIAAgAn0hAAtBgPwDIAA3AwBBiPwDIAE3AwBBkPwDQgA3AwBBmPwDQgA3AwAgAVAgAFBxBEBBgPwD"
    "QSAQCxAMDwtBCUEILQAAQSdBJi0AAEEAQQBBAUEAEAZBxwBB6PsDKAIAQccAaxAHIAEgABAIEAkEQEGU/gNBIBANCwsq"
    "AQF/QZD8AxAKQYD8A0EgEAsQACEBQdCDBEEAIAEQAUHQgwQgARALEAwLGgEBfxAOIQFB0IMEQQAgARAPQdCDBCABEA0L"
    "C1gCAEGw/QMLKW9ubHkgYSBjb250cm9sbGVyIG1heSBkcmFpbiB0aGlzIGNhbmlzdGVyAEGU/gMLIHRoZSBkcmFpbiBj"
    "YWxsIGNvdWxkIG5vdCBiZSBzZW50AKECBG5hbWUB7wEUAAhhcmdfc2l6ZQEIYXJnX2NvcHkCC2NhbGxlcl9zaXplAwtj"
    "YWxsZXJfY29weQQNaXNfY29udHJvbGxlcgUGbGlxdWlkBghjYWxsX25ldwcQY2FsbF9kYXRhX2FwcGVuZAgSY2FsbF9j"
    "eWNsZXNfYWRkMTI4CQxjYWxsX3BlcmZvcm0KCHJlZnVuZGVkCwxyZXBseV9hcHBlbmQMBXJlcGx5DQZyZWplY3QOD3Jl"
    "amVjdF9tc2dfc2l6ZQ8PcmVqZWN0X21zZ19jb3B5EARpbml0EQVkcmFpbhIIb25fcmVwbHkTCW9uX3JlamVjdAIoAxEE"
    "AAJsbwECaGkCBGtlZXADAW4SAgADZW52AQFuEwIAA2VudgEBbg=="
)


def install_arg(callee_raw, method, payload, keep=DRAIN_KEEP_CYCLES):
    """The install argument naming the call that ``drain`` makes (callee as raw principal bytes)."""
    name = method.encode("ascii")
    if len(callee_raw) > _CALLEE_SLOT or len(name) > _METHOD_SLOT:
        raise ValueError("callee or method too long for the drain module")
    return (struct.pack("<QB", keep, len(callee_raw)) + callee_raw.ljust(_CALLEE_SLOT, b"\0")
            + struct.pack("<B", len(name)) + name.ljust(_METHOD_SLOT, b"\0") + payload)


def parse_reply(data):
    """``(attached, refunded, callee_reply)`` from ``drain``'s reply."""
    if len(data) < 32:
        raise ValueError(f"the drain module answered {len(data)} bytes, expected at least 32")
    lo, hi, rlo, rhi = struct.unpack("<QQQQ", data[:32])
    return (hi << 64) | lo, (rhi << 64) | rlo, data[32:]
