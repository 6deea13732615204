"""The cycles ledger's block log, served by ``icrc3_get_blocks`` in DFINITY's block format.

A block is an ICRC-3 value ``{tx: {op, from|to, amt, memo?, ts?, fee?}, ts, phash?, fee?}``
(``op`` ``mint``/``burn``/``xfer``; accounts as ``[owner blob, subaccount blob?]``), chained by
``phash``, the ICRC-3 hash of the previous block. ``create_canister`` burns with a memo of 32
bytes 0xFE and refunds with a mint memo of 32 bytes 0xFD, as the real ledger does; a withdraw
burns with the receiver in its memo and a failed one refunds with 32 bytes 0xFF.
"""
import hashlib

from _ic import cbor
from _ic.cbor import uleb128
from _ic.principal import Principal

CREATE_CANISTER_MEMO = bytes([0xFE]) * 32
REFUND_MEMO = bytes([0xFD]) * 32
# A failed withdraw's refund (the real ledger's PENALIZE_MEMO, cycles-ledger/src/storage.rs).
PENALIZE_MEMO = bytes([0xFF]) * 32
MAX_BLOCKS_PER_REQUEST = 100
# Each block is a meta value of its own: one map of every block would be decoded and encoded
# again by each transaction, a cost that grows with the chain. State from before keeps its map.
_BLOCK_KEY = "ledger_block/{}"
_LEGACY_LOG = "ledger_block_log"


def account(owner, subaccount=None):
    """An account as an ICRC-3 value."""
    parts = [{"Blob": Principal.coerce(owner, "owner").raw}]
    if subaccount is not None:
        parts.append({"Blob": bytes(subaccount)})
    return {"Array": parts}


def withdraw_memo(receiver):
    """A withdraw burn's memo: the receiver in CBOR, as an array of one byte string (the real
    ledger's ``encode_withdraw_memo``, cycles-ledger/src/memo.rs: a minicbor struct with field
    0 ``receiver`` as bytes)."""
    return cbor.dumps([Principal.coerce(receiver, "receiver").raw], self_describe=False)


def value_hash(value):
    """The ICRC-3 representation-independent hash of a value."""
    (kind, data), = value.items()
    if kind in ("Nat", "Nat64"):
        return hashlib.sha256(uleb128(data)).digest()
    if kind == "Blob":
        return hashlib.sha256(bytes(data)).digest()
    if kind == "Text":
        return hashlib.sha256(data.encode()).digest()
    if kind == "Array":
        return hashlib.sha256(b"".join(value_hash(v) for v in data)).digest()
    if kind == "Map":
        pairs = sorted(hashlib.sha256(k.encode()).digest() + value_hash(v) for k, v in data)
        return hashlib.sha256(b"".join(pairs)).digest()
    raise ValueError(f"no ICRC-3 hash for {kind}")


def append(node, tx, op, amount, fee=None, memo=None, created_at_time=None, tx_fee=None, **accounts):
    """Record a block (``accounts``: ``from``/``to`` as ``account(...)`` values); returns its index."""
    index = tx.get_meta("ledger_blocks", 0)
    tx.set_meta("ledger_blocks", index + 1)
    body = [("op", {"Text": op}), ("amt", {"Nat": int(amount)})]
    body += list(accounts.items())
    if tx_fee is not None:
        body.append(("fee", {"Nat": int(tx_fee)}))
    if memo is not None:
        body.append(("memo", {"Blob": bytes(memo)}))
    if created_at_time is not None:
        body.append(("ts", {"Nat": int(created_at_time)}))
    block = [("tx", {"Map": body}), ("ts", {"Nat": node.clock.canister_time_ns()})]
    if fee is not None:
        block.append(("fee", {"Nat": int(fee)}))
    previous = _stored_block(tx, index - 1) if index else None
    if previous is not None:
        block.append(("phash", {"Blob": value_hash(_tuples(previous))}))
    tx.set_meta(_BLOCK_KEY.format(index), {"Map": [list(pair) for pair in block]})
    return index


def _stored_block(view, index):
    """Block ``index`` as stored, or None."""
    block = view.get_meta(_BLOCK_KEY.format(index))
    if block is None:
        block = view.get_meta(_LEGACY_LOG, {}).get(index)
    return block


def _tuples(value):
    """Stored (CBOR) form back to the value shape: Map entries are (key, value) pairs."""
    (kind, data), = value.items()
    if kind == "Map":
        return {"Map": [(k, _tuples(v)) for k, v in data]}
    if kind == "Array":
        return {"Array": [_tuples(v) for v in data]}
    return {kind: data}


def get_blocks(view, ranges):
    """``icrc3_get_blocks``: the blocks of each ``{start, length}`` (at most 100 in all)."""
    length_now = view.get_meta("ledger_blocks", 0)
    found = []
    for wanted in ranges:
        start, length = int(wanted["start"]), int(wanted["length"])
        for index in range(start, min(length_now, start + min(length, MAX_BLOCKS_PER_REQUEST - len(found)))):
            block = _stored_block(view, index)
            if block is not None:
                found.append({"id": index, "block": _tuples(block)})
    return {"log_length": length_now, "blocks": found, "archived_blocks": []}
