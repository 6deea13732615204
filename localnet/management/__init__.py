"""The management canister (``aaaaa-aa``): ingress filter, effective ids and dispatch.

Handlers live in one module per topic (lifecycle, code, snapshots, info); each takes a
``Call`` and the decoded argument and returns the decoded result, raising ``Reject`` with
the replica's error code and wording.
"""
from _ic.errors import Reject
from _ic.principal import Principal

from ..errors import HttpError, reject
from ..requests import Outcome
from . import code, info, interface, lifecycle, snapshot_io, snapshots
from .context import LATER, Call, visible_to

# Methods a user may send as ingress, and who may (the replica's should_accept_ingress_message).
CONTROLLER_METHODS = frozenset({
    "canister_status", "start_canister", "uninstall_code", "stop_canister", "delete_canister",
    "update_settings", "install_code", "install_chunked_code", "upload_chunk", "stored_chunks",
    "clear_chunk_store", "take_canister_snapshot", "load_canister_snapshot",
    "list_canister_snapshots", "delete_canister_snapshot", "canister_metrics",
    "read_canister_snapshot_metadata", "read_canister_snapshot_data",
    "upload_canister_snapshot_metadata", "upload_canister_snapshot_data"})
PROVISIONAL_METHODS = frozenset({"provisional_create_canister_with_cycles",
                                 "provisional_top_up_canister"})
QUERY_METHODS = frozenset({"canister_status", "canister_metrics", "fetch_canister_logs"})
# Methods whose visibility setting can open them to non-controllers.
_VISIBILITY = {"canister_status": "status_visibility",
               "list_canister_snapshots": "snapshot_visibility",
               "read_canister_snapshot_metadata": "snapshot_visibility",
               "read_canister_snapshot_data": "snapshot_visibility",
               "fetch_canister_logs": "log_visibility"}

HANDLERS = {}
for _module in (lifecycle, code, info, snapshots, snapshot_io):
    HANDLERS.update(_module.HANDLERS)


def target_of(method, args):
    """The canister a management call is about (its effective canister id), or None."""
    if not isinstance(args, dict):
        return None
    if method == "install_chunked_code":
        return args.get("target_canister")
    value = args.get("canister_id")
    return value if isinstance(value, Principal) else None


class Management:
    """The management canister of one node."""

    def __init__(self, node):
        self.node = node
        # canister id -> [(reply_to, deadline ns)] of stop_canister calls awaiting the stop
        self.stop_waiters = {}

    def decode(self, method, arg):
        """Decoded first argument, or Reject (IC0406 for unknown methods, IC0408)."""
        if method not in interface.METHODS:
            raise reject("IC0406", f"Only canisters can call ic00 method {method}")
        return interface.decode_args(method, arg)

    def check_ecid(self, method, arg, ecid):
        """HTTP 400 when a call's URL names another canister than its argument; returns the
        decoded argument (None when it does not decode: the reject comes later)."""
        if method in ("provisional_create_canister_with_cycles", "create_canister"):
            return None
        try:
            args = self.decode(method, arg)
        except Reject:
            return None  # the ingress filter answers with the reject
        target = target_of(method, args)
        if target is not None and target != ecid:
            raise HttpError(400, f"Specified CanisterId {target} does not match effective "
                                 f"canister id in URL {ecid}")
        return args

    def check_query_ecid(self, method, arg, ecid):
        """The same rule for queries (``list_canisters`` takes any ecid); returns the decoded
        argument, or None."""
        if method != "list_canisters":
            return self.check_ecid(method, arg, ecid)
        return None

    def ingress_filter(self, sender, method, arg):
        """Refuse ingress the replica would not induct; raises Reject (non-replicated)."""
        if method == "fetch_canister_logs":
            raise reject("IC0406", "fetch_canister_logs API is not accessible via ingress in "
                                   "replicated mode")
        if method not in CONTROLLER_METHODS and method not in PROVISIONAL_METHODS:
            raise reject("IC0406", f"Only canisters can call ic00 method {method}")
        args = self.decode(method, arg)
        if method in PROVISIONAL_METHODS:
            if method == "provisional_top_up_canister" and \
                    self.node.store.get(args["canister_id"]) is None:
                raise reject("IC0301", f"Canister {args['canister_id']} not found")
            return
        target = target_of(method, args)
        canister = self.node.store.get(target)
        if canister is None:
            raise reject("IC0301", f"Canister {target} not found")
        if method in _VISIBILITY and visible_to(canister, _VISIBILITY[method], sender):
            return
        if sender not in canister.controllers:
            raise reject("IC0512", f"Only controllers of canister {target} can call ic00 "
                                   f"method {method}")

    def call(self, tx, message, caller_version=None):
        """Execute a replicated management call in ``tx``; returns the Candid reply."""
        args = self.decode(message.method, message.arg)
        handler = HANDLERS.get(message.method)
        if handler is None:
            raise reject("IC0407", f"Management canister has no method '{message.method}' "
                                   "on localnet")
        if message.method == "fetch_canister_logs":
            raise reject("IC0406", "fetch_canister_logs API is not accessible via ingress in "
                                   "replicated mode")
        ecid = getattr(message, "ecid", None)
        if message.ingress and ecid is not None:
            subnet = self.node.subnet_of(ecid)
        else:
            subnet = self.node.subnet_of(message.caller)
        call = Call(self.node, tx, message.caller, message.method,
                    self.node.clock.canister_time_ns(), ingress=message.ingress,
                    cycles=message.cycles, caller_version=caller_version,
                    reply_to=getattr(message, "reply_to", None), subnet=subnet)
        self.node.metrics.executed(subnet.index)
        result = handler(call, args)
        if result is LATER:
            return LATER
        return interface.encode_reply(message.method, result, self._shape(message))

    def _shape(self, message):
        # Users see the configured replica's shape; canisters (built against the spec) not.
        return self.node.reply_shape if getattr(message, "ingress", True) else "spec"

    def call_from_canister(self, tx, caller, method, arg, cycles=0, caller_version=None,
                           reply_to=None):
        """A call from canister ``caller`` (inside its message, same transaction).

        Returns ``(Outcome, refunded_cycles)``; the attached cycles a method does not take
        (only create_canister and deposit_cycles take any) come back as the refund. On a
        reject nothing the call did is kept (it runs in a nested transaction). With
        ``reply_to`` a method may answer later (stop_canister): the Outcome has ``pending``.
        """
        inner = tx.nested()
        try:
            args = self.decode(method, arg)
            handler = HANDLERS.get(method)
            if handler is None or method == "fetch_canister_logs":
                raise reject("IC0407", f"Management canister has no method '{method}' "
                                       "callable from canisters on localnet")
            call = Call(self.node, inner, caller, method,
                        self.node.clock.canister_time_ns(), ingress=False, cycles=cycles,
                        caller_version=caller_version, reply_to=reply_to,
                        subnet=self.node.subnet_of(caller))
            self.node.metrics.executed(call.subnet.index)
            result = handler(call, args)
            if result is LATER:
                inner.commit()
                return Outcome.later(), call.cycles
            reply = interface.encode_reply(method, result)
            inner.commit()
            return Outcome(reply=reply), call.cycles
        except Reject as err:
            return Outcome.of_reject(err), cycles

    def call_contexts_closed(self, tx, canister_id):
        """The execution engine saw the canister's last open call context close."""
        lifecycle.finish_stopping(self, tx, canister_id)

    def expire_stops(self, tx, now_ns):
        """Reject the stop_canister calls that waited longer than the replica allows."""
        return lifecycle.expire_stops(self, tx, now_ns)

    def query(self, tx, message, subnet=None, args=None):
        """Answer a management query (canister_status, canister_metrics, fetch_canister_logs);
        from a composite query, ``subnet`` is the caller's: the replica answers from that
        subnet's state only (dfinity/ic rs/execution_environment/src/query_handler/
        subnet_query.rs, ``get_canister``). ``args``: the argument as ``check_query_ecid``
        decoded it already (None: decoded here)."""
        if message.method not in QUERY_METHODS:
            if message.method in interface.METHODS and not interface.is_query(message.method):
                raise reject("IC0406", f"ic00 method {message.method} can not be called as a "
                                       "query")
            raise reject("IC0406", f"Only canisters can call ic00 method {message.method}")
        if args is None:
            args = self.decode(message.method, message.arg)
        target = target_of(message.method, args)
        canister = tx.get(target)
        if canister is None or (subnet is not None and self.node.subnet_of(target) is not subnet):
            raise reject("IC0301", f"Canister {target} not found")
        setting = _VISIBILITY.get(message.method)
        allowed = visible_to(canister, setting, message.caller) if setting else \
            message.caller in canister.controllers
        call = Call(self.node, tx, message.caller, message.method,
                    self.node.clock.canister_time_ns(), ingress=False, cycles=0)
        if not allowed and message.method == "fetch_canister_logs":
            raise reject("IC0406", f"Caller {message.caller} is not allowed to query ic00 "
                                   f"method {message.method}")
        if not allowed:
            call.require_controller(canister)
        result = HANDLERS[message.method](call, args)
        return interface.encode_reply(message.method, result, self._shape(message))
