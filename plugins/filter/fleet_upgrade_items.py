# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet_upgrade_items filter: every host's ic_fleet upgrade item, built in one task."""

DOCUMENTATION = r"""
name: fleet_upgrade_items
short_description: The ic_fleet upgrade items of a play's hosts, built in one task
version_added: 0.2.0
author: icp.canister_factory maintainers
description:
  - Builds one item of M(icp.canister_factory.ic_fleet)'s O(icp.canister_factory.ic_fleet#module:upgrades)
    per host, from the hosts' variables (the P(icp.canister_factory.registry#inventory) inventory gives
    C(template), C(owner), C(module_hash), and for the factory's children C(canister_id) and C(factory_id)),
    with the defaults of the P(icp.canister_factory.fleet_upgrade#role) role.
  - The batch path of that role builds every item in its one C(run_once) task with it, so that the play runs
    no task per host (Ansible starts a worker process per host and task).
  - A host that sets one of the role's options itself (C(fleet_upgrade_wasm), C(fleet_upgrade_version),
    C(fleet_upgrade_arg), C(fleet_upgrade_verify_method), C(fleet_upgrade_wasm_memory_persistence),
    C(fleet_upgrade_name)) as a host variable or extra var gets its own value.
  - The role's per-host path builds its one item with the same filter, so both paths apply one rule.
options:
  _input:
    description: Names of the hosts, for example C(ansible_play_batch).
    type: list
    elements: str
    required: true
  hostvars:
    description: The C(hostvars) of the play.
    type: dict
    required: true
  options:
    description:
      - The role's options without their C(fleet_upgrade_) prefix - C(wasm), C(version), C(arg), C(verify_method),
        C(wasm_memory_persistence), C(name) - and C(wasm_dir), the directory of the template modules.
      - Empty options take the role's defaults for each host - its template's module C(<wasm_dir>/<template>.wasm.gz),
        its owner record as the argument (the factory canister's recorded C(init_arg)), its host name.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Upgrade every canister of the play in one module run
  icp.canister_factory.ic_fleet:
    action: upgrade
    registry: "{{ icp_registry }}"
    upgrades: "{{ ansible_play_batch | icp.canister_factory.fleet_upgrade_items(hostvars, {'wasm_dir': icp_wasm_dir}) }}"
  run_once: true
"""

RETURN = r"""
_value:
  description: One O(icp.canister_factory.ic_fleet#module:upgrades) item per host, in the order of the input; options left empty are left out.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.icp.canister_factory.plugins.module_utils._upgrade_items import upgrade_items


def fleet_upgrade_items(hosts, hostvars, options):
    """Host names -> their ic_fleet upgrade items."""
    try:
        return upgrade_items(hosts, hostvars, options)
    except KeyError as exc:
        raise AnsibleFilterError(f"fleet_upgrade_items: no host {exc} in hostvars") from None


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self):
        return {"fleet_upgrade_items": fleet_upgrade_items}
