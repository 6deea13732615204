#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ic_registry
short_description: Add, update, remove, export and import entries of a canister registry file
version_added: 0.1.0
description:
  - The registry is a YAML Ansible inventory; every canister is a host in group C(canisters) and in
    C(<template>_canisters).
  - Every change is one transaction under an exclusive lock that appends the changed entries to the
    journal C(<path>.journal) beside the file (fsync'd), so many forks writing at once lose nothing.
    The journal is folded into the file by an atomic replace when it has grown as big as the file and
    when the module ends; readers (the inventory plugin, every module) read the file and the journal.
  - O(state=absent) keeps a tombstone (C(status=deleted)) unless O(purge=true).
  - Each entry keeps a bounded history of its last 20 events in C(events). Every change of an
    entry appends one (time, action, identity, result); O(event) records a given event, such as a
    failure.
  - Every event, of this module and of every other module, is also appended to the registry's
    full audit log C(<path>.audit) (JSON lines, fsync'd under the lock before the change is
    recorded), which keeps them all; read it with the P(icp.canister_factory.registry#lookup)
    lookup and O(icp.canister_factory.registry#lookup:audit=true).
  - Exports to and imports from dfx C(canister_ids.json) and icp-cli C(<env>.ids.json).
  - Talks to no network. It takes the common options of the action group so that
    C(module_defaults) can set them for every module at once. O(network) is recorded in the
    entry (as a URL) when set. O(identity) or O(identity_pem) is only read for its principal,
    which is recorded as the identity that acted. O(root_key), O(timeout) and O(retries) are
    accepted and not used.
author:
  - icp.canister_factory maintainers (@icp-canister-factory)
extends_documentation_fragment:
  - icp.canister_factory.ic
  - icp.canister_factory.ic.ATTRIBUTES
  - icp.canister_factory.ic.SUPPORT_FULL
attributes:
  idempotent:
    support: full
    details:
      - Recording the same values again changes nothing; a task with O(event) always records it
        and so always reports a change.
options:
  path:
    description: Registry file.
    type: path
    required: true
    aliases: [registry]
  name:
    description: Entry (host) name.
    type: str
  state:
    description: V(present) adds or updates the entry, V(absent) tombstones or purges it.
    type: str
    choices: [present, absent]
    default: present
  purge:
    description: With O(state=absent), drop the entry instead of keeping a tombstone.
    type: bool
    default: false
  canister_id:
    description: Canister principal text.
    type: str
  template:
    description: Template name; the entry joins group C(<template>_canisters).
    type: str
  owner:
    description: Owner principal text.
    type: str
  status:
    description:
      - Lifecycle status.
      - A new entry without it is V(active), or V(failed) when O(event.result=failed).
    type: str
    choices: [creating, active, upgrading, stopped, deleted, failed]
  network:
    description:
      - The network the canister lives on, recorded in the entry as its URL.
      - A URL, or V(local) (recorded as V(http://127.0.0.1:4943)), or V(ic) (mainnet, recorded as
        V(https://icp-api.io)).
      - When not set, the entry's network is left as it is. Unlike the other modules, this one
        does not read E(ICP_NETWORK), so that a run retargeted with C(-e) never records the
        environment's network.
      - No connection is made.
    type: str
  identity:
    description:
      - Path to the PEM file of the identity that acted; only its principal is read and recorded
        in the events (unless O(identity_name) is set). A file that cannot be read fails the task.
      - Both the dfx and the icp-cli PEM formats are read, encrypted ones too (give
        O(identity_password)).
      - Unlike the other modules, this one does not read E(ICP_IDENTITY).
      - Mutually exclusive with O(identity_pem). When neither is set, no identity is recorded.
    type: path
  identity_pem:
    description:
      - The PEM content of the identity that acted, read like O(identity).
      - Unlike the other modules, this one does not read E(ICP_IDENTITY_PEM).
    type: str
  module_hash:
    description: Hex module hash.
    type: str
  wasm_version:
    description: Version label of the installed template.
    type: str
  cycles_balance:
    description: Last known cycle balance.
    type: int
  vars:
    description: Further host variables to set (for example C(init_arg), C(settings), C(cycles)).
    type: dict
    default: {}
  identity_name:
    description:
      - Who made the change, recorded in the event.
      - When not set, the principal of O(identity) or O(identity_pem) is recorded, if one is given.
    type: str
  event:
    description:
      - Record this event in the entry's C(events) with O(name), in addition to the other changes
        of the task (instead of the automatic C(add), C(update) or C(remove) event).
      - Recording an event is always a change.
      - Not allowed with O(purge=true). With O(state=absent) and no entry, nothing is recorded.
    type: dict
    suboptions:
      action:
        description:
          - What happened, in the words the modules record (the registry's event vocabulary).
          - V(upgrade) takes O(event.from_version) and O(event.to_version).
          - V(replace) records that the canister is gone and its id moved to C(replaced_canister_ids) (C(playbooks/restore.yml)).
        type: str
        required: true
        choices: [add, update, remove, import, create, install, reinstall, upgrade, rollback, top_up, snapshot, restore, delete, converge, replace]
      result:
        description:
          - The outcome, for example V(ok), V(failed) or V(rolled back).
          - Defaults to V(ok).
        type: str
      error:
        description: The error message of a failure.
        type: str
      from_version:
        description: The version (or module hash) before, for example of an upgrade.
        type: str
      to_version:
        description: The version (or module hash) after, for example of an upgrade.
        type: str
      details:
        description:
          - Further keys of the event (for example C(cycles) or C(snapshot_id)).
          - Cannot set C(time), C(action), C(identity) or C(result).
        type: dict
  export_format:
    description: Write the registry's live canisters to O(export_path) in this format.
    type: str
    choices: [dfx, icp]
  export_path:
    description: File to export to.
    type: path
  import_format:
    description: Read canister ids from O(import_path) in this format and add missing entries.
    type: str
    choices: [dfx, icp]
  import_path:
    description: File to import from.
    type: path
  dfx_network:
    description: Network key in dfx C(canister_ids.json) (for example V(ic) or V(local)).
    type: str
    default: ic
"""

EXAMPLES = r"""
- name: Record a canister (the network is recorded as http://127.0.0.1:4943)
  icp.canister_factory.ic_registry:
    path: registry.yml
    name: alice
    canister_id: lxzze-o7777-77777-aaaaa-cai
    template: user
    owner: "{{ alice_principal }}"
    status: active
    network: local

- name: Record an upgrade in the audit log, done by the identity set for the whole group
  module_defaults:
    group/icp.canister_factory.ic:
      network: "{{ icp_network }}"
      identity: "{{ icp_identity }}"
      root_key: "{{ icp_root_key }}"
  icp.canister_factory.ic_registry:
    path: registry.yml
    name: alice
    wasm_version: "1.3.0"
    event:
      action: upgrade
      from_version: "1.2.0"
      to_version: "1.3.0"

- name: Record a failure
  icp.canister_factory.ic_registry:
    path: registry.yml
    name: alice
    status: failed
    vars:
      last_error: "{{ ansible_failed_result.msg }}"
    event:
      action: converge
      result: failed
      error: "{{ ansible_failed_result.msg }}"

- name: Tombstone the entry (purge=true would drop it)
  icp.canister_factory.ic_registry:
    path: registry.yml
    name: alice
    state: absent

- name: Export for dfx
  icp.canister_factory.ic_registry:
    path: registry.yml
    export_format: dfx
    export_path: canister_ids.json
"""

RETURN = r"""
entry:
  description:
    - The entry after the task (null when purged or absent).
    - Its C(events) are dicts with C(time), C(action), C(identity), C(result) and further keys
      such as C(error), C(from_version) and C(to_version).
  returned: when O(name) is set
  type: dict
  sample:
    canister_id: lxzze-o7777-77777-aaaaa-cai
    template: user
    network: http://127.0.0.1:4943
    status: failed
    events:
      - time: "2026-01-01T00:00:00Z"
        action: install
        identity: 2vxsx-fae
        result: failed
        error: install failed
exported:
  description: Number of canisters written to O(export_path).
  returned: when exporting
  type: int
  sample: {alice: {ic: lxzze-o7777-77777-aaaaa-cai}}
imported:
  description: Names of the entries added by the import.
  returned: when importing
  type: list
  elements: str
  sample: [alice, bob]
"""

import json
import os
import tempfile

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.icp.canister_factory.plugins.module_utils import _validation as validation
from ansible_collections.icp.canister_factory.plugins.module_utils._ic_module import (
    CLIENT_IMPORT_ERROR, ICModule, resolve_network)
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import InputError
from ansible_collections.icp.canister_factory.plugins.module_utils._registry import (
    EVENTS, EVENT_IMPORT, RESULT_FAILED, RESULT_OK, add_event, now_iso)

FIELDS = ("canister_id", "template", "owner", "status", "module_hash", "wasm_version",
          "cycles_balance")
EVENT_ACTIONS = EVENTS
EVENT_RESERVED = ("time", "action", "identity", "result")


def _export(data, params):
    live = {n: e["canister_id"] for n, e in sorted(data.entries.items())
            if e.get("canister_id") and e.get("status") != "deleted"}
    if params["export_format"] == "dfx":
        doc = {n: {params["dfx_network"]: cid} for n, cid in live.items()}
    else:
        doc = live
    text = json.dumps(doc, indent=2, sort_keys=True) + "\n"
    try:
        with open(params["export_path"], "r", encoding="utf-8") as handle:
            if handle.read() == text:
                return len(live), False
    except FileNotFoundError:
        pass
    return len(live), text


def _write_file(path, text):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".export-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


class ICRegistry(ICModule):
    """ic_registry: the registry file only; no IC call."""

    input_checks = "ic_registry"

    needs_client = False
    argument_spec = {
        # These replace the common options of the same name: explicit values (the task's or
        # module_defaults') only, no environment fallback (see DOCUMENTATION).
        "network": {"type": "str"},
        "identity": {"type": "path"},
        "identity_pem": {"type": "str", "no_log": True},
        "path": {"type": "path", "required": True, "aliases": ["registry"]},
        "name": {"type": "str"},
        "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        "purge": {"type": "bool", "default": False},
        "canister_id": {"type": "str"},
        "template": {"type": "str"},
        "owner": {"type": "str"},
        "status": {"type": "str", "choices": ["creating", "active", "upgrading", "stopped", "deleted", "failed"]},
        "module_hash": {"type": "str"},
        "wasm_version": {"type": "str"},
        "cycles_balance": {"type": "int"},
        "vars": {"type": "dict", "default": {}},
        "identity_name": {"type": "str"},
        "event": {"type": "dict", "options": {
            "action": {"type": "str", "required": True, "choices": list(EVENT_ACTIONS)},
            "result": {"type": "str"},
            "error": {"type": "str"},
            "from_version": {"type": "str"},
            "to_version": {"type": "str"},
            "details": {"type": "dict"},
        }},
        "export_format": {"type": "str", "choices": ["dfx", "icp"]},
        "export_path": {"type": "path"},
        "import_format": {"type": "str", "choices": ["dfx", "icp"]},
        "import_path": {"type": "path"},
        "dfx_network": {"type": "str", "default": "ic"},
    }
    required_together = [["export_format", "export_path"], ["import_format", "import_path"]]
    required_one_of = [["name", "export_format", "import_format"]]
    required_by = {"event": "name"}

    def __init__(self, module):
        super().__init__(module)
        self._actor = None
        self._network = None

    def run(self):
        """Validate the common options, then do the registry changes in one locked transaction."""
        self._check_common()
        params = self.params
        registry = self.registry("path")
        with registry.transaction(write=not self.check_mode) as data:
            if params.get("import_format"):
                self._import(data)
            if params.get("name"):
                changed, before, after = self._apply(data)
                self.result["entry"] = after
                if changed:
                    self.result["changed"] = True
                    self.diff.add(params["name"], before, after)
            if params.get("export_format"):
                count, text = _export(data, params)
                self.result["exported"] = count
                if text:
                    self.diff.add("export_path", None, params["export_path"])
                    self.change(_write_file, params["export_path"], text)

    # ----- common options ---------------------------------------------------------------

    def _check_common(self):
        """Resolve the network and read the identity's principal (no IC call); fail clearly if bad."""
        params = self.params
        if params.get("network") is not None:
            self._network = resolve_network(params["network"])[0]
        if params.get("identity_name"):
            self._actor = params["identity_name"]
        if params.get("identity") or params.get("identity_pem"):
            if CLIENT_IMPORT_ERROR:
                self.module.fail_json(msg=missing_required_lib("cryptography (to read the identity)"),
                                      exception=CLIENT_IMPORT_ERROR)
            principal = self.caller_text()  # a bad identity fails here, before any change
            if self._actor is None:
                self._actor = principal
        event = params.get("event")
        if event:
            if params["purge"]:
                raise InputError("event", "cannot be recorded with purge=true (the entry is dropped)")
            clash = sorted(set(event.get("details") or {}) & set(EVENT_RESERVED))
            if clash:
                raise InputError("event.details", f"cannot set {', '.join(clash)} (the module sets them)")

    # ----- entries ----------------------------------------------------------------------

    def _wanted_fields(self):
        params = self.params
        fields = validation.entry_fields({k: params[k] for k in FIELDS if params.get(k) is not None})
        if self._network is not None:
            fields["network"] = self._network
        fields.update(validation.entry_fields(params.get("vars") or {}, prefix="vars."))
        return fields

    def _record(self, entry, automatic):
        """Append the O(event) given, or else the automatic event ``automatic``."""
        event = self.params.get("event")
        if not event:
            add_event(entry, automatic, RESULT_OK, identity=self._actor)
            return
        action = event["action"]
        result = event.get("result") or RESULT_OK
        details = dict(event.get("details") or {})
        details.update({k: event.get(k) for k in ("error", "from_version", "to_version")
                        if event.get(k) is not None})
        add_event(entry, action, result, identity=self._actor, **details)

    def _apply(self, data):
        """Change entry O(name) in ``data``; return (changed, before, after)."""
        params = self.params
        name = params["name"]
        event = params.get("event")
        before = data.get(name)
        if params["state"] == "absent":
            if before is None or (before.get("status") == "deleted" and not params["purge"] and not event):
                return False, before, before
            if params["purge"]:
                data.remove(name)
                return True, before, None
            after = dict(before, status="deleted")
            self._record(after, "remove")
            data.put(name, after)
            return True, before, after
        fields = self._wanted_fields()
        current = before or {}
        if before is not None and not event and all(current.get(k) == v for k, v in fields.items()):
            return False, before, before
        after = dict(current, **fields)
        if before is None:
            after.setdefault("status", "failed" if event and event.get("result") == RESULT_FAILED else "active")
            after.setdefault("created_at", now_iso())
        self._record(after, "update" if before is not None else "add")
        data.put(name, after)
        return True, before, after

    def _import(self, data):
        added = []
        for name, canister_id in sorted(validation.import_ids(self.params).items()):
            if data.get(name) is None:
                entry = {"canister_id": canister_id, "status": "active", "created_at": now_iso()}
                add_event(entry, EVENT_IMPORT, RESULT_OK, identity=self._actor)
                data.put(name, entry)
                added.append(name)
        self.result["imported"] = added
        if added:
            self.result["changed"] = True
            self.diff.add("imported", [], added)


def main():
    ICRegistry.main()


if __name__ == "__main__":
    main()
