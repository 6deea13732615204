# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The plan of a batch fleet upgrade: its items, built on the controller for every host of the play
at once (the ``fleet_upgrade_items`` filter), its batches (``serial_batches``, the rule of a play's
``serial``), and the hosts whose upgrade failed (``fleet_upgrade_failures``).

One task of the role's batch path builds every canister's ``ic_fleet`` item from the hosts' variables,
so the play runs no task per host (each costs Ansible a worker process per host). The role's
per-host path takes the same defaults from ``roles/fleet_upgrade/defaults/main.yml``; a host
variable ``fleet_upgrade_<option>`` set in the inventory or with ``-e`` wins on both paths.
A light module: filters run in the controller, so it must not import the client.
"""

from __future__ import annotations

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import InputError

# The role options (fleet_upgrade_<name>) that the items take, by their item names.
HOST_OPTIONS = ("name", "wasm", "version", "arg", "verify_method", "wasm_memory_persistence")


def upgrade_arg(template, owner, init_arg=None):
    """The upgrade argument of a canister (the role's ``fleet_upgrade_arg`` default): the factory
    canister gets the init argument recorded for it, a template canister its owner record."""
    if template == "factory" and init_arg is not None:
        return init_arg
    return f'(record {{ owner = principal "{owner}" }})'


def _by_id(host_vars):
    """The connection role's ``icp_canister_by_id`` rule: a host of the factory source is named by id."""
    if "icp_canister_by_id" in host_vars:
        return boolean(host_vars["icp_canister_by_id"], strict=False)
    return bool(host_vars.get("factory_id"))


def upgrade_item(host, host_vars, options):
    """The ``ic_fleet`` upgrade item of ``host``: the role's ``options`` (``wasm_dir`` and the
    ``fleet_upgrade_<name>`` values), where the host sets one of them itself its own value, and the
    role's defaults for what stays empty; empty options are left out."""
    given = {key: host_vars.get(f"fleet_upgrade_{key}") or options.get(key) for key in HOST_OPTIONS}
    template = host_vars.get("template") or ""
    by_id = _by_id(host_vars)
    item = {
        "name": given["name"] or host,
        "canister_id": host_vars.get("canister_id") if by_id else None,
        "wasm": given["wasm"] or f"{options.get('wasm_dir')}/{template}.wasm.gz",
        "version": given["version"],
        "arg": given["arg"] or upgrade_arg(template, host_vars.get("owner", ""), host_vars.get("init_arg")),
        "verify_method": given["verify_method"] or "version",
        "wasm_memory_persistence": given["wasm_memory_persistence"],
        "module_hash": host_vars.get("module_hash"),
        "notify_factory": host_vars.get("factory_id") if by_id else None,
    }
    return {key: value for key, value in item.items() if value not in (None, "")}


def upgrade_items(hosts, hostvars, options):
    """One upgrade item per host of ``hosts`` (names), in their order, from ``hostvars``."""
    return [upgrade_item(host, hostvars[host], options) for host in hosts]


def failures(run, hosts):
    """``[{"host", "msg"}]`` for the hosts whose upgrade failed in ``run`` (the registered ic_fleet
    result of ``upgrade_items(hosts, ...)``): each message is one line that names the host's own
    failure, every failed canister and the halt. A run that failed as a whole fails every host."""
    run = run or {}
    if run.get("skipped"):  # the fast path: nothing to upgrade
        return []
    results = run.get("canisters")
    if not isinstance(results, list) or len(results) != len(hosts):
        if not run.get("msg"):
            return []
        return [{"host": host, "msg": f"the fleet upgrade failed: {run.get('msg', 'no result')}"} for host in hosts]
    failed = [(host, item) for host, item in zip(hosts, results) if item.get("failed")]
    if not failed:
        return []
    summary = f"{len(failed)} of {len(results)} canisters failed: " + ", ".join(item["name"] for _host, item in failed)
    halted = [item for item in results if item.get("halted")]
    if halted:
        summary += f"; {len(halted)} {halted[0].get('msg', 'not attempted')}"
    return [{"host": host, "msg": f"{item.get('msg', 'failed')} ({summary})"} for host, item in failed]


def _batch_length(step, total, field):
    """One step of a ``serial`` value -> a batch length (Ansible's pct_to_int: a percentage of
    ``total``, rounded down, at least 1); 0 means all the rest."""
    text = str(step).strip()
    if isinstance(step, bool) or not text.rstrip("%").isdigit() or text.count("%") > 1:
        raise InputError(field, f"is {step!r}; give a number of canisters (0 or more), a percentage such as "
                                "20%, or a list of them (as a play's serial)")
    if text.endswith("%"):
        return int(int(text[:-1]) / 100.0 * total) or 1
    return int(text)


def serial_batches(items, serial, field="batch_size"):
    """``items`` cut into batches as a play's ``serial`` cuts its hosts: ``serial`` a number, a
    percentage of ``len(items)`` (``"20%"``) or a list of those (the last one repeats); not set or 0,
    one batch."""
    steps = serial if isinstance(serial, (list, tuple)) else [serial]
    steps = [step for step in steps if step is not None and str(step).strip() != ""] or [0]
    lengths = [_batch_length(step, len(items), f"{field}[{index}]" if len(steps) > 1 else field)
               for index, step in enumerate(steps)]
    batches, start, step = [], 0, 0
    while start < len(items):
        length = lengths[step]
        if length <= 0:
            batches.append(items[start:])
            break
        batches.append(items[start:start + length])
        start += length
        step = min(step + 1, len(lengths) - 1)
    return batches
