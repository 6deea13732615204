"""One management call in progress: who calls, in which transaction, at what time."""
from .. import limits
from ..errors import reject, with_help

# What a handler returns when its answer comes later, through ``Call.reply_to``.
LATER = object()


class Call:
    """The context every management handler receives."""

    def __init__(self, node, tx, caller, method, now_ns, ingress=True, cycles=0,
                 caller_version=None, reply_to=None, subnet=None):
        self.node = node
        # The subnet the call executes on: a new canister is created there.
        self.subnet = subnet if subnet is not None else node.topology.root
        self.tx = tx
        self.caller = caller
        self.method = method
        self.now_ns = now_ns
        self.ingress = ingress
        self.cycles = cycles
        self.caller_version = caller_version
        # ``reply_to(tx, Outcome)`` takes an answer given later; None: the caller cannot wait.
        self.reply_to = reply_to

    def canister(self, canister_id):
        """Working copy of an existing canister, or IC0301."""
        canister = self.tx.mutable(canister_id)
        if canister is None:
            raise reject("IC0301", f"Canister {canister_id} not found.")
        return canister

    def view(self, canister_id):
        """Read-only record of an existing canister, or IC0301."""
        canister = self.tx.get(canister_id)
        if canister is None:
            raise reject("IC0301", f"Canister {canister_id} not found.")
        return canister

    def controlled(self, canister_id, allow_self=False):
        """Working copy of a canister the caller controls (or is, with ``allow_self``)."""
        canister = self.canister(canister_id)
        self.require_controller(canister, allow_self)
        return canister

    def require_controller(self, canister, allow_self=False):
        """IC0512 unless the caller controls ``canister`` (or is it, with ``allow_self``)."""
        if self.caller in canister.controllers:
            return
        if allow_self and self.caller == canister.id:
            return
        if self.ingress:
            raise reject("IC0512", f"Only controllers of canister {canister.id} can call ic00 "
                                   f"method {self.method}")
        raise reject("IC0512", with_help(
            f"Only the controllers of the canister {canister.id} can control it.\n"
            f"Canister's controllers: {' '.join(str(c) for c in canister.controllers)}\n"
            f"Sender's ID: {self.caller}",
            "Make sure the sender is a controller of the canister.", "invalid-controller"))

    def origin(self):
        """The canister-history origin of this call."""
        if self.ingress:
            return {"from_user": {"user_id": self.caller}}
        return {"from_canister": {"canister_id": self.caller,
                                  "canister_version": self.caller_version}}

    def record_change(self, canister, details):
        """Append a change to the canister's history (the latest HISTORY_KEPT are kept)."""
        canister.history.append({
            "timestamp_nanos": self.now_ns,
            "canister_version": canister.version,
            "origin": self.origin(),
            "details": details,
        })
        canister.total_changes += 1
        del canister.history[:-limits.HISTORY_KEPT]


def visible_to(canister, setting, sender):
    """True when ``sender`` may use a method governed by the visibility ``setting``."""
    if sender in canister.controllers:
        return True
    visibility = canister.settings.get(setting) or {}
    if "public" in visibility:
        return True
    return sender in (visibility.get("allowed_viewers") or [])
