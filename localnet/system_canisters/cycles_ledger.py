"""The cycles ledger (ICRC-1 token of cycles): balances, transfers, top-ups, canister creation.

Balances live in the network's state (``localnet.ledger``), so ``/_/mint`` credits the same
accounts. Fee 100M cycles per operation; ``created_at_time`` deduplicates within 24 hours plus
60 s of permitted drift, as DFINITY's cycles ledger does, in its order: a duplicate first, then
fee and funds, then the window (older: ``TooOld``); a key is forgotten when the next block
after its window prunes it (see ``_duplicate``).

``create_canister`` works like the real one: the key hashes the sender's account, the amount
and ``created_at_time`` (not the settings); the burn is recorded first with no canister id,
and the id is filled in once the CMC step has answered. The ``hold_cmc`` fault holds that step
(``Held``), so a retry in between gets ``Duplicate{duplicate_of, canister_id = null}``.

``withdraw`` burns first and then deposits through the management canister; a rejected
deposit (no such canister) is refunded less the fee and answered ``FailedToWithdraw``.
"""
import hashlib
import time

from _ic import candid, cbor
from _ic.cycles_ledger_did import CYCLES_LEDGER_DID
from _ic.principal import Principal

from .. import ledger
from ..errors import reject
from ..management import interface
from . import cmc
from . import ledger_blocks as blocks

MODULE_HASH = hashlib.sha256(b"localnet cycles ledger").digest()
DID = candid.parse_did(CYCLES_LEDGER_DID)
FEE = 100_000_000
WINDOW_NS = 24 * 3600 * 10 ** 9
DRIFT_NS = 60 * 10 ** 9
LEDGER_ID = Principal.from_text("um5iw-rqaaa-aaaaq-qaaba-cai")
# The real ledger's GenericError code for a withdraw of 0 cycles (CANNOT_TRANSFER_FROM_ZERO).
CANNOT_WITHDRAW_ZERO = 100_002
# A reject code as the ledger's RejectionCode variant (code 6, SYS_UNKNOWN, is Unknown).
_REJECTION_CODES = {1: "SysFatal", 2: "SysTransient", 3: "DestinationInvalid", 4: "CanisterReject",
                    5: "CanisterError", 6: "Unknown"}
_MGMT_DID = interface.DID


def metadata():
    """Public metadata sections of the canister."""
    return {"candid:service": {"public": True, "data": CYCLES_LEDGER_DID.encode()}}


class Held(Exception):
    """The CMC step of creation ``key`` waits ``seconds`` (fault ``hold_cmc``); the burn is
    already recorded in the transaction."""

    def __init__(self, key, seconds):
        super().__init__(key)
        self.key = key
        self.seconds = seconds


class _Failed(Exception):
    """An ``Err`` result (the call replies with it)."""

    def __init__(self, value):
        super().__init__(value)
        self.value = value


def run(handler, node, tx, message):
    """Decode, handle, encode; returns (reply bytes, refund)."""
    try:
        args = candid.decode(message.arg, DID.arg_types(message.method))
    except (ValueError, RecursionError):
        raise reject("IC0503", f"Error from Canister {message.canister_id}: Canister called "
                               "`ic0.trap` with message: failed to decode the call argument")
    try:
        result = handler(node, tx, message, *args)
        if message.method in _VARIANT_RESULTS:
            result = {"Ok": result}
    except _Failed as failed:
        result = {"Err": failed.value}
    refund = 0 if message.method == "deposit" else message.cycles
    return candid.encode(DID.ret_types(message.method), [result]), refund


def _duplicate(tx, message, args, created_at_time):
    """``(key, earlier result or None)`` of the transaction; ``args`` is what its hash covers
    besides the method and the caller.

    The order of the checks is the real ledger's (dfinity/cycles-ledger,
    cycles-ledger/src/storage.rs: ``transfer``, ``approve``, ``withdraw`` and ``create_canister``
    call ``check_duplicate`` first, then check fee and funds, and only ``process_transaction``
    runs ``validate_created_at_time``): a retry after the window is still ``Duplicate`` until
    the ledger has pruned its hash, then fails on funds before it is ``TooOld``."""
    if created_at_time is None:
        return None, None
    key = hashlib.sha256(cbor.dumps([message.method, message.caller.raw,
                                     _plain(args)])).hexdigest()
    return key, _seen(tx, key)


def _check_time(node, created_at_time):
    """``TooOld`` / ``CreatedInFuture`` (the real ledger's ``validate_created_at_time``)."""
    if created_at_time is None:
        return
    now = node.clock.canister_time_ns()
    if _before_window(created_at_time, now):
        raise _Failed({"TooOld": None})
    if created_at_time > now + DRIFT_NS:
        raise _Failed({"CreatedInFuture": {"ledger_time": now}})


def _before_window(created_at_time, now):
    return created_at_time + WINDOW_NS + DRIFT_NS < now


# One meta value per transaction key: one map of all of them would be decoded and encoded again
# by every transaction, a cost that grows with the ledger's traffic. State from before keeps its
# map (read, never written).
_DEDUP_KEY = "ledger_dedup/{}"
_LEGACY_DEDUP = "ledger_dedup"
# The ledger time of the last pruning. The real ledger prunes the hashes of transactions whose
# created_at_time is before the window after each block it appends (``prune(now)`` in
# cycles-ledger/src/main.rs and storage.rs), not when the window ends, so a key is forgotten at
# the first transaction after its window: keeping that time prunes every older key at once.
_PRUNED_AT = "ledger_pruned_at"


def _seen(tx, key):
    """The remembered result of transaction ``key``, or None once pruned."""
    value = tx.get_meta(_DEDUP_KEY.format(key))
    if value is None:
        value = tx.get_meta(_LEGACY_DEDUP, {}).get(key)
    if value is None or _before_window(value.get("created_at_time", value["at"]), tx.get_meta(_PRUNED_AT, 0)):
        return None
    return value


def _prune(node, tx):
    """What the real ledger's ``prune(now)`` does after a block: forget keys before the window."""
    tx.set_meta(_PRUNED_AT, node.clock.canister_time_ns())


def _remember(node, tx, key, value, created_at_time):
    if key is not None:
        tx.set_meta(_DEDUP_KEY.format(key), dict(value, at=node.clock.canister_time_ns(),
                                                 created_at_time=created_at_time))
    _prune(node, tx)


def _plain(value):
    if isinstance(value, Principal):
        return value.raw
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _debit(node, tx, owner, subaccount, amount, created_at_time):
    """Take ``amount`` from the account: funds are checked before the time window, as the real
    ledger does (the window is checked when the block is made)."""
    balance = ledger.balance(tx, owner, subaccount)
    if balance < amount:
        raise _Failed({"InsufficientFunds": {"balance": balance}})
    _check_time(node, created_at_time)
    ledger.debit(tx, owner, subaccount, amount)


def icrc1_transfer(node, tx, message, args):
    """Move cycles between accounts (fee 100M, burnt)."""
    key, earlier = _duplicate(tx, message, args, args.get("created_at_time"))
    if earlier is not None:
        raise _Failed({"Duplicate": {"duplicate_of": earlier["block"]}})
    if args.get("fee") not in (None, FEE):
        raise _Failed({"BadFee": {"expected_fee": FEE}})
    _debit(node, tx, message.caller, args.get("from_subaccount"), args["amount"] + FEE, args.get("created_at_time"))
    to = args["to"]
    ledger.credit(tx, to["owner"], to.get("subaccount"), args["amount"])
    # A transfer that names its fee carries it in the transaction, else the block says it.
    block = blocks.append(node, tx, "xfer", args["amount"], fee=None if args.get("fee") is not None else FEE,
                          tx_fee=args.get("fee"), memo=args.get("memo"),
                          created_at_time=args.get("created_at_time"),
                          **{"from": blocks.account(message.caller, args.get("from_subaccount")),
                             "to": blocks.account(to["owner"], to.get("subaccount"))})
    _remember(node, tx, key, {"block": block}, args.get("created_at_time"))
    return block


def withdraw(node, tx, message, args):
    """Top up canister ``to`` from the caller's account.

    As DFINITY's ledger (dfinity/cycles-ledger, cycles-ledger/src/storage.rs ``withdraw``):
    a self-authenticating receiver is ``InvalidReceiver`` and 0 cycles a ``GenericError``
    before anything else; then the duplicate, funds and window checks; then it burns
    ``amount`` + fee (the block's memo names the receiver) and calls the management
    canister's ``deposit_cycles``. When that call is rejected (no such canister) it mints
    ``amount`` - fee back with the penalty memo and answers ``FailedToWithdraw`` with that
    block and the reject (``fee_block`` null when nothing is left to refund): the caller pays
    the fee twice, and a retry with the same key is ``Duplicate`` of the burn."""
    to, amount = args["to"], args["amount"]
    if to.is_self_authenticating:
        raise _Failed({"InvalidReceiver": {"receiver": to}})
    if amount == 0:
        raise _Failed({"GenericError": {"error_code": CANNOT_WITHDRAW_ZERO,
                                        "message": "The withdraw_from 0 cycles is not possible"}})
    key, earlier = _duplicate(tx, message, args, args.get("created_at_time"))
    if earlier is not None:
        raise _Failed({"Duplicate": {"duplicate_of": earlier["block"]}})
    sub = args.get("from_subaccount")
    _debit(node, tx, message.caller, sub, amount + FEE, args.get("created_at_time"))
    block = blocks.append(node, tx, "burn", amount, fee=FEE, memo=blocks.withdraw_memo(to),
                          created_at_time=args.get("created_at_time"),
                          **{"from": blocks.account(message.caller, sub)})
    _remember(node, tx, key, {"block": block}, args.get("created_at_time"))
    deposit_arg = candid.encode(_MGMT_DID.arg_types("deposit_cycles"), [{"canister_id": to}])
    outcome, _unused = node.management.call_from_canister(tx, LEDGER_ID, "deposit_cycles", deposit_arg,
                                                          cycles=amount)
    if outcome.replied:
        return block
    refund = amount - FEE
    fee_block = _reimburse(node, tx, message.caller, sub, refund, blocks.PENALIZE_MEMO) if refund > 0 else None
    raise _Failed({"FailedToWithdraw": {"fee_block": fee_block,
                                        "rejection_code": {_REJECTION_CODES[outcome.reject_code]: None},
                                        "rejection_reason": outcome.reject_message}})


def deposit(node, tx, message, args):
    """Credit the cycles attached by a calling canister (less the fee)."""
    if message.cycles < FEE:
        raise reject("IC0503", f"Error from Canister {message.canister_id}: Canister called "
                               f"`ic0.trap` with message: deposit of {message.cycles} cycles is "
                               f"less than the fee of {FEE}")
    to = args["to"]
    balance = ledger.credit(tx, to["owner"], to.get("subaccount"), message.cycles - FEE)
    # As the real ledger's mint (cycles-ledger/src/storage.rs deposit -> mint): the fee kept is
    # the transaction's fee, the block's effective fee is 0.
    block = blocks.append(node, tx, "mint", message.cycles - FEE, fee=0, tx_fee=FEE, memo=args.get("memo"),
                          to=blocks.account(to["owner"], to.get("subaccount")))
    _prune(node, tx)
    return {"balance": balance, "block_index": block}


def create_canister(node, tx, message, args):
    """Create a canister funded with ``amount`` (less the creation fee) from the account."""
    hashed = {"from_subaccount": args.get("from_subaccount"), "amount": args["amount"],
              "created_at_time": args.get("created_at_time")}
    key, earlier = _duplicate(tx, message, hashed, args.get("created_at_time"))
    if earlier is not None:
        canister = earlier.get("canister")
        raise _Failed({"Duplicate": {"duplicate_of": earlier["block"],
                                     "canister_id": None if canister is None else Principal(canister)}})
    amount = args["amount"]
    _debit(node, tx, message.caller, args.get("from_subaccount"), amount + FEE, args.get("created_at_time"))
    block = blocks.append(node, tx, "burn", amount, fee=FEE, memo=blocks.CREATE_CANISTER_MEMO,
                          created_at_time=args.get("created_at_time"),
                          **{"from": blocks.account(message.caller, args.get("from_subaccount"))})
    pending = {"caller": message.caller.raw, "from_subaccount": args.get("from_subaccount"),
               "amount": amount, "creation": _plain(args.get("creation_args") or {}), "block": block}
    _remember(node, tx, key, {"block": block, "canister": None}, args.get("created_at_time"))
    hold = node.faults.take("call", (str(message.canister_id),), "create_canister",
                            str(message.caller), actions=("hold_cmc",)) \
        if node.faults.active and message.ingress else None
    if hold is not None:
        pending_all = dict(tx.get_meta("ledger_pending", {}))
        name = key or f"block-{block}"
        # The call to answer, and when the held step runs (a restart keeps both).
        pending_all[name] = dict(pending, request_id=message.request_id,
                                 release_at_ns=time.time_ns() + int(hold["seconds"] * 10 ** 9))
        tx.set_meta("ledger_pending", pending_all)
        raise Held(name, hold["seconds"])
    return _cmc_step(node, tx, key, pending)


def finish_held(node, tx, name):
    """Run the held CMC step of ``name``; returns the reply bytes of the original call."""
    pending_all = dict(tx.get_meta("ledger_pending", {}))
    pending = pending_all.pop(name, None)
    tx.set_meta("ledger_pending", pending_all)
    if pending is None:
        raise KeyError(name)
    key = None if name.startswith("block-") else name
    try:
        result = {"Ok": _cmc_step(node, tx, key, pending)}
    except _Failed as failed:
        result = {"Err": failed.value}
    return candid.encode(DID.ret_types("create_canister"), [result])


def held(view):
    """``(name, pending)`` of the creations whose CMC step has not run yet (e.g. localnet was
    stopped or killed while holding), with ``request_id`` and ``release_at_ns``."""
    return sorted(view.get_meta("ledger_pending", {}).items())


def _cmc_step(node, tx, key, pending):
    """What the CMC does for the ledger (``cmc.create_canister``): create the canister, or
    answer ``Refunded`` with what it gives back, which the ledger mints back less its fee
    (dfinity/cycles-ledger, cycles-ledger/src/storage.rs ``create_canister``: FailedToCreate
    with the refund block, none when nothing is left after the fee)."""
    caller = Principal(pending["caller"])
    amount, block = pending["amount"], pending["block"]
    try:
        canister_id = cmc.create_canister(node, tx, LEDGER_ID, caller, amount,
                                          _principals(pending["creation"]), block.to_bytes(8, "big"))
    except cmc.Refunded as refused:
        back = refused.refund_amount - FEE
        refund = _reimburse(node, tx, caller, pending.get("from_subaccount"), back, blocks.REFUND_MEMO) \
            if back > 0 else None
        raise _Failed({"FailedToCreate": {"fee_block": block, "refund_block": refund,
                                          "error": refused.error}}) from None
    if key is not None:
        seen = _seen(tx, key)
        if seen is not None:
            tx.set_meta(_DEDUP_KEY.format(key), dict(seen, canister=canister_id.raw))
    return {"block_id": block, "canister_id": canister_id}


def _reimburse(node, tx, owner, subaccount, amount, memo):
    """Mint ``amount`` back to an account (the real ledger's ``reimburse``: a mint block with
    fee 0 in the transaction and the block, no ``created_at_time``); returns the block."""
    ledger.credit(tx, owner, subaccount, amount)
    block = blocks.append(node, tx, "mint", amount, fee=0, tx_fee=0, memo=memo,
                          to=blocks.account(owner, subaccount))
    _prune(node, tx)
    return block


def icrc3_get_blocks(node, tx, message, ranges):
    """Blocks of the log (ICRC-3); there is no archive."""
    return blocks.get_blocks(tx, ranges)


def _principals(value):
    """Undo ``_plain`` for the creation arguments (principals are stored as raw bytes)."""
    value = dict(value)
    settings = dict(value.get("settings") or {})
    if settings.get("controllers") is not None:
        settings["controllers"] = [Principal(bytes(c)) for c in settings["controllers"]]
    for name in ("log_visibility", "snapshot_visibility", "status_visibility"):
        vis = settings.get(name)
        if isinstance(vis, dict) and "allowed_viewers" in vis:
            settings[name] = {"allowed_viewers": [Principal(bytes(p)) for p in vis["allowed_viewers"]]}
    if value.get("settings") is not None:
        value["settings"] = settings
    selection = value.get("subnet_selection")
    if isinstance(selection, dict) and isinstance(selection.get("Subnet"), dict):
        value["subnet_selection"] = {"Subnet": {"subnet": Principal(bytes(selection["Subnet"]["subnet"]))}}
    return value


def icrc1_balance_of(node, tx, message, account):
    """An account's balance."""
    return ledger.balance(tx, account["owner"], account.get("subaccount"))


def _constant(value):
    def handler(node, tx, message):
        return value
    return handler


def icrc1_total_supply(node, tx, message):
    """Cycles held in all accounts: minted and deposited, less what was burnt (withdrawn, spent on
    canisters, fees)."""
    return ledger.total_supply(tx)


def icrc1_metadata(node, tx, message):
    """ICRC-1 metadata."""
    return [("icrc1:decimals", {"Nat": 12}), ("icrc1:fee", {"Nat": FEE}),
            ("icrc1:name", {"Text": "Trillion Cycles"}), ("icrc1:symbol", {"Text": "TCYCLES"})]


_VARIANT_RESULTS = {"icrc1_transfer", "withdraw", "create_canister"}
UPDATES = {"icrc1_transfer": icrc1_transfer, "withdraw": withdraw, "deposit": deposit,
           "create_canister": create_canister}
QUERIES = {"icrc1_balance_of": icrc1_balance_of, "icrc1_fee": _constant(FEE),
           "icrc1_decimals": _constant(12), "icrc1_name": _constant("Trillion Cycles"),
           "icrc1_symbol": _constant("TCYCLES"), "icrc1_total_supply": icrc1_total_supply,
           "icrc1_metadata": icrc1_metadata, "icrc3_get_blocks": icrc3_get_blocks, "icrc1_minting_account": _constant(None),
           "icrc1_supported_standards": _constant([
               {"name": "ICRC-1", "url": "https://github.com/dfinity/ICRC-1"}])}
