# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What ``ic_canister`` does: locate, create (crash-safe with a registry), converge, start/stop, delete.

Mixed into an ``ICModule`` subclass; uses its ``params``, ``change``, ``diff``, ``result`` and
management helpers.
"""

from __future__ import annotations

import time

from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import (
    ICError, InputError, Reject, TransportError)
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.principal import Principal
from ansible_collections.icp.canister_factory.plugins.module_utils._ic_module import WAIT_TIMEOUT_OPTION, hex_or_none, run_status
from ansible_collections.icp.canister_factory.plugins.module_utils._canister_facts import canister_facts
from ansible_collections.icp.canister_factory.plugins.module_utils._canister_settings import (
    differences, from_definite, normalize, settings_argument_spec, to_candid)
from ansible_collections.icp.canister_factory.plugins.module_utils._registry import (
    EVENT_CREATE, EVENT_DELETE, EVENT_UPDATE, RESULT_FAILED, RESULT_OK, RESULT_STARTED, add_event, now_iso)
from ansible_collections.icp.canister_factory.plugins.module_utils import _snapshot_download as snapshot_download
from ansible_collections.icp.canister_factory.plugins.module_utils._creation_keys import (
    FUNDING_CHOICES, KEY_FIELDS, key_of_entry, new_key, pick_free_specified_id, resolve_funding, subnet_ranges)
from ansible_collections.icp.canister_factory.plugins.module_utils._reclaim import Reclaim, drain
from ansible_collections.icp.canister_factory.plugins.module_utils._unknown_outcomes import (
    PENDING_RETRY_DELAYS, CreationPending, forgotten_by_ledger, outcome_unknown, refunded_or, too_old_message)

# The fields of canister_settings that the cycles ledger's create_canister accepts; the others
# are applied with update_settings right after the creation.
LEDGER_SETTINGS = ("controllers", "compute_allocation", "memory_allocation", "freezing_threshold",
                   "reserved_cycles_limit", "log_visibility", "wasm_memory_limit",
                   "wasm_memory_threshold", "environment_variables")
REGISTRY_STATUS = {"running": "active", "stopping": "stopped", "stopped": "stopped"}


class CanisterLifecycle:
    """The ``run`` of ic_canister and its options; see the module documentation for the behaviour."""

    argument_spec = {
        "canister_id": {"type": "str"},
        "name": {"type": "str"},
        "registry": {"type": "path"},
        "template": {"type": "str"},
        "owner": {"type": "str"},
        "state": {"type": "str", "default": "present", "choices": ["present", "running", "stopped", "absent"]},
        "settings": {"type": "dict", "options": settings_argument_spec()},
        "allow_lockout": {"type": "bool", "default": False},
        "funding": {"type": "str", "default": "auto", "choices": FUNDING_CHOICES},
        "cycles": {"type": "int"},
        "specified_id": {"type": "str"},
        "subnet": {"type": "str"},
        "last_snapshot_dir": {"type": "path"},
        "reclaim_to": {"type": "str"},
        "wait_timeout": dict(WAIT_TIMEOUT_OPTION),
        # Checked by validation.canister only: the code a following ic_code will install.
        "install_check": {"type": "dict", "options": {
            "wasm": {"type": "path", "required": True}, "arg": {"type": "str"},
            "arg_value": {"type": "raw"}, "did": {"type": "path"}}},
    }
    required_one_of = [["canister_id", "name", "specified_id"]]
    mutually_exclusive = [["canister_id", "name"]]
    required_by = {"name": "registry"}

    # The canister_status the run ended with (None when the canister does not exist).
    last_status = None

    def run(self):
        """Converge one canister to the module's parameters."""
        self.wanted = normalize(self.params.get("settings"))
        self.subnet = None
        self._check_lockout(self.wanted)
        if self.params["state"] != "absent":
            resolve_funding(self.params.get("funding"), self.network_url())  # before any call
        canister_id, entry = self._locate()
        status = self.canister_status(canister_id) if canister_id else None
        created = False
        if self.params["state"] == "absent":
            status = self._ensure_absent(canister_id, status, entry)
        else:
            if status is None:
                canister_id, status = self._create(canister_id, entry)
                created = True
            if status is not None:
                # After a creation this applies what the creation could not carry.
                status = self._converge_settings(canister_id, status)
            status = self._converge_run_state(canister_id, status)
            self.subnet = self._subnet_of(canister_id, status)
            self._record(canister_id, status, entry, created)
        self.last_status = status
        self._report(canister_id, status, created)

    def _subnet_of(self, canister_id, status):
        """The id of the subnet holding the canister, from certified state (the delegation's
        subnet, or the root subnet); None when there is no canister."""
        if status is None or not canister_id:
            return None
        return self.agent.subnet_for(canister_id).subnet_id.to_text()

    # ----- finding ---------------------------------------------------------------------

    def _locate(self):
        if self.params.get("canister_id") or self.params.get("name"):
            return self.locate_canister()
        return Principal.coerce(self.params["specified_id"], field="specified_id").to_text(), None

    # ----- creating --------------------------------------------------------------------

    def _create(self, canister_id, entry):
        params = self.params
        if params.get("canister_id"):
            raise InputError("canister_id", f"canister {canister_id} does not exist; use specified_id "
                             "to create a canister with a chosen id")
        if entry and entry.get("canister_id") and entry.get("status") not in ("deleted", "creating"):
            raise InputError("name", f"registry entry {params['name']!r} points at canister "
                             f"{entry['canister_id']}, which does not exist; remove the entry with "
                             "ic_registry (state=absent) to create a new canister")
        if params.get("subnet"):
            subnet_ranges(self.agent, params["subnet"])  # an unknown subnet fails here, also in check mode
        self.diff.add("state", "absent", "present")
        self.result["changed"] = True
        if self.check_mode:
            return None, None
        key, resumed = self._dedup_key(entry)
        self._save_entry(lambda e: self._creating_entry(e, key))
        try:
            canister_id = self._create_repeatably(key)
        except ICError as exc:
            if outcome_unknown(exc):
                raise  # keep the entry and its key: the next run asks again with the same key
            if resumed and forgotten_by_ledger(exc, key):
                self.result["changed"] = False
                raise InputError("name", too_old_message(params["name"], key)) from None
            # A definite refusal (a reject, a ledger error, bad input): nothing was created, so
            # the next run may start afresh and this run changed nothing on the network.
            self._save_entry(lambda e: self._refused_entry(e, entry, exc))
            self.result["changed"] = False
            raise
        self._save_entry(lambda e: e.update(canister_id=canister_id))
        return canister_id, self.canister_status(canister_id)

    def _dedup_key(self, entry):
        """``(key, resumed)``: the key that makes creation repeatable; an unfinished creation's
        own key is reused (with the amount it was started with)."""
        params = self.params
        if entry and entry.get("status") == "creating":
            key = key_of_entry(entry)
            if key is not None:
                return key, True
            if entry.get("canister_id") is None:
                raise InputError("name", f"an earlier creation of {params['name']!r} has an unknown "
                                 "outcome and no deduplication key; check the network and record its "
                                 "canister_id with ic_registry, or remove the entry")
        funding = resolve_funding(params.get("funding"), self.network_url())
        key = new_key(funding, params.get("cycles"), params.get("specified_id"), params.get("subnet"),
                      lambda: pick_free_specified_id(self.agent, params.get("subnet")))
        return key, False

    def _creating_entry(self, entry, key):
        params = self.params
        if entry.get("status") == "deleted":
            entry.clear()
        entry.update(key)
        entry.update(status="creating", created_by=self.caller_text(), created_at=now_iso(),
                     network=self.network_url())
        for field in ("template", "owner"):
            if params.get(field):
                entry[field] = params[field]
        add_event(entry, EVENT_CREATE, RESULT_STARTED, identity=self.caller_text())

    def _refused_entry(self, entry, before, exc):
        """Put back the entry as it was; a new one, or an unfinished creation now known to have
        failed, stays as ``failed`` without a key."""
        if before is not None and before.get("status") != "creating":
            entry.clear()
            entry.update(before)
            return
        entry["status"] = "failed"
        for field in KEY_FIELDS:
            entry.pop(field, None)
        add_event(entry, EVENT_CREATE, RESULT_FAILED, identity=self.caller_text(), error=str(exc))

    def _create_repeatably(self, key):
        """Create; after an unknown outcome ask again with the same deduplication key, which
        answers with the canister made the first time (or makes it now). A creation the ledger
        still processes (``Duplicate`` without a canister id) is asked about a few times more."""
        for delay in PENDING_RETRY_DELAYS:
            try:
                return self._create_call(key)
            except TransportError:
                pass
            except CreationPending:
                pass
            time.sleep(delay)
        try:
            return self._create_call(key)
        except CreationPending as pending:
            raise refunded_or(pending, self.agent, self.identity.sender, key) from None

    def _create_call(self, key):
        settings = to_candid(self.wanted) if self.wanted else None
        if key["funding"] == "cycles_ledger":
            return self._create_with_ledger(key, settings)
        cycles = self.params.get("cycles")
        specified = Principal.from_text(key["specified_id"]) if key.get("specified_id") else None
        arg = {"amount": cycles, "settings": settings, "specified_id": specified,
               "sender_canister_version": None}
        try:
            reply = self.client.call("provisional_create_canister_with_cycles", arg,
                                     effective_canister_id=specified)
        except Reject as exc:
            # The specified_id already existing after a lost reply is our own canister.
            if specified is None or exc.error_code != "IC0205" or self.canister_status(specified) is None:
                raise
            return specified.to_text()
        return Principal.coerce(reply["canister_id"]).to_text()

    def _create_with_ledger(self, key, settings):
        from ansible_collections.icp.canister_factory.plugins.module_utils._ic.cycles_ledger import CyclesLedger

        # The ledger's deduplication hashes the amount too: a retry resends the recorded one.
        cycles = key.get("creation_cycles", self.params.get("cycles"))
        if cycles is None:
            raise InputError("cycles", "required with funding=cycles_ledger")
        if settings is not None:
            settings = {k: v for k, v in settings.items() if v is not None and k in LEDGER_SETTINGS} or None
        subnet = self.params.get("subnet")
        ledger = CyclesLedger(self.agent)
        canister = ledger.create_canister(
            amount=cycles, created_at_time=key["created_at_time"], settings=settings,
            subnet=Principal.coerce(subnet, field="subnet") if subnet else None)
        return Principal.coerce(canister).to_text()

    # ----- converging ------------------------------------------------------------------

    def _check_lockout(self, wanted):
        if not self.params["allow_lockout"]:
            check_lockout(wanted, self.caller_text())

    def _converge_settings(self, canister_id, status):
        current = from_definite(status["settings"])
        self.diff.add("settings", {k: current.get(k) for k in self.wanted}, dict(self.wanted))
        changes = differences(self.wanted, current)
        if not changes:
            return status
        arg = {"canister_id": Principal.from_text(canister_id), "settings": to_candid(changes),
               "sender_canister_version": None}
        self.change(self.mgmt, "update_settings", arg)
        if self.check_mode:
            return status
        return self.canister_status(canister_id) or status

    def _converge_run_state(self, canister_id, status):
        wanted = self.params["state"]
        if wanted not in ("running", "stopped") or (status is None and self.check_mode):
            return status
        current = run_status(status)
        self.diff.add("status", current, wanted)
        if current == wanted:
            return status
        if wanted == "stopped":
            stopped = self.change(self.stop_and_wait, canister_id)
            return status if self.check_mode else stopped
        self.change(self.mgmt, "start_canister", {"canister_id": Principal.from_text(canister_id)})
        if self.check_mode:
            return status
        return self.wait_for_status(canister_id, wanted, self.params["wait_timeout"])

    # ----- deleting --------------------------------------------------------------------

    def _ensure_absent(self, canister_id, status, entry):
        if status is None:
            if entry and entry.get("status") != "deleted":
                self.diff.add("registry_status", entry.get("status"), "deleted")
                self.result["changed"] = True
                if not self.check_mode:
                    self._save_entry(lambda e: self._tombstone(e, None))
            return None
        self.diff.add("state", run_status(status), "absent")
        self.result["changed"] = True
        if self.check_mode:
            return status
        principal = Principal.from_text(canister_id)
        if run_status(status) != "stopped":
            status = self.stop_and_wait(canister_id)
        if self.params.get("last_snapshot_dir"):
            self._last_snapshot(principal, status)
        reclaimed = drain(self, canister_id, status, Reclaim(self.caller_text(), self.params.get("reclaim_to")))
        if reclaimed:
            # Counted once: a run killed before the deletion finds the total here.
            self._save_entry(lambda e: e.update(cycles_reclaimed=int(e.get("cycles_reclaimed") or 0) + reclaimed))
            status = self.canister_status(canister_id) or status
        total = reclaimed
        if self.params.get("name"):
            total = int((self.registry().read().get(self.params["name"]) or {}).get("cycles_reclaimed") or 0)
        self.mgmt("delete_canister", {"canister_id": principal})
        self.result["cycles_freed"] = int(status["cycles"])
        self.result["cycles_reclaimed"] = total
        self._save_entry(lambda e: self._tombstone(e, int(status["cycles"]), total))
        return None

    def _last_snapshot(self, principal, status):
        """Take a snapshot of the stopped canister and download it before the canister goes."""
        if status.get("module_hash") is None:
            self.result["last_snapshot"] = None
            return
        taken = self.mgmt("take_canister_snapshot", {"canister_id": principal, "replace_snapshot": None,
                                                     "uninstall_code": None, "sender_canister_version": None})
        path = snapshot_download.download(self.mgmt, principal, taken["id"], self.params["last_snapshot_dir"])
        self.result["last_snapshot"] = {"id": taken["id"].hex(), "path": path}

    def _tombstone(self, entry, cycles, reclaimed=0):
        entry["status"] = "deleted"
        add_event(entry, EVENT_DELETE, RESULT_OK, identity=self.caller_text(), cycles_freed=cycles,
                  cycles_reclaimed=reclaimed)

    # ----- registry and result ---------------------------------------------------------

    def _save_entry(self, update):
        """Apply ``update(entry)`` to the registry entry ``name`` in one locked transaction."""
        self.update_entry(update)

    def _record(self, canister_id, status, entry, created):
        if status is None or not self.params.get("name"):
            return
        wanted = {"canister_id": canister_id, "status": REGISTRY_STATUS[run_status(status)],
                  "module_hash": hex_or_none(status.get("module_hash"))}
        for field in ("template", "owner"):
            if self.params.get(field):
                wanted[field] = self.params[field]
        if self.subnet and (created or (entry or {}).get("subnet")):
            wanted["subnet"] = self.subnet
        stale = {k: v for k, v in wanted.items() if (entry or {}).get(k) != v}
        if not stale and not created and not self.result["changed"]:
            return
        if stale and not created:
            # Rewriting the entry is a change too: reported, and predicted in check mode.
            self.result["changed"] = True
            self.diff.add("registry", {k: (entry or {}).get(k) for k in stale}, stale)
        if self.check_mode:
            return

        def update(e):
            e.update(wanted)
            e["cycles_balance"] = int(status["cycles"])
            add_event(e, EVENT_CREATE if created else EVENT_UPDATE, RESULT_OK, identity=self.caller_text())
        self._save_entry(update)

    def _report(self, canister_id, status, created):
        self.result.update(canister_id=canister_id, status=run_status(status), created=created)
        if status is not None:
            self.result.update(canister_facts(status))
            if self.subnet:
                self.result["subnet"] = self.subnet
        elif self.check_mode and self.params["state"] != "absent":
            self.result["settings"] = dict(self.wanted)


def check_lockout(wanted, caller, field="settings.controllers", fix="add it or set allow_lockout: true"):
    """The controllers guard of ic_canister and ic_fleet: normalized settings ``wanted`` whose
    controllers leave out ``caller`` (principal text) are refused, naming ``field`` and ``fix``."""
    if "controllers" in wanted and caller not in wanted["controllers"]:
        raise InputError(field, f"leaves out the calling identity {caller}, "
                         f"which would lose control of the canister; {fix}")
