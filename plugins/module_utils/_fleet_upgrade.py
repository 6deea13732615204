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
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.icp.canister_factory.plugins.module_utils import _input_fields as input_fields
from ansible_collections.icp.canister_factory.plugins.module_utils._fleet import CodeStep, FleetRegistry
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import ICError, InputError
from ansible_collections.icp.canister_factory.plugins.module_utils._ic_module import DiffTracker, ModuleFailed
from ansible_collections.icp.canister_factory.plugins.module_utils._registry import RegistryError

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


def module_on_target(recorded_module_hash, target_module_hash):
    """The fast path of a fleet upgrade: the recorded module already is the target, so no call."""
    return bool(recorded_module_hash) and recorded_module_hash == target_module_hash


def target_module_hash(path):
    """The module hash of the module file ``path`` (as ic_code installs it), or None when it cannot
    be loaded (ic_code's checks then name the problem)."""
    try:
        return input_fields.wasm(path).sha256_hex
    except InputError:
        return None


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
        """Upgrade every canister of ``upgrades``; fail the module when any canister failed."""
        items = self.params["upgrades"]  # checked whole by validation.fleet_upgrade before this runs
        self.fleet_registry = FleetRegistry(self.registry(), write=not self.check_mode)
        self._shared_registry = self.fleet_registry
        started = time.monotonic()
        try:
            workers = min(self.params["workers"], len(items)) or 1
            if workers == 1:
                results = [self._upgrade(item) for item in items]
            else:
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    results = list(pool.map(self._upgrade, items))
        finally:
            self.fleet_registry.flush()
        self._summarize(results, time.monotonic() - started)

    def _upgrade(self, spec):
        """One canister: the role's ic_code task, on the fleet's client and registry."""
        item = {"name": spec["name"], "changed": False, "failed": False,
                "canister_id": spec.get("canister_id"), "_diff": DiffTracker()}
        target = target_module_hash(spec["wasm"])  # loaded once by the validation pass
        if module_on_target(spec.get("module_hash"), target):
            item.update(mode="none", module_hash=target, installed_now=False)
            return item
        by_id = {"canister_id": spec["canister_id"], "name": None, "registry": None} if spec.get("canister_id") else {}
        code = self._step(CodeStep, spec, wasm=spec["wasm"], **by_id, **upgrade_code_params(
            spec.get("version"), self.params.get("version_manifest"), spec.get("arg"), spec["verify_method"],
            spec.get("wasm_memory_persistence"), spec.get("notify_factory")))
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
