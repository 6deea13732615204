# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet_upgrade_failures filter: which hosts of a batch fleet upgrade failed, and why."""

DOCUMENTATION = r"""
name: fleet_upgrade_failures
short_description: The hosts whose canister failed in a batch fleet upgrade, each with a one-line message
version_added: 0.2.0
author: icp.canister_factory maintainers
description:
  - Takes the registered result of M(icp.canister_factory.ic_fleet) with C(action=upgrade) and the hosts whose
    items it was given (in the same order, see P(icp.canister_factory.fleet_upgrade_items#filter)), and returns
    the hosts whose canister failed, each with one line naming its own failure, every failed canister and the
    halt of the rollout.
  - A run that failed as a whole (bad options, identity, registry) fails every host; a skipped run (every canister
    already on the target module) and a run without failures give an empty list.
  - The P(icp.canister_factory.fleet_upgrade#role) role's batch path adds these hosts to a group that a following
    play fails, so the recap and the retry file name exactly them.
options:
  _input:
    description: The registered ic_fleet result.
    type: dict
    required: true
  hosts:
    description: The hosts whose items the run was given, in their order.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Hosts whose upgrade failed
  ansible.builtin.add_host:
    name: "{{ item.host }}"
    groups: fleet_upgrade_failed
    fleet_upgrade_failure: "{{ item.msg }}"
  loop: "{{ upgrade_run | icp.canister_factory.fleet_upgrade_failures(ansible_play_batch) }}"
  run_once: true
"""

RETURN = r"""
_value:
  description: C(host) and C(msg) of each failed host, in the order of O(hosts).
  type: list
  elements: dict
"""

from ansible_collections.icp.canister_factory.plugins.module_utils._upgrade_items import failures


def fleet_upgrade_failures(run, hosts):
    """Registered ic_fleet upgrade result and its hosts -> the failed hosts with their messages."""
    return failures(run, list(hosts))


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self):
        return {"fleet_upgrade_failures": fleet_upgrade_failures}
