"""Which ledger refusals of a resumed creation say nothing about its first attempt."""
import time

from ansible_collections.icp.canister_factory.plugins.module_utils._ic.cycles_ledger import CreationPending, LedgerError
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import Reject
from ansible_collections.icp.canister_factory.plugins.module_utils._unknown_outcomes import forgotten_by_ledger

DAY_NS = 24 * 3600 * 10 ** 9


def _key(age_ns):
    return {"funding": "cycles_ledger", "created_at_time": time.time_ns() - age_ns, "creation_cycles": 10 ** 12}


def test_past_the_window_any_ledger_error_is_forgotten_not_failed():
    old = _key(DAY_NS + 120 * 10 ** 9)
    assert forgotten_by_ledger(LedgerError("create_canister", "TooOld", None), old)
    assert forgotten_by_ledger(LedgerError("create_canister", "InsufficientFunds", {"balance": 0}), old)


def test_within_the_window_only_too_old_is():
    fresh = _key(60 * 10 ** 9)
    assert not forgotten_by_ledger(LedgerError("create_canister", "InsufficientFunds", {"balance": 0}), fresh)
    assert forgotten_by_ledger(LedgerError("create_canister", "TooOld", None), fresh)


def test_definite_answers_and_other_errors_are_not():
    old = _key(DAY_NS + 120 * 10 ** 9)
    assert not forgotten_by_ledger(LedgerError("create_canister", "Refunded", {"burn_block": 1}), old)
    assert not forgotten_by_ledger(CreationPending(3), old)
    assert not forgotten_by_ledger(Reject(5, "trapped", "IC0503"), old)
