#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ic_factory_upgrade
short_description: Upgrade every child of a template on-chain, through the factory's batched fleet upgrade
version_added: 0.2.0
description:
  - Starts the factory canister's fleet upgrade of template O(template) to version O(version)
    (snapshot, upgrade, check the version, load the snapshot back on failure, in batches), and follows
    its progress to the end.
  - Fails with the per-child outcome when the factory halts the run (more than O(max_failures) children
    failed); O(resume=true) continues a halted run of the same template and version.
  - When every live child already runs the version, nothing is started (no update call).
  - A run of the same template and version already under way is followed, not started again.
  - The caller must be an admin of the factory.
author:
  - icp.canister_factory maintainers (@icp-canister-factory)
extends_documentation_fragment:
  - icp.canister_factory.ic
  - icp.canister_factory.ic.ATTRIBUTES
  - icp.canister_factory.ic.SUPPORT_FULL
  - icp.canister_factory.ic.FACTORY
options:
  template:
    description: Template whose children are upgraded.
    type: str
    required: true
  version:
    description: Registered version to upgrade to; by default the template's current version.
    type: str
  batch_size:
    description: Children upgraded at once per batch.
    type: int
    default: 10
  max_failures:
    description: The factory halts the run once more children than this have failed.
    type: int
    default: 0
  resume:
    description: Continue a halted run of the same template and version instead of failing.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to follow the run before failing (the run goes on in the factory).
    type: int
    default: 600
"""

EXAMPLES = r"""
- name: Every user canister to 0.2.0, ten at a time, stop at the first failure
  icp.canister_factory.ic_factory_upgrade:
    factory: factory
    registry: build/registry.yml
    template: user
    version: 0.2.0
"""

RETURN = r"""
factory:
  description: Canister id of the factory.
  returned: always
  type: str
  sample: bkyz2-fmaaa-aaaaa-qaaaq-cai
version:
  description: The version upgraded to.
  returned: always
  type: str
  sample: 0.2.0
pending_children:
  description: Live children not running the version's module before this run.
  returned: always
  type: int
  sample: 3
progress:
  description: The run's final progress (C(state) is C(Completed), C(Halted), ...); null when nothing was started.
  returned: always
  type: dict
  sample: {template: user, version: 0.2.0, state: Completed, total: 3, upgraded: 3, failed: 0}
outcomes:
  description: Per child, C(canister_id), C(owner), C(from_version), C(outcome) and C(error).
  returned: always
  type: list
  elements: dict
  sample: [{canister_id: by6od-j4aaa-aaaaa-qaadq-cai, outcome: Upgraded, error: null}]
"""

import time

from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import InputError
from ansible_collections.icp.canister_factory.plugins.module_utils._factory_client import (
    PAGE_LIMIT, plain_data, variant_tag)
from ansible_collections.icp.canister_factory.plugins.module_utils._factory_module import (
    FactoryModule, factory_argument_spec)
from ansible_collections.icp.canister_factory.plugins.module_utils._factory_templates import (
    check_template_name, find_version, summary_view)


class ICFactoryUpgrade(FactoryModule):
    """ic_factory_upgrade: start (or resume, or follow) the on-chain fleet upgrade and wait for its end."""

    argument_spec = dict(factory_argument_spec(), **{
        "template": {"type": "str", "required": True},
        "version": {"type": "str"},
        "batch_size": {"type": "int", "default": 10},
        "max_failures": {"type": "int", "default": 0},
        "resume": {"type": "bool", "default": False},
        "wait_timeout": {"type": "int", "default": 600},
    })

    def run(self):
        """Decide with queries, then start/resume and follow."""
        params = self.params
        template = params["template"]
        check_template_name(template)
        if params["batch_size"] < 1:
            raise InputError("batch_size", "must be at least 1")
        if params["max_failures"] < 0:
            raise InputError("max_failures", "must be zero or more")
        view = summary_view(self.factory.query("get_template", template))
        if view is None:
            raise InputError("template", f"the factory holds no template {template!r}; register it first "
                             "(ic_factory_template or playbooks/deploy_factory.yml)")
        version = params.get("version") or view["current"]
        if find_version(view, version) is None:
            raise InputError("version", f"{template} {version} is not registered in the factory (registered: "
                             f"{', '.join(v['version'] for v in view['versions'])})")
        target_hash = bytes.fromhex(find_version(view, version)["wasm_sha256"])
        # A child upgraded directly (upgrade.yml without via) has the module before the factory's
        # record has the version label: the module hash decides.
        pending = [c for c in self.factory.canisters(canister_type=template)
                   if variant_tag(c["status"]) != "Deleted"
                   and (bytes(c["module_hash"]) != target_hash if c.get("module_hash") is not None
                        else c.get("version") != version)]
        progress = self.factory.query("fleet_upgrade_progress")
        same = progress is not None and progress["template"] == template and progress["version"] == version
        state = variant_tag(progress["state"]) if progress is not None else None
        self.result.update(factory=self.factory_id, version=version, pending_children=len(pending),
                           progress=None, outcomes=[])
        self.diff.add("children_on_other_versions", len(pending), 0)
        if state == "Running" and not same:
            raise InputError("template", f"the factory is upgrading {progress['template']} to {progress['version']}; "
                             "wait for it or cancel it first")
        if state == "Running":
            self.result["changed"] = True
        elif pending:
            if same and state == "Halted" and params["resume"]:
                self.change(self.factory.update, "resume_fleet_upgrade", params["max_failures"])
            else:
                self.change(self.factory.update, "start_fleet_upgrade", {
                    "template": template, "version": version, "batch_size": params["batch_size"],
                    "max_failures": params["max_failures"]})
        else:
            return
        if not self.check_mode:
            self._follow()

    def _follow(self):
        deadline = time.monotonic() + self.params["wait_timeout"]
        delay = 0.2
        while True:
            progress = self.factory.query("fleet_upgrade_progress")
            state = variant_tag(progress["state"])
            if state != "Running":
                break
            if time.monotonic() + delay > deadline:
                raise InputError("wait_timeout", f"the fleet upgrade is still running after {self.params['wait_timeout']} s "
                                 f"({int(progress['upgraded'])} upgraded, {int(progress['pending'])} pending); "
                                 "run again to follow it")
            time.sleep(delay)
            delay = min(delay * 1.5, 2.0)
        self.result["progress"] = dict(plain_data(progress), state=state)
        self.result["outcomes"] = outcomes = self._outcomes()
        if state != "Completed":
            failed = [o for o in outcomes if o["outcome"] in ("RolledBack", "Failed")]
            detail = "; ".join(f"{o['canister_id']}: {o['outcome']}: {o['error']}" for o in failed[:10])
            reason = progress["state"].get("Halted") if isinstance(progress["state"], dict) else None
            raise InputError("max_failures", f"the fleet upgrade of {progress['template']} to {progress['version']} "
                             f"ended {state}{' (' + reason + ')' if reason else ''}: {int(progress['upgraded'])} upgraded, "
                             f"{int(progress['failed'])} failed" + (f" - {detail}" if detail else ""))

    def _outcomes(self):
        out, offset = [], 0
        while offset is not None:
            page = self.factory.query("fleet_upgrade_outcomes", offset, PAGE_LIMIT)
            for item in page["items"]:
                kind = item["outcome"]
                out.append({"canister_id": item["canister_id"].to_text(), "owner": item["owner"].to_text(),
                            "from_version": item.get("from_version"), "outcome": variant_tag(kind),
                            "error": kind.get(variant_tag(kind)) if isinstance(kind, dict) else None})
            offset = page.get("next_offset")
        return out


def main():
    ICFactoryUpgrade.main()


if __name__ == "__main__":
    main()
