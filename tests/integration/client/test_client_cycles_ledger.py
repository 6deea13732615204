"""The cycles-ledger client against localnet's cycles ledger (balances minted via /_/mint)."""
import time

import pytest

from _ic.cycles_ledger import CyclesLedger, LedgerError

FEE = 100_000_000


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
    assert ledger.withdraw(canister, 2 * 10**12, created_at_time=stamp) == block
    assert ledger.icrc1_balance_of(agent.sender) == funded - 2 * 10**12 - FEE
    assert mgmt.canister_status(canister)["cycles"] >= before + 2 * 10**12 - 10**10


def test_insufficient_funds_is_a_typed_ledger_error(ledger, agent):
    with pytest.raises(LedgerError) as info:
        ledger.create_canister(10**15)
    assert info.value.variant == "InsufficientFunds"
    assert info.value.as_dict()["error_code"] == "InsufficientFunds"
