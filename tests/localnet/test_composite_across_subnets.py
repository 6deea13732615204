"""A composite query reaches only canisters of its own subnet, as on the replica: DFINITY's
query handler (dfinity/ic rs/execution_environment/src/query_handler/query_context.rs,
``handle_request``) looks the callee up in its own subnet's state, so a callee on another
subnet answers the caller's reject callback with ``CanisterNotFound`` (reject code 3,
DESTINATION_INVALID) "Canister <id> not found"."""
import pytest
import wasmtime

from _ic import candid
from _ic.agent import Agent
from _ic.identity import Ed25519Identity
from _ic.management import Management
from _ic.principal import Principal
from localnet.management.interface import DID
from localnet.testing import LocalnetProcess

# ask(callee): composite query calling callee.count; ask_any: any callee, method and payload.
# The reply callback answers 0xFF, the reject callback the reject code (one byte) and message.
ASKER = """(module
  (import "ic0" "msg_arg_data_size" (func $arg_size (result i32)))
  (import "ic0" "msg_arg_data_copy" (func $arg_copy (param i32 i32 i32)))
  (import "ic0" "msg_reply_data_append" (func $append (param i32 i32)))
  (import "ic0" "msg_reply" (func $reply))
  (import "ic0" "msg_reject_code" (func $reject_code (result i32)))
  (import "ic0" "msg_reject_msg_size" (func $reject_size (result i32)))
  (import "ic0" "msg_reject_msg_copy" (func $reject_copy (param i32 i32 i32)))
  (import "ic0" "call_new" (func $call_new (param i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "ic0" "call_perform" (func $call_perform (result i32)))
  (import "ic0" "call_data_append" (func $call_data (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 200) "count")
  (table 2 funcref) (elem (i32.const 0) $got $failed)
  (func $got (param i32)
    (i32.store8 (i32.const 0) (i32.const 255))
    (call $append (i32.const 0) (i32.const 1))
    (call $reply))
  (func $failed (param i32)
    (i32.store8 (i32.const 0) (call $reject_code))
    (call $reject_copy (i32.const 1) (i32.const 0) (call $reject_size))
    (call $append (i32.const 0) (i32.add (i32.const 1) (call $reject_size)))
    (call $reply))
  (func (export "canister_composite_query ask")
    (call $arg_copy (i32.const 100) (i32.const 0) (call $arg_size))
    (call $call_new (i32.const 100) (call $arg_size) (i32.const 200) (i32.const 5)
                    (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 0))
    (drop (call $call_perform)))
  ;; ask_any(callee length, callee, method length, method, payload): any callee and method.
  (func (export "canister_composite_query ask_any") (local $cl i32) (local $ml i32)
    (call $arg_copy (i32.const 1000) (i32.const 0) (call $arg_size))
    (local.set $cl (i32.load8_u (i32.const 1000)))
    (local.set $ml (i32.load8_u (i32.add (i32.const 1001) (local.get $cl))))
    (call $call_new (i32.const 1001) (local.get $cl)
                    (i32.add (i32.const 1002) (local.get $cl)) (local.get $ml)
                    (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 0))
    (call $call_data (i32.add (i32.const 1002) (i32.add (local.get $cl) (local.get $ml)))
                     (i32.sub (call $arg_size) (i32.add (i32.const 2) (i32.add (local.get $cl) (local.get $ml)))))
    (drop (call $call_perform)))
  (func (export "canister_query count")
    (call $append (i32.const 200) (i32.const 5))
    (call $reply)))"""


@pytest.fixture(scope="module")
def deployed():
    """``(net, agent, asker, neighbour, remote)``: the asker and its neighbour on the root
    subnet, the remote canister on the second one, all running ASKER."""
    with LocalnetProcess(subnets=2) as net:
        agent = Agent(net.url, Ed25519Identity.generate(), root_key_der=net.root_key_der)
        mgmt = Management(agent)
        lo = Principal.from_text(net.subnet_list()[1]["ranges"][0][0]).canister_index()
        wasm = wasmtime.wat2wasm(ASKER)
        asker, neighbour = (mgmt.provisional_create_canister_with_cycles(amount=10 ** 12) for _ in range(2))
        remote = mgmt.provisional_create_canister_with_cycles(
            amount=10 ** 12, specified_id=Principal.from_canister_index(lo + 0xC0000))
        for cid in (asker, neighbour, remote):
            mgmt.install_code(cid, wasm)
            # The asker may read every status: the subnet decides, not the permission.
            mgmt.update_settings(cid, {"controllers": [agent.identity.sender, asker]})
        subnet_of = {c["id"]: c["subnet"] for c in net.canisters()}
        assert subnet_of[str(asker)] == subnet_of[str(neighbour)] != subnet_of[str(remote)]
        yield net, agent, asker, neighbour, remote
        agent.close()


def test_a_composite_query_cannot_call_a_canister_on_another_subnet(deployed):
    _net, agent, asker, neighbour, remote = deployed
    assert agent.query(remote, "count", b"") == b"count"   # the callee itself answers users
    assert agent.query(asker, "ask", neighbour.raw) == b"\xff"
    answer = agent.query(asker, "ask", remote.raw)
    assert answer[0] == 3 and answer[1:].decode() == f"Canister {remote} not found", answer


def test_a_composite_query_reads_the_management_canister_of_its_own_subnet_only(deployed):
    """The replica answers a composite query's management call from its own subnet's state
    (dfinity/ic rs/execution_environment/src/query_handler/subnet_query.rs, ``get_canister``:
    CanisterNotFound "Canister <id> not found")."""
    _net, agent, asker, neighbour, remote = deployed

    def status_of(target):
        payload = candid.encode(DID.arg_types("canister_status"), [{"canister_id": target}])
        method = b"canister_status"
        return agent.query(asker, "ask_any", bytes([0, len(method)]) + method + payload)

    assert status_of(neighbour) == b"\xff"
    answer = status_of(remote)
    assert answer[0] == 3 and answer[1:].decode() == f"Canister {remote} not found", answer
