"""Cycles-ledger balances kept in the network's state (credited by ``/_/mint``)."""
from _ic.principal import Principal

_DEFAULT_SUBACCOUNT = bytes(32)


def account_key(owner, subaccount=None):
    """Storage key of an ICRC-1 account: length-prefixed owner then the 32-byte subaccount."""
    owner = Principal.coerce(owner, "to")
    sub = _DEFAULT_SUBACCOUNT if subaccount is None else bytes(subaccount)
    if len(sub) != 32:
        raise ValueError("subaccount: must be 32 bytes")
    return bytes([len(owner.raw)]) + owner.raw + sub


def balance(view, owner, subaccount=None):
    """Balance of an account in a Store or Transaction."""
    return view.balance(account_key(owner, subaccount))


def credit(tx, owner, subaccount, amount):
    """Add ``amount`` to an account in ``tx``; returns the new balance."""
    key = account_key(owner, subaccount)
    new = tx.balance(key) + amount
    tx.set_balance(key, new)
    return new


def debit(tx, owner, subaccount, amount):
    """Take ``amount`` from an account; returns the new balance or None if it is too low."""
    key = account_key(owner, subaccount)
    current = tx.balance(key)
    if current < amount:
        return None
    tx.set_balance(key, current - amount)
    return current - amount
