"""Client of the cycles ledger (``um5iw-rqaaa-aaaaq-qaaba-cai``): balances, canister creation
paid in cycles, withdrawing cycles to a canister (top-up) and deposits."""
import time

from .errors import ICError
from .management import once, service_method
from .principal import Principal

CYCLES_LEDGER_ID = "um5iw-rqaaa-aaaaq-qaaba-cai"


def _parse_ledger_did():
    from .candid import parse_did
    from .cycles_ledger_did import CYCLES_LEDGER_DID
    return parse_did(CYCLES_LEDGER_DID)


ledger_interface = once(_parse_ledger_did)
ledger_interface.__doc__ = "The parsed cycles-ledger interface (parsed once per process, on first use)."


class LedgerError(ICError):
    """The ledger answered ``Err``: ``.variant`` is the error's tag (``InsufficientFunds``,
    ``TooOld``, ...), ``.details`` its payload; ``message`` replaces the default text."""

    def __init__(self, method, variant, details, message=None):
        self.method = method
        self.variant = variant
        self.details = details
        super().__init__(message or f"{method}: {variant}" + (f" {details}" if details else ""))

    def as_dict(self):
        """Module-result form, shaped like ``Reject.as_dict()``."""
        return {"reject_code": None, "error_code": self.variant, "message": str(self)}


class CreationPending(LedgerError):
    """``create_canister`` answered ``Duplicate`` without a canister id: the ledger burnt the
    cycles for this key (block ``.duplicate_of``) and still waits for the CMC, or the CMC
    refused and the ledger refunded. The outcome is unknown; ask again with the same key."""

    outcome_unknown = True

    def __init__(self, duplicate_of):
        self.duplicate_of = duplicate_of
        super().__init__("create_canister", "Duplicate", {"duplicate_of": duplicate_of})
        # Said in full: what the ledger recorded and why the key is kept.
        self.args = (f"create_canister: the cycles ledger recorded this creation in block "
                     f"{duplicate_of} but names no canister yet (the CMC has not answered); "
                     "the outcome is unknown, so the deduplication key is kept: run again later",)


class WithdrawFailed(LedgerError):
    """``withdraw`` answered ``FailedToWithdraw``: the ledger burnt the cycles, the management
    canister rejected the deposit, and the ledger refunded the amount less its fee in block
    ``.refund_block`` (None when the amount did not cover the fee). DFINITY's cycles ledger
    (dfinity/cycles-ledger, cycles-ledger/src/storage.rs ``withdraw``) answers so."""

    def __init__(self, to, amount, details):
        self.refund_block = details.get("fee_block")
        super().__init__("withdraw", "FailedToWithdraw", details)
        (code, _none), = details["rejection_code"].items()
        refunded = ("nothing was refunded (the amount did not cover the fee)" if self.refund_block is None
                    else f"the ledger refunded the amount less its fee in block {self.refund_block}")
        self.args = (f"withdraw: canister {to} did not accept the {amount} cycles ({code}: "
                     f"{details['rejection_reason']}); {refunded}; check the canister id",)


class WithdrawDuplicate(LedgerError):
    """``withdraw`` answered ``Duplicate``: the ledger already burnt the cycles for this key in
    block ``.duplicate_of``, which says nothing of the deposit: that attempt may have answered
    ``FailedToWithdraw`` and been refunded (a mint with memo 32 x 0xFF after the burn). The
    outcome is unknown until the ledger's blocks are read (``_ledger_lookup.withdraw_refund_after``)."""

    outcome_unknown = True

    def __init__(self, duplicate_of):
        self.duplicate_of = duplicate_of
        super().__init__("withdraw", "Duplicate", {"duplicate_of": duplicate_of})


def _account(owner, subaccount=None):
    return {"owner": Principal.coerce(owner, "owner"),
            "subaccount": None if subaccount is None else bytes(subaccount)}


def _now_ns(created_at_time):
    return time.time_ns() if created_at_time is None else int(created_at_time)


class CyclesLedger:
    """The cycles ledger through ``agent``; ``canister_id`` overrides the mainnet id."""

    def __init__(self, agent, canister_id=CYCLES_LEDGER_ID):
        self.agent = agent
        self.canister_id = Principal.coerce(canister_id, "cycles_ledger")

    def _call(self, method, *args):
        from .candid import decode, encode, from_python
        func = service_method(ledger_interface(), method)
        values = [from_python(t, v, method) for t, v in zip(func.args, args)]
        arg = encode(list(func.args), values)
        if func.is_query:
            data = self.agent.query(self.canister_id, method, arg)
        else:
            data = self.agent.update(self.canister_id, method, arg)
        results = decode(data, list(func.rets), lenient=True)  # other ledger versions
        return results[0] if results else None

    def icrc1_balance_of(self, owner, subaccount=None):
        """Cycles held by ``owner`` (and subaccount), as an int."""
        return self._call("icrc1_balance_of", _account(owner, subaccount))

    def icrc1_fee(self):
        """The ledger's fee per operation, in cycles."""
        return self._call("icrc1_fee")

    def icrc1_transfer(self, to_owner, amount, to_subaccount=None, from_subaccount=None,
                       memo=None, created_at_time=None):
        """Transfer cycles between accounts; return the block index (a duplicate of the
        same transfer counts as success)."""
        result = self._call("icrc1_transfer", {
            "from_subaccount": from_subaccount, "to": _account(to_owner, to_subaccount),
            "amount": int(amount), "fee": None, "memo": memo,
            "created_at_time": _now_ns(created_at_time)})
        return _ok_or_duplicate("icrc1_transfer", result, lambda d: d["duplicate_of"])

    def create_canister(self, amount, settings=None, subnet=None, created_at_time=None,
                        from_subaccount=None):
        """Create a canister paid with ``amount`` cycles (plus the fee); return its id.

        ``created_at_time`` (ns; now when omitted) makes the request deduplicated by the
        ledger (together with ``amount`` and the caller): resending it answers
        ``Duplicate{canister_id}``, which means the canister was created, and that id is
        returned. ``Duplicate`` without a canister id raises ``CreationPending`` (outcome
        unknown); an expired key answers ``TooOld`` (a ``LedgerError``).
        """
        creation_args = None
        if settings is not None or subnet is not None:
            creation_args = {
                "settings": settings,
                "subnet_selection": None if subnet is None else
                {"Subnet": {"subnet": Principal.coerce(subnet, "subnet")}}}
        result = self._call("create_canister", {
            "from_subaccount": from_subaccount, "created_at_time": _now_ns(created_at_time),
            "amount": int(amount), "creation_args": creation_args})
        if "Ok" in result:
            return result["Ok"]["canister_id"]
        err = result["Err"]
        duplicate = err.get("Duplicate") if isinstance(err, dict) else None
        if duplicate is not None:
            if duplicate.get("canister_id") is not None:
                return duplicate["canister_id"]
            raise CreationPending(duplicate.get("duplicate_of"))
        raise _error("create_canister", err)

    def withdraw(self, to, amount, created_at_time=None, from_subaccount=None):
        """Send ``amount`` cycles from the caller's account to canister ``to`` (a top-up);
        return the block index of the burn. A duplicate of the same withdrawal raises
        ``WithdrawDuplicate`` (its burn block): that says nothing of its deposit, since if that
        attempt answered ``FailedToWithdraw`` a refund mint (memo 32 x 0xFF) follows the burn.

        When the deposit is rejected (``to`` is no canister, e.g. deleted) the ledger has
        burnt ``amount`` plus the fee and minted ``amount`` less the fee back: that answer,
        ``FailedToWithdraw``, raises ``WithdrawFailed``, a definite refusal (nothing reached
        the canister), not an unknown outcome."""
        to = Principal.coerce(to, "to")
        result = self._call("withdraw", {
            "amount": int(amount), "from_subaccount": from_subaccount,
            "to": to, "created_at_time": _now_ns(created_at_time)})
        failed = result.get("Err", {}).get("FailedToWithdraw") if isinstance(result.get("Err"), dict) else None
        if failed is not None:
            raise WithdrawFailed(to, int(amount), failed)
        duplicate = result.get("Err", {}).get("Duplicate") if isinstance(result.get("Err"), dict) else None
        if duplicate is not None:
            raise WithdrawDuplicate(duplicate["duplicate_of"])
        return _ok_or_duplicate("withdraw", result, None)

    def icrc3_get_blocks(self, start, length):
        """``(log_length, [(index, block)])`` with each block as plain Python (maps as dicts,
        accounts as lists of bytes, numbers as int)."""
        reply = self._call("icrc3_get_blocks", [{"start": int(start), "length": int(length)}])
        return int(reply["log_length"]), [(int(b["id"]), icrc3_plain(b["block"])) for b in reply["blocks"]]

    def deposit(self, to_owner, to_subaccount=None, memo=None):
        """Credit the cycles attached to this call to an account; return ``{balance,
        block_index}``. Only a canister can attach cycles, so over ingress this is useful
        through a proxy canister's identity (the ledger refuses a deposit of nothing)."""
        return self._call("deposit", {"to": _account(to_owner, to_subaccount),
                                      "memo": memo})


def icrc3_plain(value):
    """An ICRC-3 ``Value`` as plain Python."""
    (kind, data), = value.items()
    if kind == "Map":
        return {key: icrc3_plain(item) for key, item in data}
    if kind == "Array":
        return [icrc3_plain(item) for item in data]
    return data


def _ok_or_duplicate(method, result, duplicate_value):
    if "Ok" in result:
        return result["Ok"]
    err = result["Err"]
    if isinstance(err, dict) and "Duplicate" in err:
        return duplicate_value(err["Duplicate"])
    raise _error(method, err)


def _error(method, err):
    if isinstance(err, dict) and len(err) == 1:
        (variant, details), = err.items()
        return LedgerError(method, variant, details)
    return LedgerError(method, "Unknown", err)
