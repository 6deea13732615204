"""Management methods only canisters may call, exercised in-process through the seam API."""
import hashlib

import pytest

from _ic import candid
from _ic.principal import Principal
from localnet.canisters import Message
from localnet.management.interface import DID
from localnet.node import Node
from localnet.testing import MINIMAL_WASM, custom_section

MGMT = Principal.management()
USER = Principal.self_authenticating(b"\x30" * 44)


@pytest.fixture
def node(tmp_path):
    n = Node(str(tmp_path))
    yield n
    n.close()


def ingress(node, method, args, caller=USER):
    arg = candid.encode(DID.arg_types(method), [args] if args is not None else [])
    outcome = node.execute(Message(MGMT, method, arg, caller))
    assert outcome.replied, outcome
    values = candid.decode(outcome.reply, DID.ret_types(method))
    return values[0] if values else None


def from_canister(node, caller, method, args, cycles=0):
    """(decoded result or reject Outcome, refund) of a call made by canister ``caller``."""
    arg = candid.encode(DID.arg_types(method), [args] if args is not None else [])
    with node.lock:
        tx = node.store.transaction()
        outcome, refund = node.management.call_from_canister(tx, caller, method, arg,
                                                             cycles=cycles)
        tx.commit()
    if not outcome.replied:
        return outcome, refund
    values = candid.decode(outcome.reply, DID.ret_types(method))
    return (values[0] if values else None), refund


def new_canister(node, controllers=None):
    settings = {"controllers": controllers} if controllers else None
    return ingress(node, "provisional_create_canister_with_cycles",
                   {"amount": 10 ** 13, "settings": settings, "specified_id": None,
                    "sender_canister_version": None})["canister_id"]


def test_create_canister_charges_the_fee_and_refunds_nothing(node):
    parent = new_canister(node)
    result, refund = from_canister(node, parent, "create_canister",
                                   {"settings": None, "sender_canister_version": None},
                                   cycles=2 * 10 ** 12)
    child = result["canister_id"]
    assert refund == 0
    status = ingress(node, "canister_status", {"canister_id": child}, caller=parent)
    assert status["cycles"] == 2 * 10 ** 12 - 500_000_000_000
    assert status["settings"]["controllers"] == [parent]
    short, refund = from_canister(node, parent, "create_canister",
                                  {"settings": None, "sender_canister_version": None},
                                  cycles=10 ** 9)
    assert short.error_code == "IC0403" and refund == 10 ** 9


def test_canister_info_history(node):
    cid = new_canister(node, controllers=[USER])
    ingress(node, "install_code", {"mode": {"install": None}, "canister_id": cid,
                                   "wasm_module": MINIMAL_WASM, "arg": b"",
                                   "sender_canister_version": None})
    ingress(node, "update_settings", {"canister_id": cid,
                                      "settings": {"controllers": [USER, MGMT]},
                                      "sender_canister_version": None})
    other = new_canister(node)
    info, _ = from_canister(node, other, "canister_info",
                            {"canister_id": cid, "num_requested_changes": 5})
    assert info["total_num_changes"] == 3
    kinds = [next(iter(c["details"])) for c in info["recent_changes"]]
    assert kinds == ["creation", "code_deployment", "controllers_change"]
    assert info["module_hash"] == hashlib.sha256(MINIMAL_WASM).digest()
    assert info["recent_changes"][0]["origin"] == {"from_user": {"user_id": USER}}
    none, _ = from_canister(node, other, "canister_info",
                            {"canister_id": cid, "num_requested_changes": None})
    assert none["recent_changes"] == []


def test_non_controller_canister_gets_the_long_ic0512(node):
    cid = new_canister(node, controllers=[USER])
    other = new_canister(node)
    outcome, _ = from_canister(node, other, "stop_canister", {"canister_id": cid})
    assert outcome.error_code == "IC0512"
    assert outcome.reject_message.startswith(
        f"Only the controllers of the canister {cid} can control it.\n"
        f"Canister's controllers: {USER}\nSender's ID: {other}")
    status = ingress(node, "canister_status", {"canister_id": cid})
    assert status["status"] == {"running": None}


def test_deposit_raw_rand_and_metadata(node):
    cid = new_canister(node, controllers=[USER])
    other = new_canister(node)
    _, refund = from_canister(node, other, "deposit_cycles", {"canister_id": cid},
                              cycles=12345)
    assert refund == 0
    assert ingress(node, "canister_status", {"canister_id": cid})["cycles"] >= 10 ** 13
    first, _ = from_canister(node, other, "raw_rand", None)
    second, _ = from_canister(node, other, "raw_rand", None)
    assert len(first) == 32 and first != second
    wasm = MINIMAL_WASM + custom_section("icp:public name", b"v") + \
        custom_section("icp:private secret", b"s")
    ingress(node, "install_code", {"mode": {"install": None}, "canister_id": cid,
                                   "wasm_module": wasm, "arg": b"",
                                   "sender_canister_version": None})
    value, _ = from_canister(node, other, "canister_metadata",
                             {"canister_id": cid, "name": "name"})
    assert value == {"value": b"v"}
    hidden, _ = from_canister(node, other, "canister_metadata",
                              {"canister_id": cid, "name": "secret"})
    assert hidden.error_code == "IC0406"


def test_failed_call_from_canister_changes_nothing(node):
    cid = new_canister(node, controllers=[USER])
    too_many = [Principal.from_canister_index(i) for i in range(11)]
    outcome, _ = from_canister(node, cid, "update_settings", {
        "canister_id": cid, "settings": {"controllers": too_many}})
    assert outcome.error_code == "IC0512"
    before = ingress(node, "canister_status", {"canister_id": cid})
    ingress(node, "update_settings", {"canister_id": cid, "settings": {
        "controllers": [USER, cid]}, "sender_canister_version": None})
    outcome, _ = from_canister(node, cid, "update_settings", {
        "canister_id": cid, "settings": {"freezing_threshold": 5, "controllers": too_many}})
    assert outcome.error_code == "IC0504"
    after = ingress(node, "canister_status", {"canister_id": cid})
    assert after["settings"]["freezing_threshold"] == before["settings"]["freezing_threshold"]
