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


# The ledger's total supply: as DFINITY's cycles ledger keeps it (cycles-ledger/src/storage.rs,
# ``State::credit`` / ``State::debit`` move ``total_supply`` with every balance), the sum of every
# account's balance: a mint or deposit adds, a burn (withdraw, create_canister) and every fee
# take away, a transfer moves only its fee out.
SUPPLY = "ledger_supply"


def total_supply(view):
    """The cycles held in all accounts."""
    return view.get_meta(SUPPLY, 0)


def credit(tx, owner, subaccount, amount):
    """Add ``amount`` to an account in ``tx`` (and to the total supply); returns the new balance."""
    key = account_key(owner, subaccount)
    new = tx.balance(key) + amount
    tx.set_balance(key, new)
    tx.set_meta(SUPPLY, total_supply(tx) + amount)
    return new


def debit(tx, owner, subaccount, amount):
    """Take ``amount`` from an account (and from the total supply); returns the new balance or
    None if it is too low."""
    key = account_key(owner, subaccount)
    current = tx.balance(key)
    if current < amount:
        return None
    tx.set_balance(key, current - amount)
    tx.set_meta(SUPPLY, total_supply(tx) - amount)
    return current - amount
