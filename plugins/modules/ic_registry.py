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
  - Every change is one transaction under an exclusive lock with an atomic replace of the file, so
    many forks writing at once lose nothing.
  - O(state=absent) keeps a tombstone (C(status=deleted)) unless O(purge=true).
  - Each change appends an event (time, action, identity, result) to the entry's bounded C(events).
  - Exports to and imports from dfx C(canister_ids.json) and icp-cli C(<env>.ids.json).
  - Talks to no network.
author:
  - icp.canister_factory maintainers (@icp-canister-factory)
extends_documentation_fragment:
  - icp.canister_factory.ic.ATTRIBUTES
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
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
    description: Lifecycle status.
    type: str
    choices: [creating, active, upgrading, stopped, deleted, failed]
  network:
    description: Network URL the canister lives on.
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
    description: Who made the change, recorded in the event.
    type: str
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
- name: Record a canister
  icp.canister_factory.ic_registry:
    path: registry.yml
    name: alice
    canister_id: lxzze-o7777-77777-aaaaa-cai
    template: user
    owner: "{{ alice_principal }}"
    status: active

- name: Export for dfx
  icp.canister_factory.ic_registry:
    path: registry.yml
    export_format: dfx
    export_path: canister_ids.json
"""

RETURN = r"""
entry:
  description: The entry after the task (null when purged).
  returned: when O(name) is set
  type: dict
exported:
  description: Number of canisters written to O(export_path).
  returned: when exporting
  type: int
imported:
  description: Names of the entries added by the import.
  returned: when importing
  type: list
  elements: str
"""

import json
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

try:
    from ansible_collections.icp.canister_factory.plugins.module_utils.ic.errors import InputError
    from ansible_collections.icp.canister_factory.plugins.module_utils.ic.principal import Principal
    from ansible_collections.icp.canister_factory.plugins.module_utils.registry import (
        Registry, RegistryError, add_event, now_iso)
    HAS_REGISTRY = True
except ImportError:
    HAS_REGISTRY = False

FIELDS = ("canister_id", "template", "owner", "status", "network", "module_hash", "wasm_version",
          "cycles_balance")


def _wanted_fields(params):
    fields = {k: params[k] for k in FIELDS if params.get(k) is not None}
    for key in ("canister_id", "owner"):
        if key in fields:
            try:
                fields[key] = Principal.from_text(fields[key], field=key).to_text()
            except InputError as exc:
                raise RegistryError(str(exc)) from None
    fields.update(params.get("vars") or {})
    return fields


def _apply(data, params, check_mode):
    """Change entry ``name`` in ``data``; return (changed, before, after)."""
    name = params["name"]
    before = data.get(name)
    if params["state"] == "absent":
        if before is None or (before.get("status") == "deleted" and not params["purge"]):
            return False, before, before
        if params["purge"]:
            data.remove(name)
            return True, before, None
        after = dict(before, status="deleted")
        add_event(after, "remove", "ok", identity=params.get("identity_name"))
        data.put(name, after)
        return True, before, after
    fields = _wanted_fields(params)
    current = before or {}
    if before is not None and all(current.get(k) == v for k, v in fields.items()):
        return False, before, before
    after = dict(current, **fields)
    if before is None:
        after.setdefault("status", "active")
        after.setdefault("created_at", now_iso())
    add_event(after, "update" if before else "add", "ok", identity=params.get("identity_name"))
    data.put(name, after)
    return True, before, after


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


def _read_import(params):
    try:
        with open(params["import_path"], "r", encoding="utf-8") as handle:
            doc = json.load(handle)
    except (OSError, ValueError) as exc:
        raise RegistryError(f"import_path: cannot read {params['import_path']}: {exc}") from None
    if not isinstance(doc, dict):
        raise RegistryError("import_path: expected a JSON object of canister names")
    ids = {}
    for name, value in doc.items():
        if params["import_format"] == "dfx":
            value = value.get(params["dfx_network"]) if isinstance(value, dict) else None
        if isinstance(value, str):
            ids[name] = value
    return ids


def _write_file(path, text):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".export-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def run(module):
    """Do the registry changes in one locked transaction."""
    params = module.params
    registry = Registry(params["path"])
    result = {"changed": False}
    diff = {"before": {}, "after": {}}
    with registry.transaction(write=not module.check_mode) as data:
        if params.get("import_format"):
            added = []
            for name, canister_id in sorted(_read_import(params).items()):
                if data.get(name) is None:
                    entry = {"canister_id": canister_id, "status": "active", "created_at": now_iso()}
                    add_event(entry, "import", "ok", identity=params.get("identity_name"))
                    data.put(name, entry)
                    added.append(name)
            result["imported"] = added
            if added:
                result["changed"] = True
                diff["after"]["imported"] = added
        if params.get("name"):
            changed, before, after = _apply(data, params, module.check_mode)
            result["entry"] = after
            if changed:
                result["changed"] = True
                diff["before"][params["name"]] = before
                diff["after"][params["name"]] = after
        if params.get("export_format"):
            count, text = _export(data, params)
            result["exported"] = count
            if text:
                result["changed"] = True
                diff["after"]["export_path"] = params["export_path"]
                if not module.check_mode:
                    _write_file(params["export_path"], text)
    if module._diff:
        result["diff"] = diff
    return result


def main():
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True, "aliases": ["registry"]},
            "name": {"type": "str"},
            "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
            "purge": {"type": "bool", "default": False},
            "canister_id": {"type": "str"},
            "template": {"type": "str"},
            "owner": {"type": "str"},
            "status": {"type": "str", "choices": ["creating", "active", "upgrading", "stopped", "deleted", "failed"]},
            "network": {"type": "str"},
            "module_hash": {"type": "str"},
            "wasm_version": {"type": "str"},
            "cycles_balance": {"type": "int"},
            "vars": {"type": "dict", "default": {}},
            "identity_name": {"type": "str"},
            "export_format": {"type": "str", "choices": ["dfx", "icp"]},
            "export_path": {"type": "path"},
            "import_format": {"type": "str", "choices": ["dfx", "icp"]},
            "import_path": {"type": "path"},
            "dfx_network": {"type": "str", "default": "ic"},
        },
        required_together=[["export_format", "export_path"], ["import_format", "import_path"]],
        required_one_of=[["name", "export_format", "import_format"]],
        supports_check_mode=True,
    )
    if not HAS_REGISTRY:
        module.fail_json(msg="the registry needs PyYAML on the host that runs the module")
    try:
        result = run(module)
    except RegistryError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
