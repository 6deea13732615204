# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""How a new canister is paid for, and the deduplication key that makes its creation repeatable.

One place for the rules that ``ic_canister`` and ``ic_fleet`` share:

* ``funding: auto`` is ``provisional`` on a loopback network and ``cycles_ledger`` elsewhere;
  ``provisional`` on mainnet fails before any network call.
* A provisional creation gets a ``specified_id`` (free, in the network's canister ranges) and a
  cycles-ledger creation a ``created_at_time`` unique in this process plus the amount; the key
  is recorded in the registry before the call, so a killed run is resumed with the same key.
"""

from __future__ import annotations

import random
import threading
import time

from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import InputError, Reject, TransportError
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.principal import Principal
from ansible_collections.icp.canister_factory.plugins.module_utils._ic_module import resolve_network

FUNDING_CHOICES = ["auto", "provisional", "cycles_ledger"]
# The cycles ledger's deduplication window (24 h) plus its permitted clock drift (60 s).
LEDGER_DEDUP_WINDOW_NS = (24 * 3600 + 60) * 10 ** 9
# Keys (registry fields) of an unfinished creation.
KEY_FIELDS = ("funding", "specified_id", "created_at_time", "creation_cycles")

_clock_lock = threading.Lock()
_last_created_at = [0]
_PROBE_CANISTER = "um5iw-rqaaa-aaaaq-qaaba-cai"  # the cycles ledger: mapped by every network


def resolve_funding(funding, network, field="funding", what="creation"):
    """``provisional`` or ``cycles_ledger`` for a funding option (``funding`` of a creation,
    ``source`` of a top-up) on ``network``: ``auto`` is provisional on local networks and the
    cycles ledger elsewhere; raises InputError naming ``field`` for provisional ``what`` on
    mainnet (it does not exist there)."""
    _url, loopback, mainnet = resolve_network(network)
    funding = funding or "auto"
    if funding == "auto":
        return "provisional" if loopback else "cycles_ledger"
    if funding == "provisional" and mainnet:
        raise InputError(field, f"provisional {what} exists only on local networks; use "
                         f"{field}: cycles_ledger (or auto) on mainnet")
    return funding


def next_created_at_time():
    """A ``created_at_time`` (ns) never handed out before in this process: ``ic_fleet``'s threads
    share one identity, and two creations with the same amount and time would be one."""
    with _clock_lock:
        value = max(time.time_ns(), _last_created_at[0] + 1)
        _last_created_at[0] = value
        return value


def key_of_entry(entry):
    """The deduplication key an unfinished (``creating``) registry entry holds, or None."""
    if entry.get("created_at_time") or entry.get("specified_id"):
        return {k: entry[k] for k in KEY_FIELDS if entry.get(k) is not None}
    return None


def new_key(funding, cycles, specified_id, subnet, pick_specified_id):
    """A fresh deduplication key for a creation paid by ``funding`` (already resolved).

    ``pick_specified_id()`` chooses a free canister id when none is given (provisional; on
    ``subnet`` when one is wanted: the caller passes it to ``pick_free_specified_id``)."""
    if funding == "cycles_ledger":
        if specified_id:
            raise InputError("specified_id", "only with funding=provisional")
        if cycles is None:
            raise InputError("cycles", "required with funding=cycles_ledger")
        return {"funding": "cycles_ledger", "created_at_time": next_created_at_time(),
                "creation_cycles": int(cycles)}
    chosen = specified_id or pick_specified_id()
    return {"funding": "provisional",
            "specified_id": Principal.coerce(chosen, field="specified_id").to_text()}


def ledger_key_expired(key, now_ns=None):
    """True when the ledger no longer deduplicates ``key`` (it would answer ``TooOld``)."""
    created = key.get("created_at_time")
    now_ns = time.time_ns() if now_ns is None else now_ns
    return bool(created) and int(created) + LEDGER_DEDUP_WINDOW_NS < now_ns


def pick_free_specified_id(agent, subnet=None, rng=random.SystemRandom()):
    """A canister id that no canister has yet, in the canister ranges of ``subnet`` (read from
    that subnet's certified state) or, without one, of the subnet holding the cycles ledger.

    It is drawn from the upper quarter of the widest range: networks allocate ids from the
    start of a range, so a drawn id never meets an allocated one. A provisional creation at
    that id lands on the subnet whose range holds it."""
    if subnet:
        ranges = subnet_ranges(agent, subnet)
    else:
        ranges = agent.subnet_for(_PROBE_CANISTER).ranges
    spans = [(Principal(lo).canister_index(), Principal(hi).canister_index()) for lo, hi in ranges]
    spans = [(lo, hi) for lo, hi in spans if lo is not None and hi is not None and hi > lo]
    if not spans:
        raise InputError("specified_id", "the network lists no canister range to choose an id from; "
                         "give specified_id or use funding: cycles_ledger")
    lo, hi = max(spans, key=lambda span: span[1] - span[0])
    start = lo + (hi - lo) * 3 // 4
    for _attempt in range(8):
        candidate = Principal.from_canister_index(rng.randint(start, hi))
        if not _exists(agent, candidate):
            return candidate.to_text()
    raise InputError("specified_id", "found no free canister id in the network's range; give specified_id")


def subnet_ranges(agent, subnet):
    """The canister ranges of ``subnet`` from its certified state; InputError naming ``subnet``
    when the network has no such subnet (checked before any creation, so that the cycles
    ledger's refusal never costs its two fees)."""
    subnet = Principal.coerce(subnet, field="subnet")
    try:
        return agent.subnet_by_id(subnet).ranges
    except TransportError as exc:
        if exc.status == 404:
            raise InputError("subnet", f"the network has no subnet {subnet}; give one of its "
                             "subnets (the CMC's get_default_subnets lists them)") from None
        raise


def _exists(agent, canister_id):
    """Whether the certified state lists controllers for ``canister_id``."""
    try:
        agent.controllers(canister_id)
    except Reject as exc:
        if exc.error_code == "IC0301":
            return False
        raise
    return True
