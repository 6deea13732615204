# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet_specs filter: the items of ic_fleet's ``canisters`` for the hosts of an inventory."""

DOCUMENTATION = r"""
name: fleet_specs
short_description: One ic_fleet item per inventory host, as the template roles would converge it
version_added: 0.1.0
author: icp.canister_factory maintainers
description:
  - Builds the O(icp.canister_factory.ic_fleet#module:canisters) items of the batch path of
    C(provision.yml) from the inventory, with the rules of the template roles (the per-host path).
  - Each host sits in exactly one template group C(<template>_canisters); its
    C(<template>_canister_<key>) host variable wins over the role default of that key (O(defaults)).
  - The host variables C(owner), C(init_arg), C(init_value), C(settings) (merged recursively over
    the template's settings), C(cycles), C(canister_funding), C(canister_state) and
    C(canister_cycles_source) apply as in the roles. The default init argument is the template's,
    rendered once with O(owner_marker) in place of the owner, which is then put in per host.
  - Host variables are read through C(hostvars), so they are templated in the host's context,
    as the roles would see them.
  - Written in Python because the same rules as a Jinja loop cost ~1 ms per host (issue 13).
  - The O(icp.canister_factory.ic_fleet#module:from_inventory) option of ic_fleet's action plugin
    builds its items with this same function, without templating them into a task argument (and
    renders the role defaults of the templates its hosts use only).
options:
  _input:
    description: The inventory host names (C(groups['canisters'])).
    type: list
    elements: str
    required: true
  hostvars:
    description: The play's C(hostvars).
    type: raw
    required: true
  defaults:
    description: >-
      Per template name (C(user), C(ai_assistant), C(gallery), C(memory)) the role defaults
      C(wasm), C(did), C(version), C(init_arg), C(settings), C(cycles), C(cycles_min),
      C(cycles_target) and C(keep_failed).
    type: dict
    required: true
  owner_marker:
    description: The text that stands for the owner in the templates' default init arguments.
    type: str
    default: "@owner@"
  groups:
    description:
      - The play's C(groups). When given, each host's template group is found in it instead of in
        the host's C(group_names), without templating C(group_names) for every host. They give the
        same groups, as a host is listed under each of its groups and their parents.
    type: dict
"""

EXAMPLES = r"""
- name: Converge every canister of the inventory in one module run
  icp.canister_factory.ic_fleet:
    registry: "{{ icp_registry }}"
    canisters: "{{ groups['canisters'] | icp.canister_factory.fleet_specs(hostvars, _fleet_defaults) }}"
"""

RETURN = r"""
_value:
  description: The items of O(icp.canister_factory.ic_fleet#module:canisters), in the order of the hosts.
  type: list
  elements: dict
"""

import re

from ansible.errors import AnsibleFilterError, AnsibleUndefinedVariable
from ansible.utils.vars import merge_hash

TEMPLATE_GROUP = re.compile(r"^.+_canisters$")
TEMPLATE_GROUPS = "user_canisters, ai_assistant_canisters, gallery_canisters, memory_canisters"
KEYS = ("wasm", "did", "version", "init_arg", "settings", "cycles", "cycles_min", "cycles_target", "keep_failed")
_MISSING = object()


def _var(host_vars, key, default=_MISSING):
    """A host variable templated in its host's context; ``default`` when it is not defined
    (as Jinja's ``default`` filter: a value whose template is undefined counts as not defined)."""
    if key not in host_vars:
        return default
    try:
        return host_vars[key]
    except AnsibleUndefinedVariable:
        if default is _MISSING:
            raise
        return default


def _template_of(host, host_vars, template_groups=None):
    """The host's template (``user`` for ``user_canisters``): its only ``*_canisters`` group, from
    ``template_groups`` (host -> such groups, from the play's ``groups``) or its ``group_names``."""
    if template_groups is not None:
        groups = template_groups.get(host, [])
    else:
        groups = [g for g in _var(host_vars, "group_names", []) if TEMPLATE_GROUP.match(g)]
    return groups[0][:-len("_canisters")] if len(groups) == 1 else None


def _template_groups(groups):
    """host -> its ``*_canisters`` groups, from a play's ``groups`` (group -> its hosts, those of
    its children included, as ``group_names`` lists a host's groups and their parents)."""
    found = {}
    for group, members in groups.items():
        if TEMPLATE_GROUP.match(group):
            for host in members:
                found.setdefault(host, []).append(group)
    return found


def _spec(host, host_vars, template, defaults, owner_marker):
    given = defaults.get(template)
    if not isinstance(given, dict):
        raise AnsibleFilterError(f"fleet_specs: no defaults for template {template!r} (host {host}); "
                                 f"put {host} in one of {TEMPLATE_GROUPS}")
    wanted = {k: _var(host_vars, f"{template}_canister_{k}", given.get(k)) for k in KEYS}
    owner = _var(host_vars, "owner", "")
    default_arg = _replace(wanted["init_arg"], owner_marker, owner)
    init_value = _var(host_vars, "init_value")
    settings = _var(host_vars, "settings", {})
    if not isinstance(wanted["settings"], dict) or not isinstance(settings, dict):
        raise AnsibleFilterError(f"{host}: settings must be a mapping")
    return {
        "name": host, "template": template, "owner": owner, "wasm": wanted["wasm"],
        "did": wanted["did"] if init_value is not _MISSING else "", "wasm_version": wanted["version"],
        "arg": _var(host_vars, "init_arg", None) or default_arg, "arg_default": default_arg,
        "arg_value": None if init_value is _MISSING else init_value,
        "settings": merge_hash(wanted["settings"], settings, recursive=True),
        "cycles": _var(host_vars, "cycles", wanted["cycles"]), "cycles_min": wanted["cycles_min"],
        "cycles_target": wanted["cycles_target"], "keep_failed": wanted["keep_failed"],
        "funding": _var(host_vars, "canister_funding", "auto"),
        "state": _var(host_vars, "canister_state", "running"),
        "cycles_source": _var(host_vars, "canister_cycles_source", "provisional"),
    }


def _replace(text, old, new):
    """Jinja's ``replace`` filter: on the text form of ``text``."""
    return str(text).replace(str(old), str(new))


def fleet_specs(hosts, hostvars, defaults, owner_marker="@owner@", groups=None):
    """Inventory hosts -> ic_fleet items (see DOCUMENTATION); one read of each host's variables."""
    hosts = list(hosts or [])
    read = [(host, hostvars[host]) for host in hosts]
    template_groups = None if groups is None else _template_groups(groups)
    templates = [_template_of(host, host_vars, template_groups) for host, host_vars in read]
    misplaced = [host for host, template in zip(hosts, templates) if template is None]
    if misplaced:
        raise AnsibleFilterError(f"put each of {', '.join(misplaced)} in exactly one of {TEMPLATE_GROUPS}")
    return [_spec(host, host_vars, template, defaults, owner_marker)
            for (host, host_vars), template in zip(read, templates)]


def inventory_specs(source, task_vars, render):
    """The ic_fleet items of ``source`` (ic_fleet's ``from_inventory``: ``group``, ``templates``,
    ``owner_marker``) from the inventory of ``task_vars``: ``fleet_specs`` of the group's hosts,
    with the role defaults ``<template>_canister_<key>`` of the templates the hosts use, each
    rendered by ``render(variable name)`` (the task's templar: the owner is the marker there)."""
    if not isinstance(source, dict):
        raise AnsibleFilterError("from_inventory: must be a mapping with group and templates; "
                                 "give e.g. {group: canisters, templates: [user]}")
    unknown = sorted(set(source) - {"group", "templates", "owner_marker"})
    if unknown:
        raise AnsibleFilterError(f"from_inventory.{unknown[0]}: not an option; give group, templates and owner_marker")
    group = source.get("group")
    groups = task_vars.get("groups") or {}
    if not isinstance(group, str) or group not in groups:
        raise AnsibleFilterError(f"from_inventory.group: {group!r} is not a group of the inventory; "
                                 "name the group whose hosts are the canisters")
    templates = source.get("templates")
    if not isinstance(templates, list) or not templates or not all(isinstance(t, str) and t for t in templates):
        raise AnsibleFilterError("from_inventory.templates: must be a list of template names; give e.g. [user, memory]")
    hosts = groups[group]
    template_groups = _template_groups(groups)
    used = {g[0][:-len("_canisters")] for g in (template_groups.get(h) for h in hosts) if g and len(g) == 1}
    marker = source.get("owner_marker")
    return fleet_specs(hosts, task_vars["hostvars"], template_defaults([t for t in templates if t in used], render),
                       "@owner@" if marker is None else str(marker), groups=groups)


def template_defaults(templates, render):
    """``{template: {key: value}}``: the role defaults ``<template>_canister_<key>`` of each of
    ``templates`` for every key the items take, each rendered by ``render(variable name)``."""
    defaults = {}
    for template in templates:
        defaults[template] = {}
        for key in KEYS:
            name = f"{template}_canister_{key}"
            try:
                defaults[template][key] = render(name)
            except KeyError:
                raise AnsibleFilterError(f"from_inventory.templates: {template} has no variable {name}; define the "
                                         f"template's defaults (as the {template}_canister role does)") from None
    return defaults


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self):
        return {"fleet_specs": fleet_specs}
