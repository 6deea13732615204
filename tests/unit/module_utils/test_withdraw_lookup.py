"""Which refund proves a withdraw (top-up) failed, and where its burn is (ledger_lookup)."""
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.principal import Principal
from ansible_collections.icp.canister_factory.plugins.module_utils._ledger_lookup import (
    CREATE_MEMO, LEDGER_FEE, REFUND_MEMO, WITHDRAW_REFUND_MEMO, find_withdrawal, withdraw_memo,
    withdraw_refund_after)

ME = Principal.from_text("2vxsx-fae")
TO = "lxzze-o7777-77777-aaaaa-cai"
AMOUNT = 10 ** 12
SECOND = 10 ** 9
DAY = 24 * 3600 * SECOND


def _tx(kind, when=None):
    if kind == "withdraw":
        return {"op": "burn", "memo": withdraw_memo(TO), "amt": AMOUNT, "from": [ME.raw], "ts": when}
    if kind == "create":
        return {"op": "burn", "memo": CREATE_MEMO, "amt": AMOUNT, "from": [ME.raw], "ts": when}
    memo = WITHDRAW_REFUND_MEMO if kind == "withdraw_refund" else REFUND_MEMO
    return {"op": "mint", "memo": memo, "amt": AMOUNT - LEDGER_FEE, "to": [ME.raw]}


class FakeLedger:
    """icrc3_get_blocks over ``(kind, created_at_time)`` events, one second apart from ``start``."""

    def __init__(self, events, start=1000 * SECOND, gap=SECOND):
        self.blocks = [{"ts": start + i * gap, "tx": _tx(kind, when)} for i, (kind, when) in enumerate(events)]

    def icrc3_get_blocks(self, start, length):
        return len(self.blocks), [(i, self.blocks[i]) for i in range(start, min(start + length, len(self.blocks)))]


def test_a_withdraw_refund_settles_its_burn_but_a_creations_refund_does_not():
    assert withdraw_refund_after(FakeLedger([("withdraw", 1), ("withdraw_refund", None)]), ME, 0, AMOUNT) == 1
    # Same amount back, but with a refused creation's memo (0xFD): not this withdraw's refund.
    assert withdraw_refund_after(FakeLedger([("withdraw", 1), ("refund", None)]), ME, 0, AMOUNT) is None


def test_another_alike_withdraw_makes_a_refund_no_proof():
    ledger = FakeLedger([("withdraw", 1), ("withdraw", 2), ("withdraw_refund", None)])
    assert withdraw_refund_after(ledger, ME, 0, AMOUNT) is None


def test_find_withdrawal_by_its_key_and_receiver():
    ledger = FakeLedger([("create", 999 * SECOND), ("withdraw", 1000 * SECOND), ("withdraw_refund", None)])
    found = find_withdrawal(ledger, ME, 1000 * SECOND, AMOUNT, TO)
    assert found["found"] and found["burn_block"] == 1 and found["refund_block"] == 2
    assert not find_withdrawal(ledger, ME, 1000 * SECOND, AMOUNT, "aaaaa-aa")["found"]


def test_not_found_is_complete_only_once_the_blocks_pass_the_window():
    short = FakeLedger([("create", 1000 * SECOND)])
    assert find_withdrawal(short, ME, 1000 * SECOND, AMOUNT, TO) == {
        "found": False, "burn_block": None, "refund_block": None, "complete": False, "scanned": 1}
    long = FakeLedger([("create", 1000 * SECOND), ("create", None)], gap=2 * DAY)
    assert find_withdrawal(long, ME, 1000 * SECOND, AMOUNT, TO)["complete"] is True
