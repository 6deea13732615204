# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What ``ic_fleet`` does: the ``canister`` role's converge for many canisters in one module run.

Each canister goes through the same classes as the per-host path (``CanisterLifecycle`` of
ic_canister, ``CodeInstall`` of ic_code), run as steps that share the fleet module's agent,
identity and registry. The steps run in threads; the IC calls are I/O bound and the agent is
thread-safe.

The registry is the fleet's ``FleetRegistry``: the steps read and change entries in memory, and
the file is written by group commit. A change that must not be lost (a ``creating`` entry with
its deduplication key before the create call, a canister id as soon as it is known, a
deleted or failed canister) waits until it is on disk; the threads that wait at the same time
share one locked transaction. Everything else is written with the next such transaction or at
the end of the run.
"""

from __future__ import annotations

import contextlib
import copy
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.icp.canister_factory.plugins.module_utils.ic.errors import (
    ICError, InputError, Reject, TransportError)
from ansible_collections.icp.canister_factory.plugins.module_utils.ic.principal import Principal
from ansible_collections.icp.canister_factory.plugins.module_utils.ic_module import DiffTracker, ICModule
from ansible_collections.icp.canister_factory.plugins.module_utils.canister_lifecycle import CanisterLifecycle
from ansible_collections.icp.canister_factory.plugins.module_utils.canister_settings import settings_argument_spec
from ansible_collections.icp.canister_factory.plugins.module_utils.code_install import CodeInstall
from ansible_collections.icp.canister_factory.plugins.module_utils.creation_keys import FUNDING_CHOICES
from ansible_collections.icp.canister_factory.plugins.module_utils.registry import RegistryError, add_event
from ansible_collections.icp.canister_factory.plugins.module_utils import validation


def spec_argument_spec():
    """The suboptions of one item of ``canisters``."""
    return {
        "name": {"type": "str", "required": True},
        "template": {"type": "str"},
        "owner": {"type": "str", "required": True},
        "wasm": {"type": "path", "required": True},
        "wasm_version": {"type": "str"},
        "arg": {"type": "str"},
        "arg_value": {"type": "raw"},
        "arg_default": {"type": "str"},
        "did": {"type": "path"},
        "settings": {"type": "dict", "options": settings_argument_spec()},
        "state": {"type": "str", "default": "running", "choices": ["present", "running", "stopped"]},
        "funding": {"type": "str", "default": "auto", "choices": FUNDING_CHOICES},
        "cycles": {"type": "int"},
        "cycles_min": {"type": "int"},
        "cycles_target": {"type": "int"},
        "cycles_source": {"type": "str", "default": "provisional", "choices": ["provisional", "cycles_ledger"]},
        "keep_failed": {"type": "bool", "default": False},
    }


class StepFailed(ICError):
    """A step asked to fail the module (``ICModule.fail``); in a fleet only its canister fails."""

    def __init__(self, msg, details):
        super().__init__(msg)
        self.details = details


def describe(exc, url):
    """Return ``(message, error)`` for an exception, worded as ``ICModule.main`` words failures."""
    if isinstance(exc, Reject):
        return str(exc).splitlines()[0], exc.as_dict()
    if isinstance(exc, TransportError):
        where = "cannot reach" if exc.status is None else "error from"
        return f"{where} {url}: {exc}", {"reject_code": None, "error_code": None, "message": exc.body or str(exc)}
    if isinstance(exc, StepFailed):
        return str(exc), (exc.details or {}).get("error")
    as_dict = getattr(exc, "as_dict", None)
    return str(exc), as_dict() if as_dict else None


# ----- registry ---------------------------------------------------------------------------

DURABLE_STATUSES = ("creating", "failed", "deleted")
# install_code's refusal of a canister that has code.
NOT_EMPTY = "IC0514"


def _durable_key(entry):
    """The fields of an entry that decide whether a change of it must reach the disk at once."""
    entry = entry or {}
    return (entry.get("canister_id"), entry.get("status"), entry.get("created_at_time"), entry.get("specified_id"))


def _must_persist(entry, on_disk):
    """A new canister id, or an unfinished creation's key, or a failure or deletion: never lose them."""
    key = _durable_key(entry)
    if on_disk is None:
        return key != (None, None, None, None)
    return key[0] != on_disk[0] or (key[1] in DURABLE_STATUSES and key != on_disk)


class _View:
    """The ``RegistryData``-like object a step's transaction sees."""

    def __init__(self, fleet_registry):
        self._registry = fleet_registry
        self.puts = {}

    def get(self, name):
        """The entry as this transaction left it, else as the fleet knows it."""
        if name in self.puts:
            return copy.deepcopy(self.puts[name])
        return self._registry.get(name)

    def put(self, name, entry):
        """Stage ``entry`` for the end of the transaction."""
        self.puts[name] = entry


class FleetRegistry:
    """A registry that the steps of one fleet run share; written to disk by group commit."""

    def __init__(self, registry, write=True):
        self._registry = registry
        self._write = write
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._data = registry.read()
        self._on_disk = {n: _durable_key(e) for n, e in self._data.entries.items()}
        self._dirty = set()
        self._version = 0
        self._flushed_version = 0

    def read(self):
        """This object answers ``get`` as a snapshot would (the steps call ``read().get(name)``)."""
        return self

    def get(self, name):
        """A copy of the entry ``name`` or None."""
        with self._lock:
            return self._data.get(name)

    @contextlib.contextmanager
    def transaction(self, write=True):
        """Yield a view; its changes apply together, and reach the disk first when they must."""
        view = _View(self)
        yield view
        if not view.puts:
            return
        with self._lock:
            durable = False
            for name, entry in view.puts.items():
                self._data.put(name, entry)
                self._dirty.add(name)
                durable = durable or _must_persist(entry, self._on_disk.get(name))
            self._version += 1
            version = self._version
        if durable and write:
            self.flush(version)

    def flush(self, version=None):
        """Write the changed entries in one locked transaction, unless one already covered ``version``."""
        if not self._write:
            return
        with self._flush_lock:
            if version is not None and self._flushed_version >= version:
                return
            with self._lock:
                names = sorted(self._dirty)
                entries = {n: copy.deepcopy(self._data.entries[n]) for n in names}
                version_now = self._version
                self._dirty.clear()
            if not entries:
                self._flushed_version = version_now
                return
            try:
                with self._registry.transaction() as disk:
                    for name, entry in entries.items():
                        disk.put(name, entry)
            except BaseException:
                with self._lock:
                    self._dirty.update(names)
                raise
            for name, entry in entries.items():
                self._on_disk[name] = _durable_key(entry)
            self._flushed_version = version_now


# ----- steps ------------------------------------------------------------------------------

class _Step(ICModule):
    """One canister's share of the fleet: own params, result and diff; the fleet's client and registry."""

    def __init__(self, fleet, params):  # pylint: disable=super-init-not-called
        self.module = fleet.module
        self.params = params
        self.check_mode = fleet.check_mode
        self.result = {"changed": False}
        self.diff = DiffTracker()
        self._client = fleet.client
        self._identity = fleet.identity
        self._fleet_registry = fleet.fleet_registry

    def registry(self, option="registry"):
        return self._fleet_registry

    def fail(self, msg, **kwargs):
        raise StepFailed(msg, kwargs)


class CanisterStep(CanisterLifecycle, _Step):
    """ic_canister's converge for one canister of the fleet."""


class CodeStep(CodeInstall, _Step):
    """ic_code's converge for one canister of the fleet."""


# ----- the fleet ----------------------------------------------------------------------------

class Fleet:
    """The ``run`` of ic_fleet (mixed into an ``ICModule``)."""

    # The FleetRegistry of the run, shared by the steps.
    fleet_registry = None

    def run(self):
        """Converge every canister of ``canisters``; fail the module when any canister failed."""
        specs = self.params["canisters"]  # checked whole by validation.fleet before this runs
        self.fleet_registry = FleetRegistry(self.registry(), write=not self.check_mode)
        started = time.monotonic()
        try:
            if len(specs) <= 1 or self.params["workers"] == 1:
                results = [self._converge(spec) for spec in specs]
            else:
                with ThreadPoolExecutor(max_workers=min(self.params["workers"], len(specs))) as pool:
                    results = list(pool.map(self._converge, specs))
        finally:
            self.fleet_registry.flush()
        self._summarize(results, time.monotonic() - started)

    def _summarize(self, results, seconds):
        counts = {"total": len(results), "changed": 0, "created": 0, "installed": 0, "upgraded": 0,
                  "topped_up": 0, "rolled_back": 0, "failed": 0, "ok": 0}
        before, after = {}, {}
        for item in results:
            diff = item.pop("_diff")
            if diff["before"] or diff["after"]:
                before[item["name"]], after[item["name"]] = diff["before"], diff["after"]
            counts["changed"] += item["changed"]
            counts["created"] += item.get("created", False)
            counts["installed"] += item.get("mode") == "install"
            counts["upgraded"] += item.get("mode") == "upgrade"
            counts["topped_up"] += bool(item.get("topped_up"))
            counts["rolled_back"] += item.get("rolled_back", False)
            counts["failed" if item["failed"] else "ok"] += 1
        for key in before:
            self.diff.add(key, before[key], after[key])
        self.result.update(changed=counts["changed"] > 0, canisters=results, counts=counts,
                           failed_names=[r["name"] for r in results if r["failed"]],
                           seconds=round(seconds, 3))
        if counts["failed"]:
            failed = [r for r in results if r["failed"]]
            self.fail(f"{counts['failed']} of {counts['total']} canisters failed: "
                      + "; ".join(f"{r['name']}: {r['msg']}" for r in failed[:5])
                      + ("; ..." if len(failed) > 5 else ""))

    # ----- one canister -------------------------------------------------------------------

    def _common(self):
        return {k: self.params.get(k) for k in ("network", "identity", "identity_pem", "identity_password",
                                                "root_key", "timeout", "retries")}

    def _converge(self, spec):
        name = spec["name"]
        item = {"name": name, "changed": False, "failed": False, "created": False, "canister_id": None}
        item["_diff"] = {"before": {}, "after": {}}
        canister = CanisterStep(self, dict(self._common(), **self._canister_params(spec)))
        try:
            canister.run()
        except (ICError, RegistryError) as exc:
            # Nothing to roll back: ic_canister keeps its own 'creating' entry for the next run.
            self._merge(item, canister)
            msg, error = describe(exc, canister.network_url())
            return self._failed(item, f"create or find: {msg}", error)
        self._merge(item, canister)
        item.update(canister_id=canister.result.get("canister_id"), created=canister.result.get("created", False),
                    status=canister.result.get("status"), cycles=canister.result.get("cycles"))
        if self._code_converged(spec, canister):
            item.update(mode="none", module_hash=canister.result.get("module_hash"), installed_now=False)
        else:
            code = CodeStep(self, dict(self._common(), **self._code_params(spec)))
            try:
                try:
                    code.run()
                except Reject as exc:
                    if exc.error_code != NOT_EMPTY or code.result.get("mode") != "install":
                        raise
                    # An install still running from an interrupted earlier run finished after
                    # our status read: read again and decide again, once.
                    code = CodeStep(self, dict(self._common(), **self._code_params(spec)))
                    code.run()
            except (ICError, RegistryError) as exc:
                self._merge(item, code)
                msg, error = describe(exc, code.network_url())
                return self._install_failed(item, spec, f"install: {msg}", error)
            self._merge(item, code)
            item.update(mode=code.result.get("mode"), module_hash=code.result.get("module_hash"),
                        installed_now=code.result.get("installed_now", False))
        try:
            self._cycles_band(item, spec, canister)
            self._record_arg(item, spec)
        except (ICError, RegistryError) as exc:
            msg, error = describe(exc, canister.network_url())
            return self._failed(item, f"top up: {msg}", error, record=True)
        return item

    def _code_converged(self, spec, canister):
        """The role's fast check: the entry and the canister show this module and argument already.

        The entry records the module hash, the owner (which the template's default argument
        follows from) and any other argument, so decoding the module and encoding the argument
        again, which costs more CPU than the rest of a converged canister, is not needed.
        """
        if canister.result["changed"] or canister.result.get("created"):
            return False
        entry = self.fleet_registry.get(spec["name"]) or {}
        try:
            wanted = self._wasm_hash(spec["wasm"])
        except InputError:
            return False  # ic_code's step reports it
        return (entry.get("status") == "active" and entry.get("module_hash") == wanted
                and canister.result.get("module_hash") == wanted
                and entry.get("owner") == spec["owner"] and entry.get("template") == spec.get("template")
                and all(entry.get(k) == v for k, v in _arg_record(spec).items()))

    def _wasm_hash(self, path):
        # The module the validation pass loaded (and checked) already.
        return validation.wasm(path).sha256_hex

    @staticmethod
    def _merge(item, step):
        item["changed"] = item["changed"] or step.result["changed"]
        part = step.diff.get()
        item["_diff"]["before"].update(part["before"])
        item["_diff"]["after"].update(part["after"])

    def _canister_params(self, spec):
        return {"canister_id": None, "name": spec["name"], "registry": self.params["registry"],
                "template": spec.get("template"), "owner": spec["owner"], "state": spec["state"],
                "settings": spec.get("settings"), "allow_lockout": False, "funding": spec["funding"],
                "cycles": spec.get("cycles"), "specified_id": None, "subnet": None,
                "last_snapshot_dir": None, "reclaim_to": None, "wait_timeout": 300}

    def _code_params(self, spec):
        arg, value = _arg(spec)
        return {"canister_id": None, "name": spec["name"], "registry": self.params["registry"],
                "wasm": spec["wasm"], "wasm_sha256": None, "wasm_version": spec.get("wasm_version") or None,
                "mode": "auto", "force": False, "allow_data_loss": False, "arg": arg, "arg_value": value,
                "arg_hex": None, "did": spec.get("did") or None, "skip_pre_upgrade": False,
                "wasm_memory_persistence": None, "snapshot_before_upgrade": False, "verify": None}

    # ----- cycles band and registry notes -------------------------------------------------

    def _cycles_band(self, item, spec, canister):
        minimum = spec.get("cycles_min")
        if minimum is None or item["canister_id"] is None:
            return
        balance = item.get("cycles") or 0
        target = spec.get("cycles_target") or minimum
        if balance >= minimum:
            return
        add = target - balance
        item.update(changed=True, topped_up=add)
        item["_diff"]["before"]["cycles"] = balance
        item["_diff"]["after"]["cycles"] = target
        if self.check_mode:
            return
        principal = Principal.from_text(item["canister_id"])
        if spec["cycles_source"] == "provisional":
            canister.mgmt("provisional_top_up_canister", {"canister_id": principal, "amount": add})
        else:
            from ansible_collections.icp.canister_factory.plugins.module_utils.ic.cycles_ledger import CyclesLedger

            CyclesLedger(canister.agent).withdraw(to=principal, amount=add, created_at_time=time.time_ns())
        status = canister.canister_status(item["canister_id"])
        item["cycles"] = int(status["cycles"]) if status else balance + add
        caller = self.caller_text()

        def update(entry):
            entry["cycles_balance"] = item["cycles"]
            add_event(entry, "top_up", "ok", identity=caller, cycles=add)
        self._update_entry(spec["name"], update)

    def _record_arg(self, item, spec):
        """Record the init argument as the role does (the per-host path's fast check reads it)."""
        if self.check_mode or item["canister_id"] is None:
            return
        wanted = _arg_record(spec)
        entry = self.fleet_registry.get(spec["name"]) or {}
        if all(entry.get(k) == v for k, v in wanted.items()):
            return
        item["changed"] = True

        def update(e):
            e.update(wanted)
            add_event(e, "update", "ok", identity=self.caller_text())
        self._update_entry(spec["name"], update)

    def _update_entry(self, name, update):
        with self.fleet_registry.transaction() as data:
            entry = data.get(name) or {}
            update(entry)
            data.put(name, entry)

    # ----- failures -----------------------------------------------------------------------

    def _install_failed(self, item, spec, msg, error):
        """The role's rescue: delete a canister this run created (unless kept), mark the entry failed."""
        deleted = False
        if item["created"] and item["canister_id"] and not spec["keep_failed"] and not self.check_mode:
            remover = CanisterStep(self, dict(self._common(), **{
                "canister_id": item["canister_id"], "name": None, "registry": None, "template": None,
                "owner": None, "state": "absent", "settings": None, "allow_lockout": False,
                "funding": "auto", "cycles": None, "specified_id": None, "subnet": None,
                "last_snapshot_dir": None, "reclaim_to": None, "wait_timeout": 300}))
            try:
                remover.run()
                deleted = True
                item["cycles_reclaimed"] = remover.result.get("cycles_reclaimed", 0)
            except (ICError, RegistryError) as exc:
                msg = f"{msg}; deleting the new canister failed too: {describe(exc, remover.network_url())[0]}"
        item.update(rolled_back=deleted)
        if deleted:
            item["canister_id"] = None
        return self._failed(item, msg, error, record=True, status="failed", drop_id=deleted)

    def _failed(self, item, msg, error, record=False, status=None, drop_id=False):
        item.update(failed=True, msg=msg)
        if error:
            item["error"] = error
        if record and not self.check_mode:
            def update(entry):
                entry["last_error"] = msg
                if status:
                    entry["status"] = status
                if drop_id:
                    entry["canister_id"] = None
                add_event(entry, "converge", "failed", identity=self.caller_text(), error=msg)
            try:
                self._update_entry(item["name"], update)
            except RegistryError as exc:
                item["msg"] = f"{msg}; recording it in the registry failed: {exc}"
        return item


def _arg_record(spec):
    """The init argument as the entry records it: nothing for the template's default argument."""
    arg, value = _arg(spec)
    if value is None and (arg or "") == (spec.get("arg_default") or ""):
        return {"init_arg": None, "init_value": None}
    return {"init_arg": None if value is not None else (arg or None), "init_value": value}


def _arg(spec):
    """``(arg, arg_value)`` of a spec: data wins over text, as in the role."""
    if spec.get("arg_value") is not None:
        return None, spec["arg_value"]
    return spec.get("arg") or None, None
