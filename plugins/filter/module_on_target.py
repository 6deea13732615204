# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module_on_target filter: the fast path of a fleet upgrade."""

DOCUMENTATION = r"""
name: module_on_target
short_description: Whether a canister's recorded module already is the module to roll out
version_added: 0.1.0
author: icp.canister_factory maintainers
description:
  - True when the recorded module hash (the registry's or the factory's C(module_hash) host var) is
    the target module's hash, so that the upgrade needs no module run and no call.
  - The target is given as its hash (O(target)) or as the module file (O(wasm)), whose hash is the
    module hash the IC reports for it (the file is read on the controller).
  - Given a list of M(icp.canister_factory.ic_fleet) upgrade items (see P(icp.canister_factory.fleet_upgrade_items#filter)),
    true when every item's C(module_hash) is the hash of its own C(wasm).
  - The fast path of the P(icp.canister_factory.fleet_upgrade#role) role; its batch path
    (M(icp.canister_factory.ic_fleet) with C(action=upgrade)) applies the same rule.
options:
  _input:
    description: The recorded hex module hash (empty when none is recorded), or a list of upgrade items.
    type: raw
    required: true
  target:
    description: Hex SHA-256 of the module to roll out.
    type: str
  wasm:
    description: Path of the module to roll out (C(.wasm) or C(.wasm.gz)); a file that cannot be read is never on target (the module then reports it).
    type: path
"""

EXAMPLES = r"""
- name: Upgrade only the canisters not yet on the module
  ansible.builtin.include_tasks: upgrade.yml
  when: not (module_hash | default('') | icp.canister_factory.module_on_target(wasm='wasm/user.wasm.gz'))

- name: Upgrade the canisters of the play in one module run, unless every one is on its module already
  icp.canister_factory.ic_fleet:
    action: upgrade
    registry: "{{ icp_registry }}"
    upgrades: "{{ items }}"
  vars:
    items: "{{ ansible_play_batch | icp.canister_factory.fleet_upgrade_items(hostvars, {'wasm_dir': icp_wasm_dir}) }}"
  when: not (items | icp.canister_factory.module_on_target)
  run_once: true
"""

RETURN = r"""
_value:
  description: Whether the canister (every canister of the items) already runs the target module.
  type: bool
"""

from ansible_collections.icp.canister_factory.plugins.module_utils._upgrade_target import (
    module_on_target as _rule, target_module_hash)


def module_on_target(recorded, target=None, wasm=None):
    """Recorded module hash and target hash (or module file) -> whether no upgrade is needed;
    upgrade items -> whether none of them needs one."""
    if isinstance(recorded, (list, tuple)):
        return all(_rule(item.get("module_hash"), target_module_hash(item.get("wasm"))) for item in recorded)
    return _rule(recorded, target if wasm is None else target_module_hash(wasm))


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self):
        return {"module_on_target": module_on_target}
