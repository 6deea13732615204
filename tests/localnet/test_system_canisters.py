"""The cycles ledger and CMC served by localnet, driven over HTTP."""
import time

import pytest

from ic import candid
from ic.cycles_ledger_did import CYCLES_LEDGER_DID
from ic.errors import Reject
from ic.principal import Principal
from localnet.system_canisters import CMC, CYCLES_LEDGER

LEDGER = candid.parse_did(CYCLES_LEDGER_DID)
FEE = 100_000_000


def ledger_call(client, method, arg, query=False):
    data = candid.encode(LEDGER.arg_types(method), [arg] if arg is not None else [])
    reply = client.query(CYCLES_LEDGER, method, data) if query else \
        client.call(CYCLES_LEDGER, method, data)
    return candid.decode(reply, LEDGER.ret_types(method))[0]


def account(principal):
    return {"owner": principal, "subaccount": None}


def balance(client, principal):
    return ledger_call(client, "icrc1_balance_of", account(principal), query=True)


def test_metadata_and_cmc_default_subnets(net, client):
    assert ledger_call(client, "icrc1_fee", None, query=True) == FEE
    assert ledger_call(client, "icrc1_decimals", None, query=True) == 12
    assert ledger_call(client, "icrc1_symbol", None, query=True) == "TCYCLES"
    reply = client.query(CMC, "get_default_subnets", b"DIDL\x00\x00")
    assert candid.decode(reply) == [[Principal.self_authenticating(net.root_key_der)]]


def test_transfer_fees_dedup_and_errors(net, client, make_client):
    me, other = client.identity.sender, make_client().identity.sender
    net.mint(me, 10 ** 12)
    base = {"from_subaccount": None, "to": account(other), "amount": 10 ** 9, "fee": None,
            "memo": None, "created_at_time": time.time_ns()}
    first = ledger_call(client, "icrc1_transfer", base)
    assert "Ok" in first
    assert ledger_call(client, "icrc1_transfer", base) == {
        "Err": {"Duplicate": {"duplicate_of": first["Ok"]}}}
    assert balance(client, me) == 10 ** 12 - 10 ** 9 - FEE
    assert balance(client, other) == 10 ** 9
    bad_fee = dict(base, fee=1, created_at_time=None)
    assert ledger_call(client, "icrc1_transfer", bad_fee) == {
        "Err": {"BadFee": {"expected_fee": FEE}}}
    too_much = dict(base, amount=10 ** 13, created_at_time=None)
    assert ledger_call(client, "icrc1_transfer", too_much) == {
        "Err": {"InsufficientFunds": {"balance": 10 ** 12 - 10 ** 9 - FEE}}}
    old = dict(base, created_at_time=time.time_ns() - 25 * 3600 * 10 ** 9)
    assert ledger_call(client, "icrc1_transfer", old) == {"Err": {"TooOld": None}}


def test_create_canister_withdraw_and_failures(net, client):
    me = client.identity.sender
    net.mint(me, 5 * 10 ** 12)
    args = {"from_subaccount": None, "created_at_time": time.time_ns(), "amount": 10 ** 12,
            "creation_args": None}
    made = ledger_call(client, "create_canister", args)["Ok"]
    cid = made["canister_id"]
    st = client.mgmt("canister_status", {"canister_id": cid})
    assert st["settings"]["controllers"] == [me]
    assert st["cycles"] == 10 ** 12 - 500_000_000_000
    again = ledger_call(client, "create_canister", args)
    assert again == {"Err": {"Duplicate": {"duplicate_of": made["block_id"],
                                           "canister_id": cid}}}
    small = dict(args, amount=10 ** 9, created_at_time=None)
    failed = ledger_call(client, "create_canister", small)["Err"]["FailedToCreate"]
    assert "requires a fee" in failed["error"]
    top = {"amount": 10 ** 11, "from_subaccount": None, "to": cid, "created_at_time": None}
    assert "Ok" in ledger_call(client, "withdraw", top)
    assert client.mgmt("canister_status", {"canister_id": cid})["cycles"] >= \
        10 ** 12 - 500_000_000_000 + 10 ** 11 - 10 ** 6
    nowhere = dict(top, to=Principal.from_canister_index(0x80000000001FFFF2))
    assert "InvalidReceiver" in ledger_call(client, "withdraw", nowhere)["Err"]
    expected = 5 * 10 ** 12 - (10 ** 12 + FEE) - 2 * FEE - (10 ** 11 + FEE)
    assert balance(client, me) == expected


def test_unknown_method_and_system_records(net, client):
    with pytest.raises(Reject) as info:
        client.call(CYCLES_LEDGER, "mint_everything", b"DIDL\x00\x00")
    assert info.value.error_code == "IC0536"
    ids = {c["id"] for c in net.canisters()}
    assert {str(CYCLES_LEDGER), str(CMC)} <= ids
