#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ic_factory_info
short_description: Read the state of a factory canister - templates, policy, metrics, events, children
version_added: 0.2.0
description:
  - Reads everything an operator wants to know about a factory canister, with queries only -
    its own canister status (when the caller is a controller), version, metrics, templates and
    their versions, global policy, admins, backup controllers, the newest events, the on-chain
    fleet upgrade's progress, and optionally every child.
  - With O(compare_templates) and O(compare_policy) it also says what M(icp.canister_factory.ic_factory_template)
    and M(icp.canister_factory.ic_factory_policy) would change, so a playbook can skip them on a
    converged factory (one module run for the whole check).
  - The caller must be an admin of the factory for the admin views.
author:
  - icp.canister_factory maintainers (@icp-canister-factory)
extends_documentation_fragment:
  - icp.canister_factory.ic
  - icp.canister_factory.ic.ATTRIBUTES
  - icp.canister_factory.ic.SUPPORT_NO_DIFF
  - icp.canister_factory.ic.FACTORY
options:
  events:
    description: How many of the newest events to return.
    type: int
    default: 20
  children:
    description: Also return every child (C(children)), in the registry's vocabulary.
    type: bool
    default: false
  compare_templates:
    description:
      - Template versions wanted, each C({template, version, wasm_sha256, current, wasm}); the ones the
        factory does not hold with that hash (or not as current when C(current) is true), and those
        without C(wasm_sha256), are returned in C(templates_missing).
      - An entry with C(wasm) has its file checked first (a Wasm module, matching C(wasm_sha256)), so
        that a bad file fails the check before anything changes.
    type: list
    elements: dict
    default: []
  missing_ok:
    description:
      - When the factory is not recorded in O(registry) or has no module installed, return
        C(exists=false) (with every compared template missing) instead of failing.
    type: bool
    default: false
  compare_policy:
    description:
      - The options of M(icp.canister_factory.ic_factory_policy) (C(admins), C(backup_controllers),
        C(policy), C(template_policies), C(allow_lockout)); the keys it would change are returned
        in C(policy_changes).
    type: dict
"""

EXAMPLES = r"""
- name: What the factory holds and does
  icp.canister_factory.ic_factory_info:
    factory: factory
    registry: build/registry.yml
    events: 10
  register: factory_info

- name: Children of the factory by template and status
  ansible.builtin.debug:
    var: factory_info.metrics.children_by_type_and_status
"""

RETURN = r"""
factory:
  description: Canister id of the factory (null when O(missing_ok) found none).
  returned: always
  type: str
  sample: bkyz2-fmaaa-aaaaa-qaaaq-cai
exists:
  description: Whether the factory exists with its module installed (false only with O(missing_ok)).
  returned: always
  type: bool
  sample: true
canister:
  description: The factory's own canister status (as M(icp.canister_factory.ic_canister_info) gives it) or null.
  returned: always
  type: dict
  sample: {exists: true, status: running, cycles: 9000000000000, module_hash: 5e1c...}
version:
  description: The factory's own version.
  returned: always
  type: str
  sample: 0.1.0
metrics:
  description: The factory's metrics (children by type and status, cycles, pool level, ...).
  returned: always
  type: dict
  sample: {children_total: 3, pool_level: 2, cycles_balance: 9000000000000}
templates:
  description: Every template the factory holds, by name, with its versions and policy.
  returned: always
  type: dict
  sample: {user: {name: user, current: 0.2.0, versions: [{version: 0.2.0, wasm_sha256: e6a5..., current: true}]}}
policy:
  description: The global policy.
  returned: always
  type: dict
  sample: {pool_size: 2, self_service: true}
admins:
  description: Admin principals.
  returned: always
  type: list
  elements: str
  sample: [aaaaa-aa]
backup_controllers:
  description: Backup controller principals.
  returned: always
  type: list
  elements: str
  sample: [aaaaa-aa]
events:
  description: The newest events, oldest first.
  returned: always
  type: list
  elements: dict
  sample: [{seq: 4, time: "2026-12-04T19:00:00Z", action: create, outcome: Ok, canister_id: bkyz2-fmaaa-aaaaa-qaaaq-cai}]
fleet_upgrade:
  description: The latest on-chain fleet upgrade's progress, or null.
  returned: always
  type: dict
  sample: {template: user, version: 0.2.0, state: Completed, upgraded: 3, failed: 0}
children:
  description:
    - Every child with the registry's host variables.
    - A shard the factory made by autoscaling also has C(shard_of) (the host name C(<template>-<id>)
      of its owner's first canister of the template), C(shard_of_id) (that canister's id) and
      C(shard_index) (1, 2, ...).
  returned: when O(children=true)
  type: list
  elements: dict
  sample: [{canister_id: bkyz2-fmaaa-aaaaa-qaaaq-cai, template: memory, status: active, source: factory,
            shard_of: memory-bd3sg-teaaa-aaaaa-qaaba-cai, shard_of_id: bd3sg-teaaa-aaaaa-qaaba-cai, shard_index: 1}]
templates_missing:
  description: The entries of O(compare_templates) that need M(icp.canister_factory.ic_factory_template).
  returned: always
  type: list
  elements: dict
  sample: []
policy_changes:
  description: The keys M(icp.canister_factory.ic_factory_policy) would change for O(compare_policy).
  returned: always
  type: list
  elements: str
  sample: []
"""

from ansible_collections.icp.canister_factory.plugins.module_utils._canister_settings import from_definite
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import InputError, Reject
from ansible_collections.icp.canister_factory.plugins.module_utils._ic_module import hex_or_none, run_status
from ansible_collections.icp.canister_factory.plugins.module_utils._factory_client import (
    child_vars, iso_time, plain_data, variant_tag)
from ansible_collections.icp.canister_factory.plugins.module_utils._factory_module import (
    FactoryModule, factory_argument_spec)
from ansible_collections.icp.canister_factory.plugins.module_utils._factory_policy import plan
from ansible_collections.icp.canister_factory.plugins.module_utils._factory_templates import (
    check_template_name, find_version, load_module, summary_view)


class ICFactoryInfo(FactoryModule):
    """ic_factory_info: facts only, queries only."""

    argument_spec = dict(factory_argument_spec(), **{
        "events": {"type": "int", "default": 20},
        "children": {"type": "bool", "default": False},
        "compare_templates": {"type": "list", "elements": "dict", "default": []},
        "compare_policy": {"type": "dict"},
        "missing_ok": {"type": "bool", "default": False},
    })

    def run(self):
        """Check the compared template files, then gather the facts."""
        if self.params["events"] < 0:
            raise InputError("events", "must be zero or more")
        self._check_template_files()
        if self.params["missing_ok"] and not self._factory_exists():
            self.result.update(factory=None, exists=False, canister=None,
                               templates_missing=list(self.params["compare_templates"]), policy_changes=["all"])
            return
        factory = self.factory
        templates = {name: summary_view(t) for name, t in factory.templates().items()}
        progress = factory.query("fleet_upgrade_progress")
        self.result.update(
            factory=self.factory_id,
            exists=True,
            canister=self._canister(),
            version=factory.query("version"),
            metrics=_metrics(factory.query("get_metrics")),
            templates=templates,
            policy=plain_data(factory.query("get_policy")),
            admins=sorted(p.to_text() for p in factory.query("get_admins")),
            backup_controllers=sorted(p.to_text() for p in factory.query("get_backup_controllers")),
            events=[_event(e) for e in factory.events(self.params["events"])],
            fleet_upgrade=_progress(progress) if progress is not None else None,
            templates_missing=self._templates_missing(templates),
            policy_changes=[c.key for c in plan(factory, self.params["compare_policy"] or {}, self.caller_text(),
                                                pending_templates=self._compared_template_names())],
        )
        if self.params["children"]:
            labels = factory.version_labels()
            self.result["children"] = [child_vars(c, self.network_url(), labels) for c in factory.canisters()]

    def _canister(self):
        """The factory's own canister status; None when the caller may not read it."""
        try:
            status = self.canister_status(self.factory_id)
        except Reject:
            return None
        if status is None:
            return {"canister_id": self.factory_id, "exists": False, "status": "absent"}
        return {"canister_id": self.factory_id, "exists": True, "status": run_status(status),
                "module_hash": hex_or_none(status.get("module_hash")), "cycles": int(status["cycles"]),
                "settings": from_definite(status["settings"])}

    def _check_template_files(self):
        for i, wanted in enumerate(self.params["compare_templates"]):
            for key in ("template", "version"):
                if not wanted.get(key):
                    raise InputError(f"compare_templates[{i}].{key}", "is required")
            check_template_name(wanted["template"])
            if wanted.get("wasm"):
                load_module(wanted["wasm"], wanted.get("wasm_sha256"))

    def _factory_exists(self):
        """Whether the factory is recorded (or given by id) and runs a module."""
        try:
            factory_id = self.factory_id
        except InputError:
            return False
        return self.agent.module_hash(factory_id) is not None

    def _compared_template_names(self):
        """The templates O(compare_templates) names: registered by the play before its policy is set."""
        return {str(t.get("template")) for t in self.params["compare_templates"] or [] if isinstance(t, dict)}

    def _templates_missing(self, templates):
        missing = []
        for wanted in self.params["compare_templates"]:
            view = templates.get(wanted["template"])
            held = find_version(view, wanted["version"])
            if (held is None or not wanted.get("wasm_sha256") or held["wasm_sha256"] != str(wanted["wasm_sha256"]).lower()
                    or (wanted.get("current", True) and view["current"] != wanted["version"])):
                missing.append(wanted)
        return missing


def _metrics(metrics):
    out = plain_data(metrics)
    out["children_by_type_and_status"] = [
        {"canister_type": r["canister_type"], "status": variant_tag(r["status"]).lower(), "count": int(r["count"])}
        for r in metrics["children_by_type_and_status"]]
    out["last_maintenance"] = iso_time(metrics.get("last_maintenance"))
    return out


def _event(event):
    out = plain_data(event)
    out["time"] = iso_time(event["time"])
    out["outcome"] = variant_tag(event["outcome"])
    return out


def _progress(progress):
    out = plain_data(progress)
    state = progress["state"]
    out["state"] = variant_tag(state)
    out["halt_reason"] = state.get("Halted") if isinstance(state, dict) else None
    out["started_at"] = iso_time(progress["started_at"])
    out["updated_at"] = iso_time(progress["updated_at"])
    return out


def main():
    ICFactoryInfo.main()


if __name__ == "__main__":
    main()
