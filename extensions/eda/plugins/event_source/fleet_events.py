# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""fleet_events: an ansible-rulebook event source for a canister fleet.

Every ``interval`` seconds it reads the registry and each live canister's status (queries only)
and puts one event on the queue for each condition that starts to hold:

``{"icp": {"type": T, "host": H, "canister_id": C, "template": X, "details": {...}}}`` with T
- ``low_cycles``: the balance is below ``min_cycles`` (details: ``cycles``, ``min_cycles``);
- ``near_limit``: the canister is at least ``near_limit`` full (a ratio), by the collection's one
  rule (the larger of its Wasm memory against ``wasm_memory_limit`` and its template's
  ``capacity`` counter from ``get_info``; docs/internals.md, "Near the limit"); details:
  ``fullness``, ``by`` (``memory`` or ``capacity``), ``memory_ratio``, ``capacity_ratio``,
  ``capacity``, ``memory_bytes``, ``wasm_memory_limit``;
- ``failed_<action>``: the entry's newest create/install/upgrade event failed (details: the event);
- ``unreachable``: the canister's status cannot be read (details: ``error``).
A condition is reported again only after it has cleared. With ``once: true`` one round is made
and the source ends (the rulebook then finishes its actions and stops).

Arguments: ``registry`` (required), ``network`` (URL; default ``ICP_NETWORK`` or localnet),
``root_key`` (hex; default ``ICP_ROOT_KEY``, fetched for a loopback network), ``identity`` (PEM
path; default ``ICP_IDENTITY``), ``interval`` (60), ``min_cycles`` (500_000_000_000),
``near_limit`` (0.8; ``memory_ratio`` is its former name), ``once`` (false).

Example::

    sources:
      - icp.canister_factory.fleet_events:
          registry: /srv/icp/registry.yml
          min_cycles: 1000000000000
"""

from __future__ import annotations

import asyncio
import os
import sys
from concurrent.futures import ThreadPoolExecutor

_UTILS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))), "plugins", "module_utils")
if _UTILS not in sys.path:
    sys.path.insert(0, _UTILS)

from _ic.agent import Agent  # noqa: E402  pylint: disable=wrong-import-position
from _ic.errors import ICError  # noqa: E402  pylint: disable=wrong-import-position
from _ic.identity import AnonymousIdentity, load_identity_file  # noqa: E402  pylint: disable=wrong-import-position
from _ic.management import Management  # noqa: E402  pylint: disable=wrong-import-position
from _ic.network import resolve_network, root_key_for  # noqa: E402  pylint: disable=wrong-import-position
from _monitor_metrics import last_failure  # noqa: E402  pylint: disable=wrong-import-position
from _registry import Registry  # noqa: E402  pylint: disable=wrong-import-position
from _ic.principal import Principal  # noqa: E402  pylint: disable=wrong-import-position
from _template_report import EMPTY_ARGS, assess, decode_report, near_limit  # noqa: E402  pylint: disable=wrong-import-position


def _management(args):
    value = args.get("network") or os.environ.get("ICP_NETWORK") or "local"
    network = resolve_network(value)
    root_key = root_key_for(args.get("root_key") or os.environ.get("ICP_ROOT_KEY"), network, value)
    pem = args.get("identity") or os.environ.get("ICP_IDENTITY")
    identity = load_identity_file(pem) if pem else AnonymousIdentity()
    return Management(Agent(network.url, identity, root_key_der=root_key))


def report_of(agent, canister_id):
    """get_info's report (capacity, state_version), or None when the canister cannot answer.

    Sent with this source's own client (its Principal and errors), and only the reply bytes go to
    _template_report: where the collection is importable too, its module_utils may be loaded from
    ansible_collections, whose client classes are not this source's.
    """
    try:
        reply = agent.query(Principal.from_text(canister_id), "get_info", EMPTY_ARGS)
    except ICError:
        return None
    return decode_report(reply)


def _threshold(args):
    return float(args.get("near_limit", args.get("memory_ratio", 0.8)))


def conditions(name, entry, status, args, report=None):
    """``{type: details}`` of the conditions that hold for one canister now (``report``: its get_info report)."""
    found = {}
    failure = last_failure(entry)
    if failure:
        found[f"failed_{failure.get('action', 'operation')}"] = dict(failure)
    if isinstance(status, ICError):
        found["unreachable"] = {"error": str(status)}
        return found
    if status is None:
        return found
    cycles = int(status["cycles"])
    if cycles < int(args.get("min_cycles", 500_000_000_000)):
        found["low_cycles"] = {"cycles": cycles, "min_cycles": int(args.get("min_cycles", 500_000_000_000))}
    assessment = assess(status, report)
    if near_limit(assessment, _threshold(args)):
        found["near_limit"] = dict(assessment, memory_bytes=int(status.get("memory_size") or 0),
                                   wasm_memory_limit=int((status.get("settings") or {}).get("wasm_memory_limit") or 0))
    return found


def one_round(mgmt, args):
    """``[(host, entry, {type: details})]`` for every live entry of the registry."""
    entries = {n: e for n, e in Registry(args["registry"]).read().entries.items()
               if e.get("canister_id") and e.get("status") != "deleted"}

    def status_of(name):
        """``(status or error, report)``: canister_status, and get_info's report when code runs."""
        canister_id = entries[name]["canister_id"]
        try:
            status = mgmt.canister_status(canister_id)
        except ICError as exc:
            return exc, None
        running = status is not None and "running" in (status.get("status") or {}) and status.get("module_hash")
        return status, report_of(mgmt.agent, canister_id) if running else None

    names = sorted(entries)
    with ThreadPoolExecutor(max_workers=8) as pool:
        read = list(pool.map(status_of, names))
    return [(n, entries[n], conditions(n, entries[n], s, args, r)) for n, (s, r) in zip(names, read)]


async def main(queue: asyncio.Queue, args: dict):
    """Put fleet events on ``queue`` (the ansible-rulebook event source entry point)."""
    if not args.get("registry"):
        raise ValueError("registry: required (the registry file of the fleet)")
    mgmt = _management(args)
    reported = set()
    while True:
        current = set()
        for name, entry, found in await asyncio.to_thread(one_round, mgmt, args):
            for kind, details in sorted(found.items()):
                current.add((name, kind))
                if (name, kind) not in reported:
                    await queue.put({"icp": {"type": kind, "host": name, "canister_id": entry["canister_id"],
                                             "template": entry.get("template"), "details": details}})
        reported = current
        if args.get("once"):
            return
        await asyncio.sleep(float(args.get("interval", 60)))


if __name__ == "__main__":
    class _Printer:
        async def put(self, event):
            print(event)

    asyncio.run(main(_Printer(), {"registry": sys.argv[1], "once": True}))
