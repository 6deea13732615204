# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What ``ic_code`` does: decide the install mode, install (chunked when big), verify, roll back.

Mixed into an ``ICModule`` subclass.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading

from ansible_collections.icp.canister_factory.plugins.module_utils import _candid_args as candid_args, _validation as validation
from ansible_collections.icp.canister_factory.plugins.module_utils._error_text import one_line
from ansible_collections.icp.canister_factory.plugins.module_utils._ic import candid
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.chunk_store import ChunkStore
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import ICError, InputError, Reject
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.management import needs_chunks
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.principal import Principal
from ansible_collections.icp.canister_factory.plugins.module_utils._ic_module import WAIT_TIMEOUT_OPTION, hex_or_none, run_status
from ansible_collections.icp.canister_factory.plugins.module_utils._registry import (
    EVENT_ROLLBACK, EVENT_UPDATE, RESULT_FAILED, RESULT_OK, RESULT_ROLLED_BACK, add_event)

MAX_SNAPSHOTS = 10
EOP_METADATA = "enhanced-orthogonal-persistence"
# Entry field: hex id of the snapshot the canister's last upgrade took (the next one replaces it).
UPGRADE_SNAPSHOT = "upgrade_snapshot"
# take_canister_snapshot's refusal of a replace_snapshot that does not exist (IC0305, reject code 3).
NOT_FOUND = 3


class CodeInstall:
    """The ``run`` of ic_code and its options; see the module documentation for the behaviour."""

    argument_spec = dict(candid_args.argument_spec(), **{
        "canister_id": {"type": "str"},
        "name": {"type": "str"},
        "registry": {"type": "path"},
        "wasm": {"type": "path", "required": True},
        "wasm_sha256": {"type": "str"},
        "wasm_version": {"type": "str"},
        "version_manifest": {"type": "path"},
        "mode": {"type": "str", "default": "auto", "choices": ["auto", "install", "reinstall", "upgrade"]},
        "force": {"type": "bool", "default": False},
        "allow_data_loss": {"type": "bool", "default": False},
        "skip_pre_upgrade": {"type": "bool", "default": False},
        "wasm_memory_persistence": {"type": "str", "choices": ["keep", "replace"]},
        "snapshot_before_upgrade": {"type": "bool", "default": False},
        "stop_for_upgrade": {"type": "bool", "default": False},
        "wait_timeout": dict(WAIT_TIMEOUT_OPTION),
        "verify": {"type": "dict", "options": {
            "method": {"type": "str", "required": True},
            "arg": {"type": "str", "default": "()"},
            "expect_version": {"type": "bool", "default": False},
        }},
        "notify_factory": {"type": "str"},
    })
    required_one_of = [["canister_id", "name"]]
    mutually_exclusive = [["canister_id", "name"]] + candid_args.MUTUALLY_EXCLUSIVE
    required_by = {"name": "registry"}

    # Set by a fleet: the ``chunk_store.SharedStore`` every canister installs from (None: one
    # install_code, or the target's own chunk store for a module too big for one message).
    chunk_source = None
    # Set by a fleet: the canister_status its canister step has just read (saves a query).
    known_status = None
    # Set by a fleet: the ``ModuleFacts`` its steps share (None: ask the IC for this canister).
    module_facts = None

    def run(self):
        """Converge the installed module of one canister."""
        params = self.params
        module, arg = validation.code_payload(params)  # checked already; cached
        arg_sha = candid_args.sha256_hex(arg)
        canister_id, entry = self.require_canister(predicted_in_check_mode=True)
        status = self.known_status
        if status is None and canister_id:
            status = self.canister_status(canister_id)
        if status is None and not self.check_mode:
            raise InputError("canister_id", f"canister {canister_id} does not exist")
        # In check mode a canister that an earlier task would create gets a predicted install.
        current = hex_or_none(status.get("module_hash")) if status else None
        mode = self._decide(current, module.sha256_hex, arg_sha, entry)
        self.diff.add("module_hash", current, module.sha256_hex if mode != "none" else current)
        if entry is not None and entry.get("arg_sha256"):
            self.diff.add("arg_sha256", entry.get("arg_sha256"), arg_sha if mode != "none" else entry["arg_sha256"])
        chunked = self.chunk_source is not None or needs_chunks(module.bytes_installed, arg)
        self.result.update(previous_module_hash=current, mode=mode, arg_sha256=arg_sha,
                           installed_now=False, stopped_for_upgrade=False, chunked=chunked and mode != "none",
                           module_hash=module.sha256_hex if mode != "none" else current,
                           canister_id=canister_id)
        if mode == "none":
            self._record_converged(entry, current, arg_sha)
            return
        self.result["changed"] = True
        if self.check_mode:
            return
        self._set_registry(entry, status="upgrading" if mode == "upgrade" else None)
        snapshot = self._install_guarded(canister_id, module, arg, mode, chunked, entry,
                                         running=run_status(status) == "running", current=current)
        # A replied install_code (install_chunked_code) runs exactly the module it was given (whose
        # hash it was given), so its hash needs no read_state; the verify query has asked the new code.
        installed = module.sha256_hex
        self.result.update(installed_now=True, module_hash=installed)
        self._set_registry(entry, status="active", module_hash=installed, arg_sha256=arg_sha,
                           wasm_version=self.wanted_version(module.sha256_hex), event=mode,
                           **({UPGRADE_SNAPSHOT: snapshot.hex()} if snapshot else {}))
        self._notify_factory(canister_id)

    def _record_converged(self, entry, current, arg_sha):
        """A canister already on the module whose entry lags behind (a run killed after the install and
        before its registry write): record the module, as that run would have. A registry change."""
        if entry is None or current is None or (entry.get("module_hash") in (None, current)
                                                and entry.get("status") != "upgrading"):
            return
        self.result["changed"] = True
        self.diff.add("registry.module_hash", entry.get("module_hash"), current)
        if self.check_mode:
            return
        # That run's snapshot (the newest) is the one the next upgrade replaces.
        newest = None
        if self.params["snapshot_before_upgrade"]:
            taken = self.mgmt("list_canister_snapshots", {"canister_id": Principal.from_text(self.result["canister_id"])})
            newest = max(taken, key=lambda s: s["taken_at_timestamp"])["id"].hex() if taken else None
        self._set_registry(entry, status="active", module_hash=current, arg_sha256=arg_sha,
                           wasm_version=self.wanted_version(current), event=EVENT_UPDATE,
                           **({UPGRADE_SNAPSHOT: newest} if newest else {}))

    # ----- deciding --------------------------------------------------------------------

    def _decide(self, current, wanted, arg_sha, entry):
        params = self.params
        mode = params["mode"]
        same = current == wanted
        if same and entry is not None and entry.get("arg_sha256") and entry["arg_sha256"] != arg_sha:
            same = False
        if same and not params["force"]:
            return "none"
        if mode == "auto":
            return "install" if current is None else "upgrade"
        if mode == "install" and current is not None:
            raise InputError("mode", "install needs an empty canister, but it has module "
                             f"{current}; use mode=upgrade or mode=reinstall")
        if mode == "upgrade" and current is None:
            raise InputError("mode", "upgrade needs installed code, but the canister is empty; use mode=install")
        return mode

    def _install_mode(self, canister_id, mode, current):
        if mode != "upgrade":
            return {mode: None}
        persistence = self.params.get("wasm_memory_persistence")
        if persistence is None and self._module_metadata(canister_id, current, EOP_METADATA) is not None:
            persistence = "keep"
        return {"upgrade": {
            "skip_pre_upgrade": True if self.params["skip_pre_upgrade"] else None,
            "wasm_memory_persistence": {persistence: None} if persistence else None,
        }}

    def _module_metadata(self, canister_id, module_hash, name):
        """The metadata section ``name`` of the module ``module_hash`` that ``canister_id`` runs
        (read_state), asked once per module in a fleet run (``module_facts``)."""
        if self.module_facts is None or not module_hash:
            return self.agent.metadata(canister_id, name)
        return self.module_facts.get((module_hash, name), lambda: self.agent.metadata(canister_id, name))

    def wanted_version(self, module_hash):
        """The version the new module is: ``wasm_version``, else what ``version_manifest`` records
        for ``module_hash`` (None when neither knows it)."""
        if self.params.get("wasm_version"):
            return self.params["wasm_version"]
        return manifest_version(self.params.get("version_manifest"), module_hash)

    # ----- installing ------------------------------------------------------------------

    def _install_guarded(self, canister_id, module, arg, mode, chunked, entry, running, current):
        """Install (with a snapshot first for an upgrade that wants one, loaded back on failure);
        return the snapshot id or None."""
        snapshot = None
        version = self.wanted_version(module.sha256_hex)
        try:
            with self._stopped_for_upgrade(canister_id, mode == "upgrade" and running):
                if mode == "upgrade" and self.params["snapshot_before_upgrade"]:
                    snapshot = self._take_snapshot(canister_id, (entry or {}).get(UPGRADE_SNAPSHOT))
                    self.result["snapshot_id"] = snapshot.hex()
                self._install(canister_id, module, arg, mode, chunked, current)
            self._verify(canister_id, version)
        except ICError as exc:
            if snapshot is None:
                raise
            self._restore(canister_id, snapshot, exc, running,
                          label=version or os.path.basename(self.params["wasm"]))
        return snapshot

    @contextlib.contextmanager
    def _stopped_for_upgrade(self, canister_id, upgrading_a_running_canister):
        """With ``stop_for_upgrade``: stop the canister (its open call contexts closed, as the IC
        recommends before an upgrade), and start it again whatever the upgrade did; a failed
        upgrade leaves the old module installed, so the canister runs it again."""
        if not (self.params["stop_for_upgrade"] and upgrading_a_running_canister):
            yield
            return
        try:
            # A stop that does not finish in wait_timeout is called off by the start below too.
            self.stop_and_wait(canister_id)
            self.result["stopped_for_upgrade"] = True
            yield
        finally:
            self.mgmt("start_canister", {"canister_id": Principal.from_text(canister_id)})

    def _install(self, canister_id, module, arg, mode, chunked, current):
        """One install decision for both paths: the fleet's shared store, else one message,
        else the target's own chunk store (chunks it holds already are not sent again)."""
        principal = Principal.from_text(canister_id)
        install_mode = self._install_mode(canister_id, mode, current)
        if self.chunk_source is not None:
            self.chunk_source.install(self, principal, module, arg, install_mode)
        elif not chunked:
            self.mgmt("install_code", {"mode": install_mode, "canister_id": principal,
                                       "wasm_module": module.bytes_installed, "arg": arg,
                                       "sender_canister_version": None})
        else:
            store = ChunkStore(self.client, principal)
            store.install(principal, module.bytes_installed, arg, install_mode, module.sha256)
            store.clear()

    def _verify(self, canister_id, version):
        """Ask the ``verify`` query; with ``expect_version`` it must answer ``version`` (when known)."""
        check = self.params.get("verify")
        if not check:
            return
        try:
            arg = candid.encode_text(check["arg"])
        except InputError as exc:
            raise InputError("verify.arg", str(exc)) from None
        reply = candid.decode_to_text(self.agent.query(canister_id, check["method"], arg))
        self.result["verify_reply"] = reply
        if check.get("expect_version") and version and json.dumps(version) not in reply:
            raise ICError(f"{check['method']} answered {reply}, not {version}")

    def _notify_factory(self, canister_id):
        """Ask the factory canister ``notify_factory`` to record the child's new module now.

        Its timer refreshes the record too, so a failure here is only a warning: the upgrade stands.
        """
        factory = self.params.get("notify_factory")
        if not factory:
            return
        try:
            self.agent.update(factory, "refresh_canister",
                              candid.encode_text(f'(principal "{Principal.from_text(canister_id).to_text()}")'))
        except ICError as exc:
            self.result["notify_warning"] = f"refresh_canister on factory {factory} failed: {exc}"

    # ----- snapshots -------------------------------------------------------------------

    def _take_snapshot(self, canister_id, previous=None):
        """Take a snapshot in place of ``previous`` (hex id of the one the last upgrade took), so an
        upgraded canister keeps one; without it, or when it is gone, a new one, and at the limit of
        snapshots per canister in place of the oldest.

        The IC replaces atomically (the old snapshot goes once the new one is taken), so no delete
        call is needed, and the list is read only when the IC refuses a new one (a refused call
        changes nothing)."""
        principal = Principal.from_text(canister_id)
        replace = _snapshot_id(previous)
        if replace is not None:
            try:
                return self._snapshot_call(principal, replace)
            except Reject as exc:
                if exc.reject_code != NOT_FOUND:
                    raise
        try:
            return self._snapshot_call(principal, None)
        except Reject:
            existing = self.mgmt("list_canister_snapshots", {"canister_id": principal})
            if len(existing) < MAX_SNAPSHOTS:
                raise
        return self._snapshot_call(principal, min(existing, key=lambda s: s["taken_at_timestamp"])["id"])

    def _snapshot_call(self, principal, replace):
        return self.mgmt("take_canister_snapshot", {
            "canister_id": principal, "replace_snapshot": replace, "uninstall_code": None,
            "sender_canister_version": None})["id"]

    def _restore(self, canister_id, snapshot, error, running, label):
        """Load ``snapshot`` back after a failed upgrade, start the canister again when it ran
        before, record the rollback (event and ``last_error``) and fail."""
        principal = Principal.from_text(canister_id)
        details = {"error": error.as_dict() if isinstance(error, Reject) else None}
        try:
            self.mgmt("load_canister_snapshot", {"canister_id": principal, "snapshot_id": snapshot,
                                                 "sender_canister_version": None})
            if running and run_status(self.canister_status(canister_id)) != "running":
                self.mgmt("start_canister", {"canister_id": principal})
        except ICError as restore_error:
            self._set_registry(self._entry_now(), status="failed", event=EVENT_ROLLBACK, result=RESULT_FAILED,
                               last_error=f"upgrade to {label} failed and its rollback too: {one_line(restore_error)}",
                               **{UPGRADE_SNAPSHOT: snapshot.hex()})
            self.fail(f"upgrade failed ({error}) and loading snapshot {snapshot.hex()} back failed "
                      f"too ({restore_error})", rolled_back=False, **details)
        self._set_registry(self._entry_now(), status="active", event=EVENT_ROLLBACK, result=RESULT_ROLLED_BACK,
                           last_error=f"upgrade to {label} rolled back: {one_line(error)}",
                           **{UPGRADE_SNAPSHOT: snapshot.hex()})
        self.fail(f"upgrade failed ({error}); snapshot {snapshot.hex()} was loaded back, so the "
                  "canister runs the previous module", rolled_back=True, **details)

    # ----- registry --------------------------------------------------------------------

    def _entry_now(self):
        return {} if self.params.get("name") else None

    def _set_registry(self, entry, event=None, result=RESULT_OK, **fields):
        fields = {k: v for k, v in fields.items() if v is not None}
        if entry is None or not (fields or event):
            return  # nothing to record (an install's start: only an upgrade marks the entry)

        def update(current):
            current.update(fields)
            if event:
                add_event(current, event, result,
                          identity=self.caller_text(), module_hash=fields.get("module_hash"))
        self.update_entry(update)


def _snapshot_id(text):
    """Bytes of a recorded hex snapshot id, or None for none or one that is not hex."""
    try:
        return bytes.fromhex(text) if text else None
    except (TypeError, ValueError):
        return None


class ModuleFacts:
    """What the IC says about a module, by module hash, asked once for the steps of a fleet run.

    A module hash names the module's bytes, so its metadata (custom sections) is the same on every
    canister that runs it: the first step asks, the steps that want it meanwhile wait for that answer
    (and ask themselves if that step failed)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._known = {}
        self._asking = {}

    def get(self, key, ask):
        """The fact ``key``, from ``ask()`` the first time."""
        with self._lock:
            if key in self._known:
                return self._known[key]
            done = self._asking.get(key)
            first = done is None
            if first:
                done = self._asking[key] = threading.Event()
        if not first:
            done.wait()
            with self._lock:
                if key in self._known:
                    return self._known[key]
            return ask()
        try:
            value = ask()
            with self._lock:
                self._known[key] = value
            return value
        finally:
            with self._lock:
                self._asking.pop(key, None)
            done.set()


def manifest_version(path, module_hash):
    """The version a build manifest (wasm/manifest.json) records for ``module_hash``, or None.

    A missing or unreadable manifest knows no version (the verify step then accepts any answer).
    """
    if not path or not module_hash:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            templates = json.load(handle).get("templates") or []
    except (OSError, ValueError, AttributeError):
        return None
    return next((t.get("version") for t in templates
                 if isinstance(t, dict) and t.get("module_hash") == module_hash and t.get("version")), None)
