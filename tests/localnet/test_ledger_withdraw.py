"""The cycles ledger's withdraw as DFINITY's (dfinity/cycles-ledger, cycles-ledger/src/storage.rs
``withdraw``): 0 cycles is a GenericError before anything; a receiver that is no canister is
burnt, the management canister's deposit_cycles rejects, and the ledger mints the amount less
the fee back (``FailedToWithdraw`` with that block and the reject)."""
import time

from _ic import cbor
from _ic.principal import Principal
from localnet.system_canisters import CYCLES_LEDGER
from test_system_canisters import FEE, balance, ledger_call

AMOUNT = 10 ** 11


def _blocks(client, start):
    reply = ledger_call(client, "icrc3_get_blocks", [{"start": start, "length": 100}], query=True)
    return {b["id"]: dict(dict(b["block"]["Map"])["tx"]["Map"]) | {"_fee": dict(b["block"]["Map"]).get("fee")}
            for b in reply["blocks"]}


def _log_length(client):
    return ledger_call(client, "icrc3_get_blocks", [{"start": 0, "length": 0}], query=True)["log_length"]


def _missing_canister(net, client):
    """A canister id in the network's range that no canister has (created, then deleted)."""
    cid = client.create_canister(10 ** 12)
    client.mgmt("stop_canister", {"canister_id": cid})
    client.mgmt("delete_canister", {"canister_id": cid})
    return cid


def test_withdraw_to_a_missing_canister_burns_then_refunds_less_the_fee(net, client):
    me = client.identity.sender
    net.mint(me, 10 ** 12)
    gone = _missing_canister(net, client)
    start, before = _log_length(client), balance(client, me)
    args = {"amount": AMOUNT, "from_subaccount": None, "to": gone, "created_at_time": time.time_ns()}
    err = ledger_call(client, "withdraw", args)["Err"]
    assert err == {"FailedToWithdraw": {"fee_block": start + 1,
                                        "rejection_code": {"DestinationInvalid": None},
                                        "rejection_reason": f"Canister {gone} not found."}}
    assert balance(client, me) == before - (AMOUNT + FEE) + (AMOUNT - FEE)
    written = _blocks(client, start)
    assert sorted(written) == [start, start + 1]
    burn, refund = written[start], written[start + 1]
    assert burn["op"] == {"Text": "burn"} and burn["amt"] == {"Nat": AMOUNT}
    assert burn["memo"] == {"Blob": cbor.dumps([gone.raw], self_describe=False)}
    assert burn["from"] == {"Array": [{"Blob": me.raw}]} and burn["_fee"] == {"Nat": FEE}
    assert refund["op"] == {"Text": "mint"} and refund["amt"] == {"Nat": AMOUNT - FEE}
    assert refund["memo"] == {"Blob": bytes([0xFF]) * 32} and refund["to"] == {"Array": [{"Blob": me.raw}]}
    assert refund["fee"] == {"Nat": 0} and refund["_fee"] == {"Nat": 0} and "ts" not in refund
    # The key names the burn: a retry is its Duplicate, and nothing moves.
    assert ledger_call(client, "withdraw", args) == {"Err": {"Duplicate": {"duplicate_of": start}}}
    assert balance(client, me) == before - 2 * FEE


def test_withdraw_of_no_more_than_the_fee_to_a_missing_canister_refunds_nothing(net, client):
    me = client.identity.sender
    net.mint(me, 10 ** 12)
    gone = _missing_canister(net, client)
    start, before = _log_length(client), balance(client, me)
    args = {"amount": FEE, "from_subaccount": None, "to": gone, "created_at_time": None}
    failed = ledger_call(client, "withdraw", args)["Err"]["FailedToWithdraw"]
    assert failed["fee_block"] is None and failed["rejection_code"] == {"DestinationInvalid": None}
    assert balance(client, me) == before - 2 * FEE and _log_length(client) == start + 1


def test_withdraw_of_zero_cycles_is_a_generic_error_before_any_other_check(net, make_client):
    poor = make_client()
    old = net.advance_time(0) - 48 * 3600 * 10 ** 9
    args = {"amount": 0, "from_subaccount": None, "to": Principal.from_canister_index(5), "created_at_time": old}
    assert ledger_call(poor, "withdraw", args) == {"Err": {"GenericError": {
        "error_code": 100_002, "message": "The withdraw_from 0 cycles is not possible"}}}
    # A self-authenticating receiver is refused before the amount is looked at.
    to_user = dict(args, to=poor.identity.sender)
    assert ledger_call(poor, "withdraw", to_user) == {"Err": {"InvalidReceiver": {"receiver": poor.identity.sender}}}


def test_a_deposit_is_a_mint_whose_transaction_carries_the_fee(net, client):
    """cycles-ledger/src/storage.rs deposit -> mint: Mint{fee: FEE} in the transaction, an
    effective (block) fee of 0."""
    import importlib.util
    import os

    from _ic import candid
    from _ic.cycles_ledger import ledger_interface

    path = os.path.join(os.path.dirname(__file__), "..", "..", "plugins", "module_utils", "_drain_module.py")
    spec = importlib.util.spec_from_file_location("drain_module", path)
    drain = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(drain)
    me = client.identity.sender
    payload = candid.encode(list(ledger_interface().method("deposit").args),
                            [{"to": {"owner": me, "subaccount": None}, "memo": None}])
    drainer = client.create_canister(10 ** 13)
    client.mgmt("install_code", {"mode": {"install": None}, "canister_id": drainer, "wasm_module": drain.DRAIN_WASM,
                                 "arg": drain.install_arg(CYCLES_LEDGER.raw, "deposit", payload)})
    start = _log_length(client)
    client.call(drainer, "drain", b"")
    mint = _blocks(client, start)[start]
    assert mint["op"] == {"Text": "mint"} and mint["to"] == {"Array": [{"Blob": me.raw}]}
    assert mint["fee"] == {"Nat": FEE} and mint["_fee"] == {"Nat": 0}
    assert balance(client, me) == mint["amt"]["Nat"]
