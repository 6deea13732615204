"""The cycles ledger and CMC served by localnet, driven over HTTP."""
import time

import pytest

from _ic import candid
from _ic.cycles_ledger_did import CYCLES_LEDGER_DID
from _ic.errors import Reject
from _ic.principal import Principal
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
    # As DFINITY's CMC (rs/nns/cmc/src/main.rs create_canister): under 100 G cycles refused
    # outright and refunded whole; under the creation fee every subnet refuses, and the CMC
    # keeps its 100 M bad-request penalty.
    small = dict(args, amount=10 ** 9, created_at_time=None)
    failed = ledger_call(client, "create_canister", small)["Err"]["FailedToCreate"]
    assert failed["error"] == "Insufficient cycles attached."
    before = balance(client, me)
    below_fee = dict(args, amount=2 * 10 ** 11, created_at_time=None)
    failed = ledger_call(client, "create_canister", below_fee)["Err"]["FailedToCreate"]
    assert failed["error"].startswith(f"Creating canister in subnet {net.subnet_list()[0]['id']} failed with "
                                      "code 4: Creating a canister requires a fee of ")
    assert balance(client, me) == before - 3 * FEE
    top = {"amount": 10 ** 11, "from_subaccount": None, "to": cid, "created_at_time": None}
    assert "Ok" in ledger_call(client, "withdraw", top)
    assert client.mgmt("canister_status", {"canister_id": cid})["cycles"] >= \
        10 ** 12 - 500_000_000_000 + 10 ** 11 - 10 ** 6
    nowhere = dict(top, to=Principal.from_canister_index(0x80000000001FFFF2))
    assert "FailedToWithdraw" in ledger_call(client, "withdraw", nowhere)["Err"]
    # A withdraw that cannot deposit is refunded less the fee: two fees in all.
    expected = 5 * 10 ** 12 - (10 ** 12 + FEE) - 2 * FEE - 3 * FEE - (10 ** 11 + FEE) - 2 * FEE
    assert balance(client, me) == expected


def test_unknown_method_and_system_records(net, client):
    with pytest.raises(Reject) as info:
        client.call(CYCLES_LEDGER, "mint_everything", b"DIDL\x00\x00")
    assert info.value.error_code == "IC0536"
    ids = {c["id"] for c in net.canisters()}
    assert {str(CYCLES_LEDGER), str(CMC)} <= ids


def test_create_canister_dedup_covers_amount_not_settings_and_the_window(net, client):
    """As DFINITY's ledger: the key is (account, amount, created_at_time); settings are not part
    of it; a different amount is a new transaction; the window is 24 h + 60 s."""
    me = client.identity.sender
    net.mint(me, 5 * 10 ** 12)
    when = time.time_ns()
    args = {"from_subaccount": None, "created_at_time": when, "amount": 10 ** 12, "creation_args": None}
    made = ledger_call(client, "create_canister", args)["Ok"]
    other_settings = dict(args, creation_args={"settings": {"freezing_threshold": 7}, "subnet_selection": None})
    assert ledger_call(client, "create_canister", other_settings)["Err"]["Duplicate"]["canister_id"] == \
        made["canister_id"]
    other_amount = dict(args, amount=10 ** 12 + 1)
    assert "Ok" in ledger_call(client, "create_canister", other_amount)
    edge = dict(args, created_at_time=time.time_ns() - (24 * 3600 + 50) * 10 ** 9)
    assert "Ok" in ledger_call(client, "create_canister", edge)
    past = dict(args, created_at_time=time.time_ns() - (24 * 3600 + 70) * 10 ** 9)
    assert ledger_call(client, "create_canister", past) == {"Err": {"TooOld": None}}
    future = dict(args, created_at_time=time.time_ns() + 90 * 10 ** 9)
    assert "CreatedInFuture" in ledger_call(client, "create_canister", future)["Err"]


def test_held_cmc_step_answers_duplicate_without_id_then_with_it(net, client, make_client):
    """hold_cmc: the burn is recorded first; a retry meanwhile gets Duplicate{canister_id = null};
    the original call finishes with the canister, and later retries name it."""
    import threading

    me = client.identity.sender
    net.mint(me, 3 * 10 ** 12)
    net.faults({"match": {"method": "create_canister"}, "action": "hold_cmc", "seconds": 3})
    args = {"from_subaccount": None, "created_at_time": time.time_ns(), "amount": 10 ** 12, "creation_args": None}
    first = {}
    worker = threading.Thread(target=lambda: first.update(ledger_call(client, "create_canister", args)))
    worker.start()
    time.sleep(1)
    retry = make_client(client.identity)
    pending = ledger_call(retry, "create_canister", args)["Err"]["Duplicate"]
    assert pending["canister_id"] is None
    worker.join(30)
    made = first["Ok"]
    assert made["block_id"] == pending["duplicate_of"]
    assert ledger_call(retry, "create_canister", args) == {"Err": {"Duplicate": {
        "duplicate_of": made["block_id"], "canister_id": made["canister_id"]}}}
    assert balance(client, me) == 3 * 10 ** 12 - 10 ** 12 - FEE


def test_held_cmc_step_survives_a_localnet_kill(net, client):
    """localnet killed while the CMC step is held: the burn, the held step and the call's
    ``processing`` status survive. After the restart the step still runs when its hold ends
    (the real CMC answers whatever happens to a node): a retry meanwhile gets Duplicate
    without id, then the key names exactly one canister, and the original request's status is
    ``replied`` with it (its ingress history kept the call)."""
    from localnet.client import MiniClient, outcome_of

    me = client.identity.sender
    net.mint(me, 3 * 10 ** 12)
    before = {c["id"] for c in net.canisters()}
    net.faults({"match": {"method": "create_canister"}, "action": "hold_cmc", "seconds": 10})
    args = {"from_subaccount": None, "created_at_time": time.time_ns(), "amount": 10 ** 12, "creation_args": None}
    held_until = time.monotonic() + 10
    request_id = _send_in_background(client, args)
    time.sleep(1.5)
    net.kill()
    net.restart()
    again = MiniClient(net.url, client.identity, net.root_key_der)
    status_path = [b"request_status", request_id, b"status"]
    assert again.read_state(CYCLES_LEDGER, [status_path]).lookup(status_path) == b"processing"
    pending = ledger_call(again, "create_canister", args)["Err"]["Duplicate"]
    assert pending["canister_id"] is None and {c["id"] for c in net.canisters()} == before
    time.sleep(max(0.0, held_until - time.monotonic()) + 0.5)
    named = ledger_call(again, "create_canister", args)["Err"]["Duplicate"]["canister_id"]
    new = {c["id"] for c in net.canisters()} - before
    assert new == {str(named)}
    cert = again.read_state(CYCLES_LEDGER, [[b"request_status", request_id]])
    first = candid.decode(outcome_of(cert, request_id), LEDGER.ret_types("create_canister"))[0]
    assert first == {"Ok": {"block_id": pending["duplicate_of"], "canister_id": named}}
    assert balance(again, me) == 3 * 10 ** 12 - 10 ** 12 - FEE


def test_held_cmc_step_due_while_localnet_was_down_runs_at_start(net, client):
    """A hold that ended while localnet was down: the step runs as localnet starts, before it
    serves, and the original request is answered in its history."""
    from localnet.client import MiniClient, outcome_of

    me = client.identity.sender
    net.mint(me, 2 * 10 ** 12)
    net.faults({"match": {"method": "create_canister"}, "action": "hold_cmc", "seconds": 2})
    args = {"from_subaccount": None, "created_at_time": time.time_ns(), "amount": 10 ** 12, "creation_args": None}
    request_id = _send_in_background(client, args)
    time.sleep(1)
    net.kill()
    time.sleep(1.5)
    net.restart()
    again = MiniClient(net.url, client.identity, net.root_key_der)
    cert = again.read_state(CYCLES_LEDGER, [[b"request_status", request_id]])
    made = candid.decode(outcome_of(cert, request_id), LEDGER.ret_types("create_canister"))[0]["Ok"]
    assert ledger_call(again, "create_canister", args)["Err"]["Duplicate"]["canister_id"] == made["canister_id"]


def test_icrc3_blocks_record_burns_refunds_and_chain(net, client):
    """icrc3_get_blocks: a creation is a burn with the create memo and tx.ts; a refused one is
    followed by a refund mint; each block's phash is the ICRC-3 hash of the one before."""
    from localnet.system_canisters.ledger_blocks import value_hash

    me = client.identity.sender
    net.mint(me, 3 * 10 ** 12)
    when = time.time_ns()
    ledger_call(client, "create_canister", {"from_subaccount": None, "created_at_time": when,
                                            "amount": 10 ** 12, "creation_args": None})
    ledger_call(client, "create_canister", {"from_subaccount": None, "created_at_time": None,
                                            "amount": 10 ** 9, "creation_args": None})
    reply = ledger_call(client, "icrc3_get_blocks", [{"start": 0, "length": 100}], query=True)
    blocks = [(b["id"], b["block"]) for b in reply["blocks"]]
    assert reply["log_length"] == len(blocks) >= 3 and reply["archived_blocks"] == []
    mine = [(i, dict(dict(b["Map"])["tx"]["Map"])) for i, b in blocks]
    burns = [(i, tx) for i, tx in mine if tx["op"] == {"Text": "burn"} and tx["from"] == {"Array": [{"Blob": me.raw}]}]
    assert burns[0][1]["ts"] == {"Nat": when} and burns[0][1]["memo"] == {"Blob": bytes([0xFE]) * 32}
    refund = [tx for _i, tx in mine if tx.get("memo") == {"Blob": bytes([0xFD]) * 32}]
    assert refund and refund[0]["amt"] == {"Nat": 10 ** 9 - FEE}
    for (_, previous), (_, block) in zip(blocks, blocks[1:]):
        assert dict(block["Map"])["phash"] == {"Blob": value_hash(previous)}


def _send_in_background(client, args):
    """Send a ledger create_canister from a thread that may die with localnet; its request id."""
    import threading

    from _ic import cbor

    content = client.content("call", CYCLES_LEDGER, "create_canister",
                             candid.encode(LEDGER.arg_types("create_canister"), [args]))
    body = client.envelope(content)
    threading.Thread(target=_swallow, args=(client.post, f"/api/v4/canister/{CYCLES_LEDGER}/call", body),
                     daemon=True).start()
    return cbor.request_id(content)


def _swallow(func, *args):
    try:
        func(*args)
    except Exception:  # noqa: BLE001 - the call dies with the killed localnet
        pass
