"""A refund block names no burn: which refund proves which creation refunded (ledger_lookup)."""
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.principal import Principal
from ansible_collections.icp.canister_factory.plugins.module_utils._ledger_lookup import (
    CMC_PENALTY, CREATE_MEMO, LEDGER_FEE, REFUND_MEMO, find_creation, refund_after)

ME = Principal.from_text("2vxsx-fae")
AMOUNT = 10 ** 12
SECOND = 10 ** 9


class FakeLedger:
    """icrc3_get_blocks over a list of (kind, created_at_time) events, one second apart."""

    def __init__(self, events, amount=AMOUNT, refund=None):
        # A refused creation of 1 T cycles: the CMC keeps its penalty, the ledger its fee.
        refund = amount - CMC_PENALTY - LEDGER_FEE if refund is None else refund
        self.blocks = []
        for index, (kind, when) in enumerate(events):
            if kind == "burn":
                tx = {"op": "burn", "memo": CREATE_MEMO, "amt": amount, "from": [ME.raw], "ts": when}
            elif isinstance(kind, int):   # a burn of another amount
                tx = {"op": "burn", "memo": CREATE_MEMO, "amt": kind, "from": [ME.raw], "ts": when}
            else:
                tx = {"op": "mint", "memo": REFUND_MEMO, "amt": refund, "to": [ME.raw]}
            self.blocks.append({"ts": 1000 * SECOND + index * SECOND, "tx": tx})

    def icrc3_get_blocks(self, start, length):
        return len(self.blocks), [(i, self.blocks[i]) for i in range(start, min(start + length, len(self.blocks)))]


def test_a_refund_after_another_alike_creation_is_not_proof():
    """y burns (held at the CMC), x burns and is refunded: the refund may be x's."""
    ledger = FakeLedger([("burn", 1), ("burn", 2), ("refund", None)])
    assert refund_after(ledger, ME, 0, AMOUNT) is None
    assert find_creation(ledger, ME, 1, AMOUNT)["canister_exists"] is True


def test_more_refunds_than_other_burns_settle_it():
    """Three alike creations all refused: three refunds after the first burn, two other burns."""
    ledger = FakeLedger([("burn", 1), ("burn", 2), ("burn", 3), ("refund", None), ("refund", None),
                         ("refund", None)])
    assert refund_after(ledger, ME, 0, AMOUNT) == 5
    assert refund_after(ledger, ME, 2, AMOUNT) == 5
    found = find_creation(ledger, ME, 2, AMOUNT)
    assert found["burn_block"] == 1 and found["refund_block"] == 5 and not found["canister_exists"]


def test_alone_its_refund_is_its_own_and_earlier_refunds_do_not_count():
    ledger = FakeLedger([("burn", 1), ("refund", None), ("burn", 3), ("refund", None)])
    # Block 1 is burn 0's refund; for burn 2 only block 3 comes after, against one other burn.
    assert refund_after(ledger, ME, 0, AMOUNT) == 1
    assert refund_after(ledger, ME, 2, AMOUNT) is None
    assert refund_after(FakeLedger([("burn", 5), ("refund", None)]), ME, 0, AMOUNT) == 1
    assert refund_after(FakeLedger([("burn", 5), ("refund", None)], amount=AMOUNT + 1), ME, 0, AMOUNT) is None


def test_a_scan_cut_short_leaves_the_canister_possible(monkeypatch):
    """When the block budget runs out before a refund is proven, the creation stays possible."""
    from ansible_collections.icp.canister_factory.plugins.module_utils import _ledger_lookup as ledger_lookup

    ledger = FakeLedger([("burn", 1), ("refund", None)])
    assert find_creation(ledger, ME, 1, AMOUNT)["canister_exists"] is False
    monkeypatch.setattr(ledger_lookup, "_MAX_SCANNED", 1)
    found = find_creation(ledger, ME, 1, AMOUNT)
    assert found["found"] and found["canister_exists"] and found["refund_block"] is None


def test_the_refund_is_what_the_cmc_returned_less_the_ledger_fee():
    """DFINITY's CMC (rs/nns/cmc/src/main.rs create_canister) keeps a 100 M penalty when it
    tried and failed; under 100 G cycles it refuses outright and returns all."""
    assert refund_after(FakeLedger([("burn", 1), ("refund", None)]), ME, 0, AMOUNT) == 1
    whole = FakeLedger([("burn", 1), ("refund", None)], refund=AMOUNT - LEDGER_FEE)
    assert refund_after(whole, ME, 0, AMOUNT) is None
    small = 10 ** 9
    assert refund_after(FakeLedger([("burn", 1), ("refund", None)], amount=small,
                                   refund=small - LEDGER_FEE), ME, 0, small) == 1


def test_a_burn_of_another_amount_whose_refund_looks_the_same_may_own_it():
    """99.95 G is refunded whole (less the fee); 100.05 G less the penalty too: the same mint."""
    low, high = 99_950_000_000, 100_050_000_000
    ledger = FakeLedger([("burn", 1), (low, 2), ("refund", None)], amount=high,
                        refund=low - LEDGER_FEE)
    assert high - CMC_PENALTY - LEDGER_FEE == low - LEDGER_FEE
    assert refund_after(ledger, ME, 0, high) is None
