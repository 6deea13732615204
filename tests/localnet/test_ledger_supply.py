"""The cycles ledger's total supply is the sum of its accounts' balances, as DFINITY's keeps it
(dfinity/cycles-ledger, cycles-ledger/src/storage.rs: ``credit`` and ``debit`` move
``total_supply`` with each balance): a mint adds, a transfer takes out only its fee, a withdraw
and a create_canister burn their amount and fee, a refund mints back."""
import time

from _ic.principal import Principal
from test_system_canisters import FEE, account, balance, ledger_call


def _supply(client):
    return ledger_call(client, "icrc1_total_supply", None, query=True)


def test_total_supply_moves_with_the_balances(net, client, make_client):
    me, other = client.identity.sender, make_client().identity.sender

    def held():
        return balance(client, me) + balance(client, other)

    start_supply, start_held = _supply(client), held()

    def check(what, burnt):
        assert _supply(client) - start_supply == held() - start_held, f"{what}: supply and balances differ"
        assert held() - start_held == 10 ** 13 - burnt, what

    net.mint(me, 10 ** 13)
    check("mint", 0)
    transfer = {"from_subaccount": None, "to": account(other), "amount": 10 ** 9, "fee": None,
                "memo": None, "created_at_time": time.time_ns()}
    assert "Ok" in ledger_call(client, "icrc1_transfer", transfer)
    check("transfer", FEE)
    made = ledger_call(client, "create_canister", {"from_subaccount": None, "created_at_time": None,
                                                   "amount": 10 ** 12, "creation_args": None})["Ok"]
    check("create_canister", FEE + 10 ** 12 + FEE)
    top = {"amount": 10 ** 11, "from_subaccount": None, "to": made["canister_id"], "created_at_time": None}
    assert "Ok" in ledger_call(client, "withdraw", top)
    check("withdraw", FEE + 10 ** 12 + FEE + 10 ** 11 + FEE)
    nowhere = dict(top, to=Principal.from_canister_index(0x80000000001FFFF2))
    assert "FailedToWithdraw" in ledger_call(client, "withdraw", nowhere)["Err"]
    check("withdraw refunded less the fee", FEE + 10 ** 12 + FEE + 10 ** 11 + FEE + 2 * FEE)
