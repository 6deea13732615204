"""A composite query reaches only canisters of its own subnet, as on the replica: DFINITY's
query handler (dfinity/ic rs/execution_environment/src/query_handler/query_context.rs,
``handle_request``) looks the callee up in its own subnet's state, so a callee on another
subnet answers the caller's reject callback with ``CanisterNotFound`` (reject code 3,
DESTINATION_INVALID) "Canister <id> not found"."""
import pytest
import wasmtime

from _ic.agent import Agent
from _ic.identity import Ed25519Identity
from _ic.management import Management
from _ic.principal import Principal
from localnet.testing import LocalnetProcess

# ask(callee): composite query calling callee.count; the reply callback answers 0xFF, the
# reject callback answers the reject code (one byte) and the reject message.
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
  (func (export "canister_query count")
    (call $append (i32.const 200) (i32.const 5))
    (call $reply)))"""


@pytest.fixture(scope="module")
def two_subnets():
    with LocalnetProcess(subnets=2) as net:
        identity = Ed25519Identity.generate()
        agent = Agent(net.url, identity, root_key_der=net.root_key_der)
        yield net, agent, Management(agent)
        agent.close()


def test_a_composite_query_cannot_call_a_canister_on_another_subnet(two_subnets):
    net, agent, mgmt = two_subnets
    second = net.subnet_list()[1]
    lo = Principal.from_text(second["ranges"][0][0]).canister_index()
    wasm = wasmtime.wat2wasm(ASKER)
    asker, neighbour = (mgmt.provisional_create_canister_with_cycles(amount=10 ** 12) for _ in range(2))
    remote = mgmt.provisional_create_canister_with_cycles(
        amount=10 ** 12, specified_id=Principal.from_canister_index(lo + 0xC0000))
    for cid in (asker, neighbour, remote):
        mgmt.install_code(cid, wasm)
    subnet_of = {c["id"]: c["subnet"] for c in net.canisters()}
    assert subnet_of[str(asker)] == subnet_of[str(neighbour)] != subnet_of[str(remote)]
    assert agent.query(remote, "count", b"") == b"count"   # the callee itself answers users
    assert agent.query(asker, "ask", neighbour.raw) == b"\xff"
    answer = agent.query(asker, "ask", remote.raw)
    assert answer[0] == 3 and answer[1:].decode() == f"Canister {remote} not found", answer
