"""Fault injection for tests (``POST /_/faults``): fail, slow down or drop matching requests.

A rule is ``{"match": {...}, "action": ..., "count": n}``. ``match`` may name ``method``,
``canister`` (principal text: the called canister or the effective canister id),
``endpoint`` (``call``, ``query``, ``read_state``) and ``sender``; an absent key matches
anything. ``action`` is ``http_503``, ``http_429``,
``delay_ms`` (with ``"ms": n``), ``drop_response`` (execute, then close the connection
without answering) or ``hold_processing`` (with ``"seconds": n``; calls only: accept the call,
show it as ``processing`` and execute it only after ``n`` seconds, even past its ingress
expiry and across a restart, as the IC does with a message already inducted; a v3/v4 call
waits for it up to ``serve --sync-call-timeout``, then answers 202). ``count`` is how many
requests the rule hits (default 1; ``null`` = no limit).

``hold_cmc`` (with ``"seconds": n``, match ``method: create_canister``) is not an HTTP action:
the cycles ledger's ``create_canister`` burns the cycles and records the transaction, then its
call to the CMC waits ``n`` seconds, as when the CMC is slow on the real network. Meanwhile the
original call stays ``processing`` and a retry with the same key gets ``Duplicate`` without a
canister id. The burn, the held step and the call's ``processing`` status are persisted
together: a localnet stopped or killed meanwhile runs the step when the hold ends (at once if
that time has passed when it starts again) and answers the original call, as the real CMC
answers the ledger whatever happens to a client or a node.

``hold_call`` (with ``"seconds": n``, match ``endpoint: canister_call``, ``canister``: the
callee, ``aaaaa-aa`` for the management canister, ``method``, ``sender``: the calling canister)
is not an HTTP action either: a call a canister makes waits ``n`` seconds at its await point
while the calling message's state is committed (see ``execution/routing.py``). It is kept in
memory only: a restart meanwhile drops the call, as it drops open call contexts.

``subnet_full`` (match ``canister``: a subnet id, or nothing for any subnet) is not an HTTP
action either: the next ``count`` canister creations on that subnet (management
``create_canister`` from a canister, the CMC's creations for the cycles ledger,
``provisional_create_canister_with_cycles`` without ``specified_id``) are rejected as the
replica rejects them at its canister limit (IC0102 'Subnet <id> has reached the allowed
canister limit of <n> canisters. Retry creating the canister.'). The CMC then tries its next
subnet, as DFINITY's does.
"""
import threading

HTTP_ACTIONS = ("http_503", "http_429", "delay_ms", "drop_response", "hold_processing")
ACTIONS = HTTP_ACTIONS + ("hold_cmc", "hold_call", "subnet_full")
_MATCH_KEYS = ("method", "canister", "endpoint", "sender")


class Faults:
    """The active rules; ``take`` consumes the first rule matching a request."""

    def __init__(self):
        self._lock = threading.Lock()
        self._rules = []

    def add(self, rule):
        """Validate and add a rule; raises ValueError naming the bad field."""
        if not isinstance(rule, dict):
            raise ValueError("a fault rule must be a JSON object")
        match = rule.get("match", {})
        if not isinstance(match, dict) or any(k not in _MATCH_KEYS for k in match):
            raise ValueError(f"match: keys must be among {', '.join(_MATCH_KEYS)}")
        action = rule.get("action")
        if action not in ACTIONS:
            raise ValueError(f"action: must be one of {', '.join(ACTIONS)}")
        count = rule.get("count", 1)
        if count is not None and (not isinstance(count, int) or count < 1):
            raise ValueError("count: must be a positive integer or null")
        ms = rule.get("ms", rule.get("delay_ms", 0))
        if action == "delay_ms" and (not isinstance(ms, (int, float)) or ms < 0):
            raise ValueError("ms: the delay in milliseconds must be a non-negative number")
        seconds = rule.get("seconds", 0)
        if action == "hold_cmc" and (not isinstance(seconds, (int, float)) or seconds <= 0):
            raise ValueError("seconds: how long the CMC step is held, a positive number")
        if action == "hold_call" and (not isinstance(seconds, (int, float))
                                      or isinstance(seconds, bool) or seconds <= 0):
            raise ValueError("seconds: how long the canister's call is held, a positive number")
        if action == "hold_processing" and (not isinstance(seconds, (int, float))
                                            or isinstance(seconds, bool) or seconds <= 0):
            raise ValueError("seconds: how long to hold the call in processing, a positive "
                             "number")
        entry = {"match": {k: str(v) for k, v in match.items()}, "action": action,
                 "count": count, "ms": ms, "seconds": seconds}
        with self._lock:
            self._rules.append(entry)
        return entry

    @property
    def active(self):
        """True while any rule is set (lets the hot path skip matching)."""
        return bool(self._rules)

    def clear(self):
        """Remove every rule."""
        with self._lock:
            self._rules.clear()

    def rules(self):
        """The active rules (JSON-ready)."""
        with self._lock:
            return [dict(r) for r in self._rules]

    def take(self, endpoint, canisters=(), method=None, sender=None, actions=HTTP_ACTIONS):
        """The first matching rule with one of ``actions`` (its count used up by one), or None.

        ``canisters`` are the texts a ``canister`` match may equal: the called canister and
        the effective canister id (so a rule can name the target of an aaaaa-aa call).
        """
        if not self._rules:
            return None
        seen = {"endpoint": endpoint, "method": method, "sender": sender}
        with self._lock:
            for rule in self._rules:
                if rule["action"] not in actions:
                    continue
                if all(v in canisters if k == "canister" else seen.get(k) == v
                       for k, v in rule["match"].items()):
                    if rule["count"] is not None:
                        rule["count"] -= 1
                        if rule["count"] == 0:
                            self._rules.remove(rule)
                    return rule
        return None
