#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ic_factory_policy
short_description: Converge the factory canister's admins, backup controllers and policy
version_added: 0.2.0
description:
  - Reads the factory's admins, backup controllers, global policy and per-template policies
    (queries), and sends an update only for what differs from the options given. Options left
    out are left alone; in O(policy) and O(template_policies) only the fields given are changed.
  - After a change of O(backup_controllers), brings every existing child's controllers in line
    (C(sync_child_controllers)), so the operators can always reach every child directly.
  - Refuses an O(admins) list without the calling identity unless O(allow_lockout=true).
  - Refuses, in check mode too and before any update call, what the factory canister would refuse
    (for example C(autoscale=true) with no C(scale_at), a C(band_min) above C(band_target), an
    unregistered template, the anonymous principal as an admin), with the canister's rule text.
  - The caller must be an admin of the factory.
author:
  - icp.canister_factory maintainers (@icp-canister-factory)
extends_documentation_fragment:
  - icp.canister_factory.ic
  - icp.canister_factory.ic.ATTRIBUTES
  - icp.canister_factory.ic.SUPPORT_FULL
  - icp.canister_factory.ic.FACTORY
options:
  admins:
    description: Exactly these principals are admins (list of principal text).
    type: list
    elements: str
  backup_controllers:
    description: Exactly these principals are controllers of every child besides the factory.
    type: list
    elements: str
  policy:
    description:
      - Fields of the global policy to set (C(self_service), C(reserve_cycles), C(low_balance_cycles),
        C(quota_per_caller), C(rate_limit_count), C(rate_limit_window_seconds), C(pool_size),
        C(pool_canister_cycles), C(maintenance_interval_seconds), C(log_capacity)).
    type: dict
  template_policies:
    description:
      - Per template, fields of its policy to set (C(initial_cycles), C(band_min), C(band_target),
        C(max_per_owner), C(self_service)). The template must be registered.
      - On-chain autoscaling of a template, per owner - C(autoscale) (bool), C(scale_at) (percent of a
        child's C(wasm_memory_limit), 1-100, or null for none) and C(max_shards) (canisters per owner
        and template, the first counts, 1-100). With C(autoscale=true) the factory's maintenance timer
        creates the next shard of an owner's canisters when the newest one's Wasm heap reaches
        C(scale_at) percent of its limit, up to C(max_shards); the shards carry C(shard_of) and
        C(shard_index) (see M(icp.canister_factory.ic_factory_info) and the registry inventory's
        C(factory) source). C(autoscale=true) needs C(scale_at) and C(max_shards) of 2 or more.
      - A field given as null (C(scale_at), C(max_shards), C(autoscale)) takes its default (none, 1, false).
    type: dict
  allow_lockout:
    description: Allow an O(admins) list that leaves out the calling identity.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Operators, backups and a pool of five
  icp.canister_factory.ic_factory_policy:
    factory: factory
    registry: build/registry.yml
    admins: ["{{ operator }}", "{{ second_operator }}"]
    backup_controllers: ["{{ operator }}"]
    policy:
      pool_size: 5
      quota_per_caller: 3
    template_policies:
      user: {initial_cycles: 1000000000000, band_min: 300000000000, band_target: 1000000000000}

- name: Memory canisters get a new shard when 80 % full, at most four per owner
  icp.canister_factory.ic_factory_policy:
    factory: factory
    registry: build/registry.yml
    template_policies:
      memory: {autoscale: true, scale_at: 80, max_shards: 4}
"""

RETURN = r"""
factory:
  description: Canister id of the factory.
  returned: always
  type: str
  sample: bkyz2-fmaaa-aaaaa-qaaaq-cai
changes:
  description: The keys that differed (and were set, unless in check mode).
  returned: always
  type: list
  elements: str
  sample: [policy, template_policies.user]
children_synced:
  description: Children whose controllers were updated after a change of O(backup_controllers).
  returned: always
  type: int
  sample: 0
"""

from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import InputError
from ansible_collections.icp.canister_factory.plugins.module_utils._factory_module import (
    FactoryModule, factory_argument_spec)
from ansible_collections.icp.canister_factory.plugins.module_utils._factory_policy import plan, policy_argument_spec

SYNC_BATCH = 50


class ICFactoryPolicy(FactoryModule):
    """ic_factory_policy: admins, backup controllers and policy, updated only where they differ."""

    argument_spec = dict(factory_argument_spec(), **policy_argument_spec())
    input_checks = "ic_factory_policy"

    def run(self):
        """Plan with queries, then apply each difference."""
        changes = plan(self.factory, self.params, self.caller_text())
        self.result.update(factory=self.factory_id, changes=[c.key for c in changes], children_synced=0)
        for change in changes:
            self.diff.add(change.key, change.before, change.after)
            self.change(change.apply, self.factory)
        if not self.check_mode and any(c.key == "backup_controllers" for c in changes):
            self._sync_children()

    def _sync_children(self):
        while True:
            done = self.factory.update("sync_child_controllers", SYNC_BATCH)
            self.result["children_synced"] += int(done["updated"])
            if int(done["remaining"]) == 0:
                return
            if int(done["updated"]) == 0:
                raise InputError("backup_controllers", f"{done['remaining']} children could not be given the new "
                                 "controllers; see the factory's events (ic_factory_info)")


def main():
    ICFactoryPolicy.main()


if __name__ == "__main__":
    main()
