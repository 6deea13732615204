# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The canister_converged filter: whether a canister needs no module run at all."""

DOCUMENTATION = r"""
name: canister_converged
short_description: Whether the registry and the network show a canister exactly as wanted
version_added: 0.1.0
author: icp.canister_factory maintainers
description:
  - True when the registry entry is V(active) with the wanted template, owner, module hash and
    init argument record, and the live facts show the canister in O(state) with that module, at
    least O(cycles_min) cycles and the wanted O(settings) (compared in normal form).
  - The fast path of the P(icp.canister_factory.canister#role) role; the batch path
    (M(icp.canister_factory.ic_fleet)) applies the same rule to the module and argument.
options:
  _input:
    description: C({entry, live}), the registry entry and the facts of M(icp.canister_factory.ic_canister_info).
    type: dict
    required: true
  template:
    description: The wanted template.
    type: str
    required: true
  owner:
    description: The wanted owner principal.
    type: str
    required: true
  wasm_sha256:
    description: Hex SHA-256 of the wanted module; empty means unknown (never converged).
    type: str
    required: true
  record:
    description: The wanted init argument record (see P(icp.canister_factory.canister_arg_record#filter)).
    type: dict
    required: true
  state:
    description: The wanted run status.
    type: str
    default: running
  cycles_min:
    description: The least balance.
    type: int
  settings:
    description: The wanted settings (as for M(icp.canister_factory.ic_canister)).
    type: dict
"""

EXAMPLES = r"""
- name: Skip a converged canister
  ansible.builtin.include_tasks: converge.yml
  when: >-
    not (known | icp.canister_factory.canister_converged(template='user', owner=owner,
         wasm_sha256=sha, record=record, cycles_min=500000000000))
"""

RETURN = r"""
_value:
  description: Whether nothing needs to change.
  type: bool
"""

from ansible_collections.icp.canister_factory.plugins.module_utils._converge_rules import canister_converged as _rule


def canister_converged(known, template, owner, wasm_sha256, record, state="running", cycles_min=None, settings=None):
    """``{entry, live}`` and what is wanted -> whether no module needs to run."""
    if not isinstance(known, dict):
        return False
    return _rule(known.get("entry"), known.get("live"), template, owner, wasm_sha256, record,
                 state, cycles_min, settings)


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self):
        return {"canister_converged": canister_converged}
