# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What became of a cycles-ledger creation whose answer was never heard.

The ledger records a creation as a burn of ``amount`` from the caller's account with the
create memo (32 bytes 0xFE) and ``tx.ts = created_at_time``; when the CMC refuses, a mint of
``amount - fee`` back to the account with the refund memo (32 bytes 0xFD) follows. The blocks
are ordered by time, so the burn is found by bisecting on the block timestamps and reading
forward through the ledger's deduplication window.
"""

from __future__ import annotations

from ansible_collections.icp.canister_factory.plugins.module_utils.ic.principal import Principal

CREATE_MEMO = bytes([0xFE]) * 32
REFUND_MEMO = bytes([0xFD]) * 32
LEDGER_FEE = 100_000_000
_DRIFT_NS = 60 * 10 ** 9
_WINDOW_NS = 24 * 3600 * 10 ** 9 + 2 * _DRIFT_NS
_PAGE = 100
_MAX_SCANNED = 200_000


def find_creation(ledger, owner, created_at_time, amount, subaccount=None):
    """``{found, burn_block, burned_at, refund_block, canister_exists, scanned}`` for the creation
    keyed by ``created_at_time`` and ``amount`` from ``owner``'s account."""
    account = [Principal.coerce(owner, "owner").raw] + ([bytes(subaccount)] if subaccount else [])
    created_at_time, amount = int(created_at_time), int(amount)
    length = ledger.icrc3_get_blocks(0, 0)[0]
    index = _first_at_or_after(ledger, length, created_at_time - _DRIFT_NS)
    out = {"found": False, "burn_block": None, "burned_at": None, "refund_block": None,
           "canister_exists": False, "scanned": 0}
    while index < length and out["scanned"] < _MAX_SCANNED:
        page = ledger.icrc3_get_blocks(index, _PAGE)[1]
        if not page:
            break
        for number, block in page:
            out["scanned"] += 1
            tx = block.get("tx", {})
            if out["burn_block"] is None:
                if block.get("ts", 0) > created_at_time + _WINDOW_NS:
                    return out
                if (tx.get("op") == "burn" and tx.get("memo") == CREATE_MEMO and tx.get("ts") == created_at_time
                        and tx.get("amt") == amount and tx.get("from") == account):
                    out.update(found=True, burn_block=number, burned_at=block.get("ts"), canister_exists=True)
            elif (tx.get("op") == "mint" and tx.get("memo") == REFUND_MEMO and tx.get("to") == account
                  and tx.get("amt") == amount - LEDGER_FEE):
                out.update(refund_block=number, canister_exists=False)
                return out
            elif block.get("ts", 0) > out["burned_at"] + _WINDOW_NS:
                return out
        index = page[-1][0] + 1
    return out


def _first_at_or_after(ledger, length, ts):
    """Index of the first block whose timestamp is at least ``ts`` (blocks are in time order)."""
    lo, hi = 0, length
    while lo < hi:
        mid = (lo + hi) // 2
        found = ledger.icrc3_get_blocks(mid, 1)[1]
        if found and found[0][1].get("ts", 0) < ts:
            lo = mid + 1
        else:
            hi = mid
    return lo


def refund_after(ledger, owner, burn_block, amount, subaccount=None, look_ahead=_PAGE):
    """Index of the refund mint that follows burn ``burn_block`` of a creation of ``amount``
    (the CMC refused it, so no canister exists), or None."""
    account = [Principal.coerce(owner, "owner").raw] + ([bytes(subaccount)] if subaccount else [])
    page = ledger.icrc3_get_blocks(int(burn_block), look_ahead)[1]
    for number, block in page[1:]:
        tx = block.get("tx", {})
        if (tx.get("op") == "mint" and tx.get("memo") == REFUND_MEMO and tx.get("to") == account
                and tx.get("amt") == int(amount) - LEDGER_FEE):
            return number
    return None
