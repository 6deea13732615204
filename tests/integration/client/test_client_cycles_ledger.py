"""The cycles-ledger client against localnet's cycles ledger (balances minted via /_/mint)."""
import os
import sys
import tempfile
import time

import pytest

from _ic.cycles_ledger import CyclesLedger, LedgerError, WithdrawDuplicate, WithdrawFailed

FEE = 100_000_000


def _module_utils(name):
    """A module of the collection's module_utils, imported as Ansible does (its own tree)."""
    import importlib

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from module_runner import collection_tree

    base = collection_tree(tempfile.mkdtemp(prefix="icp-collections-"))
    if base not in sys.path:
        sys.path.insert(0, base)
    return importlib.import_module(f"ansible_collections.icp.canister_factory.plugins.module_utils.{name}")


@pytest.fixture
def ledger(agent):
    return CyclesLedger(agent)


@pytest.fixture
def funded(localnet, agent):
    localnet.mint(agent.sender, 50 * 10**12)
    return 50 * 10**12


def test_balance_and_fee(ledger, agent, funded):
    assert ledger.icrc1_balance_of(agent.sender) == funded
    assert ledger.icrc1_fee() == FEE


def test_create_canister_is_deduplicated_by_created_at_time(ledger, agent, mgmt, funded):
    stamp = time.time_ns()
    canister = ledger.create_canister(10**12, created_at_time=stamp)
    assert agent.controllers(canister) == [agent.sender]
    assert ledger.icrc1_balance_of(agent.sender) == funded - 10**12 - FEE
    assert ledger.create_canister(10**12, created_at_time=stamp) == canister
    assert ledger.icrc1_balance_of(agent.sender) == funded - 10**12 - FEE
    assert mgmt.canister_status(canister)["cycles"] > 0


def test_create_with_settings(ledger, agent, mgmt, funded):
    canister = ledger.create_canister(10**12, settings={"freezing_threshold": 777})
    assert mgmt.canister_status(canister)["settings"]["freezing_threshold"] == 777


def test_withdraw_tops_up_once(ledger, agent, mgmt, funded):
    canister = mgmt.provisional_create_canister_with_cycles(amount=10**12)
    before = mgmt.canister_status(canister)["cycles"]
    stamp = time.time_ns()
    block = ledger.withdraw(canister, 2 * 10**12, created_at_time=stamp)
    # The same request again is a duplicate of that burn, which alone does not say it landed.
    with pytest.raises(WithdrawDuplicate) as info:
        ledger.withdraw(canister, 2 * 10**12, created_at_time=stamp)
    assert info.value.duplicate_of == block
    assert _module_utils("_unknown_outcomes").outcome_unknown(info.value)
    assert ledger.icrc1_balance_of(agent.sender) == funded - 2 * 10**12 - FEE
    assert mgmt.canister_status(canister)["cycles"] >= before + 2 * 10**12 - 10**10


def _deleted_canister(mgmt):
    canister = mgmt.provisional_create_canister_with_cycles(amount=10**12)
    mgmt.stop_canister(canister)
    mgmt.delete_canister(canister)
    return canister


def test_withdraw_to_a_deleted_canister_is_a_definite_refusal_with_a_refund(ledger, agent, mgmt, funded):
    """The ledger burns, the deposit is rejected, it refunds less the fee (FailedToWithdraw):
    a refusal with a known outcome, said in one line."""
    outcome_unknown = _module_utils("_unknown_outcomes").outcome_unknown
    gone = _deleted_canister(mgmt)
    with pytest.raises(WithdrawFailed) as info:
        ledger.withdraw(gone, 10**12)
    assert not outcome_unknown(info.value) and info.value.variant == "FailedToWithdraw"
    assert isinstance(info.value.refund_block, int)
    text = str(info.value)
    assert "\n" not in text and str(gone) in text and "not found" in text and "refunded" in text
    assert ledger.icrc1_balance_of(agent.sender) == funded - 2 * FEE


def test_the_creation_lookup_does_not_take_a_withdraws_refund_for_the_creations(ledger, agent, mgmt, funded):
    """A failed withdraw of the creation's amount mints amount - fee back, as a refused
    creation does, but with the withdraw's memo: the lookup still finds the canister."""
    lookup = _module_utils("_ledger_lookup")
    amount, stamp = 10**12, time.time_ns()
    canister = ledger.create_canister(amount, created_at_time=stamp)
    with pytest.raises(WithdrawFailed):
        ledger.withdraw(_deleted_canister(mgmt), amount)
    found = lookup.find_creation(ledger, str(agent.sender), stamp, amount)
    assert found["found"] and found["canister_exists"] and found["refund_block"] is None
    assert lookup.refund_after(ledger, str(agent.sender), found["burn_block"], amount) is None
    assert mgmt.canister_status(canister) is not None


def test_insufficient_funds_is_a_typed_ledger_error(ledger, agent):
    with pytest.raises(LedgerError) as info:
        ledger.create_canister(10**15)
    assert info.value.variant == "InsufficientFunds"
    assert info.value.as_dict()["error_code"] == "InsufficientFunds"
