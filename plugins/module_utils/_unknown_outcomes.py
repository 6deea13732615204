# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Which failures leave a creation's outcome unknown, and what the operator is told.

An unknown outcome never drops the deduplication key: the registry entry stays ``creating``
with its key, and the next run asks again with that key (see docs/internals.md,
"Unknown outcomes").
"""

from __future__ import annotations

import datetime

from ansible_collections.icp.canister_factory.plugins.module_utils._creation_keys import ledger_key_expired
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.cycles_ledger import CreationPending, LedgerError
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import CertificateError, ICError, TransportError

# Seconds between the attempts of one run when the answer is lost or the ledger still waits
# for the CMC; after them the task fails and keeps the key.
PENDING_RETRY_DELAYS = (2, 5)

__all__ = ["CreationPending", "PENDING_RETRY_DELAYS", "outcome_unknown", "forgotten_by_ledger", "refunded_or",
           "too_old_message"]


def outcome_unknown(exc):
    """True when ``exc`` leaves open whether the call took effect."""
    return isinstance(exc, (TransportError, CertificateError)) or getattr(exc, "outcome_unknown", False)


def forgotten_by_ledger(exc, key):
    """True when the ledger's refusal of a resumed creation says nothing about the first attempt
    because the ledger no longer knows the key: ``TooOld``, or any ledger ``Err`` once the key is
    past the window. DFINITY's cycles ledger looks for a duplicate first and checks the window
    last, after the funds (dfinity/cycles-ledger, cycles-ledger/src/storage.rs
    ``create_canister``: ``check_duplicate``, ``check_debit_from_account``, then
    ``process_transaction`` → ``validate_created_at_time``), so a pruned key can come back as
    ``InsufficientFunds`` although the first attempt made a canister."""
    if not isinstance(exc, LedgerError) or isinstance(exc, CreationPending) or exc.variant == "Refunded":
        return False  # Refunded is read from the ledger's blocks: a definite answer
    return exc.variant == "TooOld" or ledger_key_expired(key)


def refunded_or(pending, agent, owner, key):
    """What a creation still ``Duplicate`` without canister id after the retries is: a definite
    ``LedgerError`` ``Refunded`` when the ledger's blocks show a refund after its burn block (the
    CMC refused; no canister exists, so the next run may start afresh), else ``pending``."""
    from ansible_collections.icp.canister_factory.plugins.module_utils._ic.cycles_ledger import CyclesLedger, LedgerError
    from ansible_collections.icp.canister_factory.plugins.module_utils._ledger_lookup import refund_after

    if pending.duplicate_of is None or key.get("creation_cycles") is None:
        return pending
    try:
        refund = refund_after(CyclesLedger(agent), owner, pending.duplicate_of, key["creation_cycles"])
    except ICError:
        return pending  # a ledger without a readable block log: the outcome stays unknown
    if refund is None:
        return pending
    return LedgerError("create_canister", "Refunded", {"burn_block": pending.duplicate_of, "refund_block": refund})


def too_old_message(name, key):
    """The failure text for an unfinished ledger creation whose key the ledger no longer knows."""
    started = datetime.datetime.fromtimestamp(int(key["created_at_time"]) / 1e9, datetime.timezone.utc)
    return (f"the creation of {name!r} started at {started.isoformat()} (created_at_time="
            f"{key['created_at_time']}, {key.get('creation_cycles')} cycles) has an unknown outcome and "
            "the cycles ledger no longer deduplicates it (older than 24 h), so it is not retried: a "
            "canister may exist. Look it up with ic_canister_info ledger_creation={created_at_time: "
            f"{key['created_at_time']}, cycles: {key.get('creation_cycles')}}} (the ledger's blocks of your "
            "account around that time: a burn without a refund means a canister controlled by you was "
            "created then); record its canister_id with ic_registry, or remove the entry to create anew")
