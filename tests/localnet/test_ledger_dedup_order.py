"""The order of the cycles ledger's checks for a retried ``created_at_time``, as DFINITY's
cycles ledger has it (dfinity/cycles-ledger, cycles-ledger/src/storage.rs): the duplicate check
comes first, then fee and funds, and the time window last (``process_transaction``); a key
is forgotten only when the ledger prunes, after the next block past its window."""
import time

from test_system_canisters import account, ledger_call

DAY_AND_MORE = 24 * 3600 + 120


def test_retry_after_the_window_is_duplicate_until_pruned_then_too_old(net, client, make_client):
    me = client.identity.sender
    other = make_client().identity.sender
    net.mint(me, 5 * 10 ** 12)
    created = {"from_subaccount": None, "created_at_time": time.time_ns(), "amount": 10 ** 12,
               "creation_args": None}
    made = ledger_call(client, "create_canister", created)["Ok"]
    sent = {"from_subaccount": None, "to": account(other), "amount": 10 ** 9, "fee": None,
            "memo": None, "created_at_time": time.time_ns()}
    block = ledger_call(client, "icrc1_transfer", sent)["Ok"]
    net.advance_time(DAY_AND_MORE)
    # Past the window, but no block has been made since: the hashes are still there.
    assert ledger_call(client, "create_canister", created) == {
        "Err": {"Duplicate": {"duplicate_of": made["block_id"], "canister_id": made["canister_id"]}}}
    assert ledger_call(client, "icrc1_transfer", sent) == {"Err": {"Duplicate": {"duplicate_of": block}}}
    # Any block prunes the keys before the window.
    assert "Ok" in ledger_call(client, "icrc1_transfer", dict(sent, created_at_time=None))
    assert ledger_call(client, "create_canister", created) == {"Err": {"TooOld": None}}
    assert ledger_call(client, "icrc1_transfer", sent) == {"Err": {"TooOld": None}}


def test_fee_and_funds_are_checked_before_the_window(net, make_client):
    poor = make_client()
    old = net.advance_time(0) - DAY_AND_MORE * 10 ** 9
    created = {"from_subaccount": None, "created_at_time": old, "amount": 10 ** 12, "creation_args": None}
    assert ledger_call(poor, "create_canister", created) == {"Err": {"InsufficientFunds": {"balance": 0}}}
    sent = {"from_subaccount": None, "to": account(poor.identity.sender), "amount": 1, "fee": 1,
            "memo": None, "created_at_time": old}
    assert ledger_call(poor, "icrc1_transfer", sent) == {"Err": {"BadFee": {"expected_fee": 100_000_000}}}
    assert ledger_call(poor, "icrc1_transfer", dict(sent, fee=None)) == {
        "Err": {"InsufficientFunds": {"balance": 0}}}
    top_up = {"from_subaccount": None, "to": poor.identity.sender, "amount": 10 ** 9, "created_at_time": old}
    assert ledger_call(poor, "withdraw", top_up) == {"Err": {"InvalidReceiver": {"receiver": poor.identity.sender}}}
