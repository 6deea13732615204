# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What became of a cycles-ledger creation whose answer was never heard.

The ledger records a creation as a burn of ``amount`` from the caller's account with the
create memo (32 bytes 0xFE) and ``tx.ts = created_at_time``; when the CMC refuses, a mint back
to the account with the refund memo (32 bytes 0xFD) follows: what the CMC returned less the
ledger's fee. DFINITY's CMC (dfinity/ic rs/nns/cmc/src/main.rs ``create_canister``) returns
the whole amount when it refuses outright (under 100 G cycles), else the amount less its
bad-request penalty of 100 M cycles (no subnet allowed, or every subnet refused). The blocks
are ordered by time, so the burn is found by bisecting on the block timestamps and reading
forward through the ledger's deduplication window.

A refund block names no burn. When other creations of the same amount from the same account
overlap (a fleet creates many alike), a refund after this burn may be another's, so it counts
as this one's only when the refunds after this burn outnumber the other such burns that could
own them (each refund follows its own burn). The other burns are counted from one window
before this burn: a CMC call that outlasts the ledger's deduplication window is assumed not
to happen. Anything less certain leaves the outcome unknown.

A withdraw (top-up) is found the same way: a burn from the account of its amount with
``tx.ts = created_at_time`` and the receiver's memo; a refund of a failed one is a mint with
memo 32 bytes 0xFF of amount - fee (never a creation's 0xFD).
"""

from __future__ import annotations

from ansible_collections.icp.canister_factory.plugins.module_utils._ic.principal import Principal

CREATE_MEMO = bytes([0xFE]) * 32
REFUND_MEMO = bytes([0xFD]) * 32
# A failed withdraw's refund (the real ledger's PENALIZE_MEMO, cycles-ledger/src/storage.rs).
WITHDRAW_REFUND_MEMO = bytes([0xFF]) * 32
LEDGER_FEE = 100_000_000
CMC_MIN_CYCLES = 100_000_000_000
CMC_PENALTY = 100_000_000
_DRIFT_NS = 60 * 10 ** 9
_WINDOW_NS = 24 * 3600 * 10 ** 9 + 2 * _DRIFT_NS
_PAGE = 100
_MAX_SCANNED = 200_000


def find_creation(ledger, owner, created_at_time, amount, subaccount=None):
    """``{found, burn_block, burned_at, refund_block, canister_exists, scanned}`` for the creation
    keyed by ``created_at_time`` and ``amount`` from ``owner``'s account."""
    account = _account(owner, subaccount)
    created_at_time, amount = int(created_at_time), int(amount)
    length = ledger.icrc3_get_blocks(0, 0)[0]
    out = {"found": False, "burn_block": None, "burned_at": None, "refund_block": None,
           "canister_exists": False, "scanned": 0}
    start = _first_at_or_after(ledger, length, created_at_time - _DRIFT_NS)
    for number, block in _blocks(ledger, start, length, out):
        tx = block.get("tx", {})
        if block.get("ts", 0) > created_at_time + _WINDOW_NS:
            return out
        if _is_creation(tx, account, amount) and tx.get("ts") == created_at_time:
            out.update(found=True, burn_block=number, burned_at=block.get("ts"), canister_exists=True)
            break
    else:
        return out
    refund = _own_refund(ledger, account, amount, out["burn_block"], out["burned_at"], length,
                         out["burned_at"] + _WINDOW_NS, out)
    if refund is not None:
        out.update(refund_block=refund, canister_exists=False)
    return out


def refund_after(ledger, owner, burn_block, amount, subaccount=None, look_ahead=_PAGE):
    """Index of the refund mint that shows burn ``burn_block`` of a creation of ``amount`` was
    refused by the CMC (so no canister exists), or None when no refund within ``look_ahead``
    blocks after it is certainly its own."""
    burn_block = int(burn_block)
    found = ledger.icrc3_get_blocks(burn_block, 1)[1]
    if not found:
        return None
    return _own_refund(ledger, _account(owner, subaccount), int(amount), burn_block, found[0][1].get("ts", 0),
                       burn_block + 1 + look_ahead, None, {"scanned": 0})


def _own_refund(ledger, account, amount, burn_block, burned_at, stop, stop_ts, counter,  # pylint: disable=too-many-arguments
                withdrawal=False):
    """The refund after ``burn_block`` (before block ``stop`` and time ``stop_ts``) that must be
    its own, reading from one window before the burn to count the other alike burns; None when
    there is none or the scan budget runs out first (the outcome then stays unknown)."""
    owner_of_refunds = _RefundOwner(account, amount, burn=burn_block, withdrawal=withdrawal)
    start = _first_at_or_after(ledger, burn_block, burned_at - _WINDOW_NS)
    for number, block in _blocks(ledger, start, stop, counter):
        if stop_ts is not None and block.get("ts", 0) > stop_ts:
            return None
        if owner_of_refunds.settles(number, block.get("tx", {})):
            return number
    return None


class _RefundOwner:
    """Decides, block by block in ledger order, whether a refund proves burn ``burn`` refunded
    (of a creation; of a withdraw with ``withdrawal=True``)."""

    def __init__(self, account, amount, burn, withdrawal=False):
        self.account = account
        self.amount = amount
        self.burn = burn
        self.withdrawal = withdrawal
        self.other_burns = 0
        self.refunds_after = 0

    def settles(self, number, tx):
        """Count block ``number``; True when it is a refund that must be this burn's."""
        if self._alike_burn(tx):
            self.other_burns += number != self.burn   # its refund would look the same
            return False
        refund = (_is_withdraw_refund(tx, self.account, self.amount) if self.withdrawal
                  else _is_refund(tx, self.account, self.amount))
        if number <= self.burn or not refund:
            return False
        self.refunds_after += 1
        return self.refunds_after > self.other_burns

    def _alike_burn(self, tx):
        if self.withdrawal:
            return _is_withdrawal(tx, self.account, self.amount, None)
        return _is_creation(tx, self.account, None) and _refund_of(tx.get("amt")) == _refund_of(self.amount)


def find_withdrawal(ledger, owner, created_at_time, amount, to, subaccount=None):
    """``{found, burn_block, refund_block, complete, scanned}`` for the withdraw (top-up) keyed by
    ``created_at_time`` and ``amount`` from ``owner``'s account to canister ``to``: its burn
    (``tx.ts`` = the key, the receiver's memo) and, after it, a refund mint (memo 32 x 0xFF,
    ``amount`` - fee) that must be its own. ``complete`` is False when the scan budget ran out
    or the log ends before the window does (a burn may still be unread)."""
    account = _account(owner, subaccount)
    created_at_time, amount = int(created_at_time), int(amount)
    memo = withdraw_memo(to)
    length = ledger.icrc3_get_blocks(0, 0)[0]
    out = {"found": False, "burn_block": None, "refund_block": None, "complete": False, "scanned": 0}
    start = _first_at_or_after(ledger, length, created_at_time - _DRIFT_NS)
    for number, block in _blocks(ledger, start, length, out):
        tx = block.get("tx", {})
        if block.get("ts", 0) > created_at_time + _WINDOW_NS:
            out["complete"] = True
            return out
        if _is_withdrawal(tx, account, amount, memo) and tx.get("ts") == created_at_time:
            out.update(found=True, complete=True, burn_block=number)
            out["refund_block"] = _own_refund(ledger, account, amount, number, block.get("ts", 0), length,
                                              block.get("ts", 0) + _WINDOW_NS, out, withdrawal=True)
            return out
    return out


def withdraw_refund_after(ledger, owner, burn_block, amount, subaccount=None, look_ahead=_PAGE):
    """Index of the refund mint (memo 32 x 0xFF) that shows withdraw burn ``burn_block`` of
    ``amount`` failed (the deposit was rejected, nothing reached the canister), or None when no
    refund within ``look_ahead`` blocks after it is certainly its own."""
    burn_block = int(burn_block)
    found = ledger.icrc3_get_blocks(burn_block, 1)[1]
    if not found:
        return None
    return _own_refund(ledger, _account(owner, subaccount), int(amount), burn_block, found[0][1].get("ts", 0),
                       burn_block + 1 + look_ahead, None, {"scanned": 0}, withdrawal=True)


def withdraw_memo(receiver):
    """A withdraw burn's memo: the receiver as CBOR ``[bytes]`` (DFINITY's cycles ledger,
    cycles-ledger/src/memo.rs ``encode_withdraw_memo``)."""
    from ansible_collections.icp.canister_factory.plugins.module_utils._ic.cbor import dumps

    return dumps([Principal.coerce(receiver, "to").raw], self_describe=False)


def _is_withdrawal(tx, account, amount, memo):
    """A withdraw burn from ``account`` of ``amount`` (to the receiver of ``memo``; any when None)."""
    return (tx.get("op") == "burn" and tx.get("from") == account and tx.get("amt") == amount
            and tx.get("memo") not in (CREATE_MEMO, None) and (memo is None or tx.get("memo") == memo))


def _is_withdraw_refund(tx, account, amount):
    return (tx.get("op") == "mint" and tx.get("memo") == WITHDRAW_REFUND_MEMO and tx.get("to") == account
            and tx.get("amt") == amount - LEDGER_FEE)


def _is_creation(tx, account, amount):
    """A creation burn from ``account`` (of ``amount``; any amount when None)."""
    return (tx.get("op") == "burn" and tx.get("memo") == CREATE_MEMO and tx.get("from") == account
            and (amount is None or tx.get("amt") == amount))


def _refund_of(amount):
    """The refund mint's amount of a refused creation of ``amount``."""
    returned = amount if amount < CMC_MIN_CYCLES else amount - CMC_PENALTY
    return returned - LEDGER_FEE


def _is_refund(tx, account, amount):
    return (tx.get("op") == "mint" and tx.get("memo") == REFUND_MEMO and tx.get("to") == account
            and tx.get("amt") == _refund_of(amount))


def _account(owner, subaccount):
    return [Principal.coerce(owner, "owner").raw] + ([bytes(subaccount)] if subaccount else [])


def _blocks(ledger, start, stop, counter):
    """``(index, block)`` from ``start`` up to ``stop`` (exclusive), counting into
    ``counter["scanned"]``, at most ``_MAX_SCANNED``."""
    index = start
    while index < stop and counter["scanned"] < _MAX_SCANNED:
        page = ledger.icrc3_get_blocks(index, min(_PAGE, stop - index))[1]
        if not page:
            return
        for number, block in page:
            counter["scanned"] += 1
            yield number, block
        index = page[-1][0] + 1


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
