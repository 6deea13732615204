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
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.icp.canister_factory.plugins.module_utils import _input_fields as input_fields
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import ICError, InputError, Reject
from ansible_collections.icp.canister_factory.plugins.module_utils._checked_args import save_kept
from ansible_collections.icp.canister_factory.plugins.module_utils._error_text import describe_error
from ansible_collections.icp.canister_factory.plugins.module_utils._ic_module import (
    COMMON_OPTIONS, DiffTracker, ICModule, ModuleFailed, recorded_id)
from ansible_collections.icp.canister_factory.plugins.module_utils._canister_lifecycle import (
    CanisterLifecycle, check_lockout)
from ansible_collections.icp.canister_factory.plugins.module_utils._canister_settings import (
    normalize, settings_argument_spec)
from ansible_collections.icp.canister_factory.plugins.module_utils._chunk_store import SharedStore
from ansible_collections.icp.canister_factory.plugins.module_utils._code_install import CodeInstall
from ansible_collections.icp.canister_factory.plugins.module_utils._converge_rules import arg_record, code_converged
from ansible_collections.icp.canister_factory.plugins.module_utils._creation_keys import FUNDING_CHOICES
from ansible_collections.icp.canister_factory.plugins.module_utils._cycles_topup import CyclesTopUp
from ansible_collections.icp.canister_factory.plugins.module_utils._topup_keys import PENDING_FIELD
from ansible_collections.icp.canister_factory.plugins.module_utils._registry import (
    EVENT_CONVERGE, EVENT_UPDATE, RESULT_FAILED, RESULT_OK, RegistryError, add_event, copy_entry)


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
        "cycles_source": {"type": "str", "default": "auto", "choices": FUNDING_CHOICES},
        "keep_failed": {"type": "bool", "default": False},
    }


# ----- registry ---------------------------------------------------------------------------

DURABLE_STATUSES = ("creating", "failed", "deleted")
# Entry field of the canister whose Wasm chunk store holds the fleet's chunks (see chunk_store).
CHUNK_STORE_MARK = "chunk_store"
# install_code's refusal of a canister that has code.
NOT_EMPTY = "IC0514"


def _durable_key(entry):
    """The fields of an entry that decide whether a change of it must reach the disk at once."""
    entry = entry or {}
    return (entry.get("canister_id"), entry.get("status"), entry.get("created_at_time"), entry.get("specified_id"),
            entry.get(PENDING_FIELD))


def _must_persist(entry, on_disk):
    """A new canister id, or an unfinished creation's key, or a failure or deletion: never lose them."""
    key = _durable_key(entry)
    if on_disk is None:
        return key != (None,) * len(key)
    # A top-up's key (set or cleared) too: it decides whether the next run pays again.
    return key[0] != on_disk[0] or key[4] != on_disk[4] or (key[1] in DURABLE_STATUSES and key != on_disk)


class _View:
    """The ``RegistryData``-like object a step's transaction sees."""

    def __init__(self, fleet_registry):
        self._registry = fleet_registry
        self.puts = {}

    def get(self, name):
        """The entry as this transaction left it, else as the fleet knows it."""
        if name in self.puts:
            return copy_entry(self.puts[name])
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

    def names_with(self, field):
        """Names of the entries that have ``field`` set, sorted."""
        with self._lock:
            return sorted(n for n, e in self._data.entries.items() if e.get(field))

    def get(self, name):
        """A copy of the entry ``name`` or None."""
        with self._lock:
            return self._data.get(name)

    def peek(self, name):
        """The entry ``name`` itself (or None), to read and never to change: a put replaces an
        entry, so the object stays as it was; it saves the copies of a 1,000-canister probe."""
        with self._lock:
            return self._data.entries.get(name)

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
                entries = {n: copy_entry(self._data.entries[n]) for n in names}
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
# One canister's share of the fleet is the single module's class run with the fleet as parent:
# its own params (derived from that module's argument_spec), result and diff; the fleet's
# client, identity, check mode and registry.

class CanisterStep(CanisterLifecycle, ICModule):
    """ic_canister's converge for one canister of the fleet."""


class CodeStep(CodeInstall, ICModule):
    """ic_code's converge for one canister of the fleet."""


class CyclesStep(CyclesTopUp, ICModule):
    """ic_cycles' top-up (with its mainnet and ledger-balance guards) for one canister of the fleet."""


# How the single modules' option names read in an item of ``canisters``.
SPEC_FIELDS = {"min_cycles": "cycles_min", "target_cycles": "cycles_target", "source": "cycles_source",
               "canister_id": "name"}


# ----- the fleet ----------------------------------------------------------------------------

class Fleet:
    """The ``run`` of ic_fleet (mixed into an ``ICModule``)."""

    # The FleetRegistry of the run, shared by the steps.
    fleet_registry = None
    # The SharedStore the code steps install from (None in check mode).
    chunk_source = None

    def run(self):
        """Converge every canister of ``canisters``; fail the module when any canister failed."""
        specs = self.params["canisters"]  # checked whole by validation.fleet before this runs
        caller = self.caller_text()
        for spec in specs:  # ic_canister's guard, for the whole fleet before any call
            check_lockout(normalize(spec.get("settings")), caller, f"canisters[{spec['name']}].settings.controllers",
                          fix="add it (only ic_canister with allow_lockout: true may leave it out)")
        self.fleet_registry = FleetRegistry(self.registry(), write=not self.check_mode)
        # The fleet and its steps (run with parent=self) read and write through it.
        self._shared_registry = self.fleet_registry
        started = time.monotonic()
        self.chunk_source = None if self.check_mode else SharedStore(self.client, self._mark_store,
                                                                     self._recovered_store())
        results = []
        try:
            if self.check_mode:
                results = self._converge_as_read(specs)
            elif len(specs) <= 1 or self.params["workers"] == 1:
                results = [self._converge(spec) for spec in specs]
            else:
                with ThreadPoolExecutor(max_workers=min(self.params["workers"], len(specs))) as pool:
                    results = list(pool.map(self._converge, specs))
        finally:
            if self.chunk_source is not None:
                gone = {r["name"] for r in results if r.get("rolled_back")}
                for warning in self.chunk_source.finish(gone):
                    self.module.warn(warning)
            self.fleet_registry.flush()
        self._summarize(results, time.monotonic() - started)  # fails the module when a canister failed
        if not self.check_mode:
            save_kept(self.params["registry"])

    def _converge_as_read(self, specs):
        """Check mode: converge each canister as soon as its status is read, the statuses of
        every recorded canister read in one pipelined stream (``read_statuses``), not one round
        trip per step (issue 13: the converged rerun's probe). No threads: the steps of a check
        run make (almost) no calls of their own, and nothing the run does changes a canister
        between the read and its step."""
        results = [None] * len(specs)
        waiting = {}
        for index, spec in enumerate(specs):
            canister_id = recorded_id(self.fleet_registry.peek(spec["name"]))
            if canister_id:
                waiting.setdefault(canister_id, []).append(index)
        # As many queries on the wire as the fleet has workers: on mainnet a query waits ~0.1 s.
        for canister_id in self.read_statuses(list(waiting), self.params["workers"]):
            for index in waiting.pop(canister_id, ()):
                results[index] = self._converge(specs[index])
        return [self._converge(spec) if result is None else result for spec, result in zip(specs, results)]

    # ----- the shared chunk store ---------------------------------------------------------

    def _recovered_store(self):
        """``(name, canister id)`` of the chunk store an interrupted run left, or None."""
        for name in self.fleet_registry.names_with(CHUNK_STORE_MARK):
            entry = self.fleet_registry.get(name)
            if entry.get("canister_id") and entry.get("status") not in ("deleted", "creating"):
                return name, entry["canister_id"]
            self._mark_store(name, False)
        return None

    def _mark_store(self, name, held):
        """Record (durably, before any upload) or clear that ``name``'s chunk store holds chunks."""
        def update(entry):
            if held:
                entry[CHUNK_STORE_MARK] = True
            else:
                entry.pop(CHUNK_STORE_MARK, None)
        self.update_entry(update, name=name)
        self.fleet_registry.flush()

    def _summarize(self, results, seconds):
        counts = {"total": len(results), "changed": 0, "created": 0, "installed": 0, "upgraded": 0,
                  "topped_up": 0, "rolled_back": 0, "failed": 0, "ok": 0, "halted": 0}
        for item in results:
            self.diff.merge(item.pop("_diff"), prefix=item["name"])
            counts["changed"] += item["changed"]
            counts["created"] += item.get("created", False)
            counts["installed"] += item.get("mode") == "install"
            counts["upgraded"] += item.get("mode") == "upgrade"
            counts["topped_up"] += bool(item.get("topped_up"))
            counts["rolled_back"] += item.get("rolled_back", False)
            counts["halted"] += item.get("halted", False)
            counts["failed" if item["failed"] else "ok"] += 1
        self.result.update(changed=counts["changed"] > 0, canisters=results, counts=counts,
                           failed_names=[r["name"] for r in results if r["failed"]],
                           seconds=round(seconds, 3))
        if counts["failed"]:
            failed = [r for r in results if r["failed"]]
            self.fail(f"{counts['failed']} of {counts['total']} canisters failed: "
                      + "; ".join(f"{r['name']}: {r['msg']}" for r in failed[:5])
                      + ("; ..." if len(failed) > 5 else "")
                      + (f"; the rollout halted, {counts['halted']} not attempted" if counts["halted"] else ""))

    # ----- one canister -------------------------------------------------------------------

    def _step(self, cls, spec, **params):
        """An instance of ``cls`` for canister ``spec``: the fleet's common options, the
        module's own defaults, and ``params``; code steps install from the shared store."""
        given = {k: self.params.get(k) for k in COMMON_OPTIONS}
        given.update(name=spec["name"], registry=self.params["registry"])
        given.update(params)
        step = cls(self.module, params=cls.argument_defaults(**given), parent=self)
        if cls is CodeStep:
            step.chunk_source = self.chunk_source
        return step

    def _describe(self, exc, spec):
        """describe_error, with a bad option named as the fleet's item names it."""
        if isinstance(exc, InputError) and exc.field and not exc.field.startswith("canisters"):
            head, rest = (exc.field.split(".", 1) + [""])[:2]
            field = SPEC_FIELDS.get(head, head) + (f".{rest}" if rest else "")
            return f"canisters[{spec['name']}].{field}: {exc.message}", None
        return describe_error(exc, self.params.get("network"))

    def _converge(self, spec):
        name = spec["name"]
        item = {"name": name, "changed": False, "failed": False, "created": False, "canister_id": None,
                "_diff": DiffTracker()}
        canister = self._step(CanisterStep, spec, **self._canister_params(spec))
        try:
            canister.run()
        except (ICError, RegistryError, ModuleFailed) as exc:
            # Nothing to roll back: ic_canister keeps its own 'creating' entry for the next run.
            self._merge(item, canister)
            msg, error = self._describe(exc, spec)
            return self._failed(item, f"create or find: {msg}", error)
        self._merge(item, canister)
        item.update(canister_id=canister.result.get("canister_id"), created=canister.result.get("created", False),
                    status=canister.result.get("status"), cycles=canister.result.get("cycles"))
        if self._code_converged(spec, canister):
            item.update(mode="none", module_hash=canister.result.get("module_hash"), installed_now=False)
        else:
            code = self._step(CodeStep, spec, **self._code_params(spec))
            code.known_status = canister.last_status
            try:
                try:
                    code.run()
                except Reject as exc:
                    if exc.error_code != NOT_EMPTY or code.result.get("mode") != "install":
                        raise
                    # An install still running from an interrupted earlier run finished after
                    # our status read: read again and decide again, once.
                    code = self._step(CodeStep, spec, **self._code_params(spec))
                    code.run()
            except (ICError, RegistryError, ModuleFailed) as exc:
                self._merge(item, code)
                msg, error = self._describe(exc, spec)
                return self._install_failed(item, spec, f"install: {msg}", error)
            self._merge(item, code)
            item.update(mode=code.result.get("mode"), module_hash=code.result.get("module_hash"),
                        installed_now=code.result.get("installed_now", False))
        try:
            self._cycles_band(item, spec)
            self._record_arg(item, spec)
        except (ICError, RegistryError, ModuleFailed) as exc:
            msg, error = self._describe(exc, spec)
            return self._failed(item, f"top up: {msg}", error, record=True)
        return item

    def _code_converged(self, spec, canister):
        """The roles' fast path, on the status the canister step has just read."""
        if canister.result["changed"] or canister.result.get("created"):
            return False
        try:
            wanted = self._wasm_hash(spec["wasm"])
        except InputError:
            return False  # ic_code's step reports it
        return code_converged(self.fleet_registry.peek(spec["name"]), canister.result.get("module_hash"),
                              spec.get("template"), spec["owner"], wanted, _arg_record(spec))

    @staticmethod
    def _wasm_hash(path):
        # The module the validation pass loaded (and checked) already.
        return input_fields.wasm(path).sha256_hex

    @staticmethod
    def _merge(item, step):
        item["changed"] = item["changed"] or step.result["changed"]
        item["_diff"].merge(step.diff)

    @staticmethod
    def _canister_params(spec):
        return {"template": spec.get("template"), "owner": spec["owner"], "state": spec["state"],
                "settings": spec.get("settings"), "funding": spec["funding"], "cycles": spec.get("cycles")}

    @staticmethod
    def _code_params(spec):
        arg, value = _arg(spec)
        return {"wasm": spec["wasm"], "wasm_version": spec.get("wasm_version") or None,
                "arg": arg, "arg_value": value, "did": spec.get("did") or None}

    # ----- cycles band and registry notes -------------------------------------------------

    def _cycles_band(self, item, spec):
        """ic_cycles' top-up on the balance the canister step has just read."""
        if spec.get("cycles_min") is None or item["canister_id"] is None:
            return
        cycles = self._step(CyclesStep, spec, canister_id=item["canister_id"], min_cycles=spec["cycles_min"],
                            target_cycles=spec.get("cycles_target"), source=spec["cycles_source"])
        cycles.known_balance = item.get("cycles") or 0
        try:
            cycles.run()
        finally:
            self._merge(item, cycles)
        if cycles.result.get("topped_up"):
            item.update(topped_up=cycles.result["topped_up"], cycles=cycles.result["balance_after"])

    def _record_arg(self, item, spec):
        """Record the init argument as the role does (the per-host path's fast check reads it)."""
        if item["canister_id"] is None:
            return
        wanted = _arg_record(spec)
        entry = self.fleet_registry.peek(spec["name"]) or {}
        if all(entry.get(k) == v for k, v in wanted.items()):
            return
        item["changed"] = True  # predicted in check mode too
        if self.check_mode:
            return

        def update(e):
            e.update(wanted)
            add_event(e, EVENT_UPDATE, RESULT_OK, identity=self.caller_text())
        self.update_entry(update, name=spec["name"])

    # ----- failures -----------------------------------------------------------------------

    def _install_failed(self, item, spec, msg, error):
        """The role's rescue: delete a canister this run created (unless kept), mark the entry failed."""
        deleted = False
        if item["created"] and item["canister_id"] and not spec["keep_failed"] and not self.check_mode:
            remover = self._step(CanisterStep, spec, canister_id=item["canister_id"], name=None,
                                 registry=None, state="absent")
            try:
                remover.run()
                deleted = True
                item["cycles_reclaimed"] = remover.result.get("cycles_reclaimed", 0)
            except (ICError, RegistryError, ModuleFailed) as exc:
                msg = f"{msg}; deleting the new canister failed too: {self._describe(exc, spec)[0]}"
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
                add_event(entry, EVENT_CONVERGE, RESULT_FAILED, identity=self.caller_text(), error=msg)
            try:
                self.update_entry(update, name=item["name"])
            except RegistryError as exc:
                item["msg"] = f"{msg}; recording it in the registry failed: {exc}"
        return item


def _arg_record(spec):
    """The init argument as the entry records it."""
    arg, value = _arg(spec)
    return arg_record(arg, value, spec.get("arg_default"))


def _arg(spec):
    """``(arg, arg_value)`` of a spec: data wins over text, as in the role."""
    if spec.get("arg_value") is not None:
        return None, spec["arg_value"]
    return spec.get("arg") or None, None
