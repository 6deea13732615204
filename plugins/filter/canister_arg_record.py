# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The canister_arg_record filter: the init argument as a registry entry records it."""

DOCUMENTATION = r"""
name: canister_arg_record
short_description: The init argument of a canister as its registry entry records it
version_added: 0.1.0
author: icp.canister_factory maintainers
description:
  - Returns C({init_arg, init_value}) as the modules record them in a registry entry. Both are
    null for the template's default argument (it follows from the recorded owner); else the
    Candid text or the data is recorded (data wins).
  - The same rule as the batch path (M(icp.canister_factory.ic_fleet)) uses.
options:
  _input:
    description: The init argument as Candid text (empty for none).
    type: str
    required: true
  value:
    description: The init argument as data typed by the template's init type.
    type: raw
  default:
    description: The template's default init argument (Candid text).
    type: str
"""

EXAMPLES = r"""
- name: The record of a host's argument
  ansible.builtin.set_fact:
    record: "{{ init_arg | icp.canister_factory.canister_arg_record(init_value, user_canister_init_arg) }}"
"""

RETURN = r"""
_value:
  description: C({init_arg, init_value}), either or both null.
  type: dict
"""

from ansible_collections.icp.canister_factory.plugins.module_utils._converge_rules import arg_record


def canister_arg_record(arg, value=None, default=None):
    """Candid text, data and the template's default -> ``{init_arg, init_value}``."""
    return arg_record(arg, value, default)


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self):
        return {"canister_arg_record": canister_arg_record}
