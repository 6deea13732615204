# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The deduplication key of a top-up paid from the cycles ledger, and what became of one.

One place for the rule that ``ic_cycles`` and ``ic_fleet``'s cycles band share: a withdraw is
sent with a key (``created_at_time``, amount, receiver) recorded in the canister's registry
entry (field ``pending_top_up``) before the call, and cleared once its outcome is known. A
run that finds a pending key sends the same withdraw again instead of a new one:

* ``Ok``: the first attempt never reached the ledger; this one paid.
* ``Duplicate``: the first attempt burnt the cycles; it landed unless a refund mint (memo
  32 x 0xFF, amount - fee) to the account follows the burn (``FailedToWithdraw``: the
  deposit was rejected, nothing reached the canister).
* past the ledger's window (``TooOld``, or any refusal once the key is older than 24 h):
  the burn is looked up in the ledger's blocks; when that cannot decide, the task fails and
  keeps the key.
* a lost reply or timeout: the same withdraw again after 2 s and 5 s, then the task fails
  and keeps the key.
"""

from __future__ import annotations

import datetime
import time

from ansible_collections.icp.canister_factory.plugins.module_utils import _unknown_outcomes
from ansible_collections.icp.canister_factory.plugins.module_utils._creation_keys import next_created_at_time
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.cycles_ledger import (
    LedgerError, WithdrawDuplicate, WithdrawFailed)
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import ICError
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.principal import Principal

PENDING_FIELD = "pending_top_up"
# What ``settle`` answers: this call paid, or an earlier call with the same key did.
PAID_NOW = "paid_now"
PAID_BEFORE = "paid_before"
KEY_KEPT = "its key is kept in the registry entry (pending_top_up): run again to settle it, it is never paid twice"
KEY_NOT_KEPT = ("no registry entry keeps its key: check the canister's balance before topping it up again "
                "(give name and registry to make a rerun settle it)")


class TopUpUnknown(ICError):
    """The outcome of a top-up stays unknown: the key is kept, the message says what to check."""

    outcome_unknown = True


def new_key(canister_id, amount):
    """A fresh key for a withdraw of ``amount`` cycles to ``canister_id``."""
    return {"created_at_time": next_created_at_time(), "cycles": int(amount), "canister_id": str(canister_id)}


def pending_key(entry):
    """The key of an unfinished top-up recorded in registry ``entry``, or None."""
    key = (entry or {}).get(PENDING_FIELD)
    return dict(key) if key and key.get("created_at_time") and key.get("canister_id") else None


def settle(ledger, owner, key, kept=KEY_KEPT, sleep=time.sleep):
    """Send the withdraw of ``key`` (again) and find out what became of it: PAID_NOW or
    PAID_BEFORE. Raises a definite ``LedgerError`` (``WithdrawFailed``, ``Refunded``, or a
    refusal of a key the ledger still knows: nothing was paid, drop the key) or an error with
    ``outcome_unknown`` (keep the key); ``kept`` ends its message (where the key is kept)."""
    to = Principal.from_text(key["canister_id"])
    amount, stamp = int(key["cycles"]), int(key["created_at_time"])
    delays = list(_unknown_outcomes.PENDING_RETRY_DELAYS)
    while True:
        try:
            ledger.withdraw(to=to, amount=amount, created_at_time=stamp)
            return PAID_NOW
        except WithdrawDuplicate as exc:
            return _refunded_or_paid(ledger, owner, key, exc.duplicate_of)
        except WithdrawFailed:
            raise
        except LedgerError as exc:
            if _unknown_outcomes.forgotten_by_ledger(exc, key):
                return _look_up(ledger, owner, key)
            raise
        except ICError as exc:
            if not _unknown_outcomes.outcome_unknown(exc):
                raise
            if not delays:
                raise TopUpUnknown(f"{_what(key)} has an unknown outcome ({str(exc).splitlines()[0]}); "
                                   f"{kept}") from None
            sleep(delays.pop(0))


def _refunded_or_paid(ledger, owner, key, burn_block):
    from ansible_collections.icp.canister_factory.plugins.module_utils._ledger_lookup import withdraw_refund_after

    try:
        refund = withdraw_refund_after(ledger, owner, burn_block, key["cycles"])
    except ICError as exc:
        raise TopUpUnknown(f"{_what(key)} was burnt in cycles ledger block {burn_block}, but its blocks "
                           f"cannot be read ({exc}); the key is kept: check for a refund (memo 32 x 0xFF) "
                           "after that block, then run again") from None
    if refund is not None:
        raise _refunded(key, burn_block, refund)
    return PAID_BEFORE


def _look_up(ledger, owner, key):
    from ansible_collections.icp.canister_factory.plugins.module_utils._ledger_lookup import find_withdrawal

    try:
        found = find_withdrawal(ledger, owner, key["created_at_time"], key["cycles"], key["canister_id"])
    except ICError:
        found = {"found": False, "complete": False}
    if found["found"]:
        if found["refund_block"] is not None:
            raise _refunded(key, found["burn_block"], found["refund_block"])
        return PAID_BEFORE
    if found["complete"]:
        # The ledger's blocks of the whole window hold no such burn: it was never paid.
        raise LedgerError("withdraw", "NotFound", None, f"{_what(key)} is not in the cycles ledger's blocks: "
                          "it was never paid")
    raise TopUpUnknown(f"{_what(key)} has an unknown outcome and the cycles ledger no longer deduplicates "
                       "it (older than 24 h) nor could its blocks decide it; the key is kept: check the "
                       f"ledger's blocks of your account around that time for a burn of that amount, then "
                       f"remove {PENDING_FIELD} from the registry entry to top up anew")


def _refunded(key, burn_block, refund_block):
    return LedgerError("withdraw", "Refunded", {"burn_block": burn_block, "refund_block": refund_block},
                       f"{_what(key)} failed: the cycles ledger burnt it in block {burn_block} and refunded "
                       f"it less its fee in block {refund_block} (the canister did not accept the cycles)")


def _what(key):
    started = datetime.datetime.fromtimestamp(int(key["created_at_time"]) / 1e9, datetime.timezone.utc)
    return (f"the top-up of {key['cycles']} cycles to {key['canister_id']} started at {started.isoformat()} "
            f"(created_at_time={key['created_at_time']})")
