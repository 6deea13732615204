# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What ``ic_fleet`` does with ``action: upgrade``: the ``fleet_upgrade`` role for a batch of
canisters in one module run.

The role runs one ic_code task per canister; the batch runs ic_code's ``CodeInstall`` per canister
(as a ``CodeStep`` of the fleet, in threads) with the very same options, built by
``upgrade_code_params`` for both: snapshot before the upgrade, mode upgrade with the template's
argument, the ``version`` query that must answer the module's version, the snapshot loaded back
on any failure (the canister runs again; the registry entry records the rollback and the error),
and the factory told about a child's new module. A canister whose recorded module hash already is
the target's costs no call at all (``module_on_target``, the role's fast path too).

The canisters go in batches of ``batch_size`` (threads within a batch), and no batch starts once a
finished batch had more failures than ``max_fail_percentage`` allows (``batch_halts``: Ansible's
own rule for a play's ``serial`` batches, which the per-host path keeps using). The canisters never
attempted are reported ``halted``: not changed, not failed, with a message saying why.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.icp.canister_factory.plugins.module_utils._code_install import ModuleFacts
from ansible_collections.icp.canister_factory.plugins.module_utils._fleet import CodeStep, FleetRegistry
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import ICError
from ansible_collections.icp.canister_factory.plugins.module_utils._ic_module import DiffTracker, ModuleFailed
from ansible_collections.icp.canister_factory.plugins.module_utils._registry import RegistryError
from ansible_collections.icp.canister_factory.plugins.module_utils._upgrade_items import serial_batches
from ansible_collections.icp.canister_factory.plugins.module_utils._upgrade_target import (
    module_on_target, target_module_hash)

PERSISTENCE_CHOICES = ["keep", "replace"]


def upgrade_argument_spec():
    """The suboptions of one item of ``upgrades`` (the role's options, by the same names less the prefix)."""
    return {
        "name": {"type": "str", "required": True},
        "canister_id": {"type": "str"},
        "wasm": {"type": "path", "required": True},
        "version": {"type": "str"},
        "arg": {"type": "str"},
        "verify_method": {"type": "str", "default": "version"},
        "wasm_memory_persistence": {"type": "str", "choices": PERSISTENCE_CHOICES},
        "module_hash": {"type": "str"},
        "notify_factory": {"type": "str"},
    }


def batch_halts(failed, batch_len, max_fail_percentage):
    """Whether a rollout stops after a batch of ``batch_len`` with ``failed`` failures: the rule of
    Ansible's linear strategy for ``serial`` with ``max_fail_percentage`` (a larger failed share)."""
    return batch_len > 0 and failed / batch_len > max_fail_percentage / 100.0


def halted_item(spec, batch_number, failed, batch_len, max_fail_percentage):
    """The result of a canister not attempted because the rollout halted after batch ``batch_number``."""
    return {"name": spec["name"], "canister_id": spec.get("canister_id"), "changed": False, "failed": False,
            "halted": True, "mode": "none", "_diff": DiffTracker(),
            "msg": f"not attempted: the rollout halted after batch {batch_number} ({failed} of {batch_len} "
                   f"failed, more than max_fail_percentage {max_fail_percentage}%)"}


def upgrade_in_batches(items, batch_size, max_fail_percentage, upgrade_batch):
    """The results of ``items`` upgraded in list order, in the batches ``batch_size`` makes of them
    (``serial_batches``: a number, a percentage, or a list of those) by ``upgrade_batch`` (a list of
    items -> their results, each with ``failed``), halted as ``batch_halts`` says: the items never
    attempted get ``halted_item`` results."""
    results = []
    for number, batch in enumerate(serial_batches(items, batch_size), start=1):
        done = upgrade_batch(batch)
        results.extend(done)
        failed = sum(1 for item in done if item["failed"])
        if batch_halts(failed, len(batch), max_fail_percentage):
            results.extend(halted_item(spec, number, failed, len(batch), max_fail_percentage)
                           for spec in items[len(results):])
            break
    return results


def upgrade_code_params(version=None, version_manifest=None, arg=None, verify_method="version",
                        wasm_memory_persistence=None, notify_factory=None):
    """ic_code's options for one canister of a fleet upgrade (the role passes the same to ic_code)."""
    return {"wasm_version": version or None, "version_manifest": version_manifest or None,
            "mode": "upgrade", "arg": arg, "wasm_memory_persistence": wasm_memory_persistence or None,
            "snapshot_before_upgrade": True,
            "verify": {"method": verify_method, "arg": "()", "expect_version": True},
            "notify_factory": notify_factory or None}


class FleetUpgrade:
    """The ``action: upgrade`` run of ic_fleet (mixed in before ``Fleet`` into an ``ICModule``)."""

    def run_upgrade(self):
        """Upgrade every canister of ``upgrades`` batch after batch, halting as ``batch_halts`` says;
        fail the module when any canister failed."""
        items = self.params["upgrades"]  # checked whole by validation.fleet_upgrade before this runs
        size = max(map(len, serial_batches(items, self.params.get("batch_size"))))
        self.fleet_registry = FleetRegistry(self.registry(), write=not self.check_mode)
        self._shared_registry = self.fleet_registry
        self._module_facts = ModuleFacts()
        started = time.monotonic()
        results = []
        try:
            with ThreadPoolExecutor(max_workers=max(1, min(self.params["workers"], size))) as pool:
                results = upgrade_in_batches(items, self.params.get("batch_size"),
                                             self.params.get("max_fail_percentage") or 0,
                                             lambda batch: self._upgrade_batch(pool, batch))
        finally:
            self.fleet_registry.flush()
        self.result["halted"] = any(item.get("halted") for item in results)
        self._summarize(results, time.monotonic() - started)

    def _upgrade_batch(self, pool, batch):
        """One batch in threads; then its registry changes in one locked journal write, so a run
        killed later loses none of a finished batch."""
        done = list(pool.map(self._upgrade, batch))
        self.fleet_registry.flush()
        return done

    def _upgrade(self, spec):
        """One canister: the role's ic_code task, on the fleet's client and registry."""
        item = {"name": spec["name"], "changed": False, "failed": False,
                "canister_id": spec.get("canister_id"), "_diff": DiffTracker()}
        target = target_module_hash(spec["wasm"])  # hashed once per file (cached)
        if module_on_target(spec.get("module_hash"), target):
            item.update(mode="none", module_hash=target, installed_now=False)
            return item
        by_id = {"canister_id": spec["canister_id"], "name": None, "registry": None} if spec.get("canister_id") else {}
        code = self._step(CodeStep, spec, wasm=spec["wasm"], **by_id, **upgrade_code_params(
            spec.get("version"), self.params.get("version_manifest"), spec.get("arg"), spec["verify_method"],
            spec.get("wasm_memory_persistence"), spec.get("notify_factory")))
        code.module_facts = self._module_facts
        try:
            code.run()
        except (ICError, RegistryError, ModuleFailed) as exc:
            self._merge(item, code)
            msg, error = self._describe(exc, spec)
            item.update(failed=True, msg=f"upgrade: {msg}")
            for key in ("canister_id", "snapshot_id", "verify_reply", "previous_module_hash"):
                if code.result.get(key) is not None:
                    item[key] = code.result[key]
            if isinstance(exc, ModuleFailed) and "rolled_back" in exc.details:
                item["rolled_back"] = exc.details["rolled_back"]
            if error:
                item["error"] = error
            return item
        self._merge(item, code)
        for key in ("canister_id", "mode", "module_hash", "previous_module_hash", "installed_now",
                    "snapshot_id", "verify_reply", "notify_warning"):
            if key in code.result:
                item[key] = code.result[key]
        return item
