# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The registry lookup: the registry document as the modules and the inventory read it."""

from __future__ import annotations

DOCUMENTATION = r"""
name: registry
short_description: Read a canister registry, journal included
version_added: 0.2.0
author: icp.canister_factory maintainers (@icp-canister-factory)
description:
  - Returns the registry document (C(all.children.canisters.hosts) and the template groups) of
    each registry file given, read the way the modules and the
    P(icp.canister_factory.registry#inventory) inventory plugin read it - the YAML file plus the
    changes its journal (C(<file>.journal)) holds that are not folded in yet, such as those of a
    run that was killed.
  - A file that does not exist gives an empty document; a broken one fails with a one-line
    message naming the file and line.
  - Use it instead of reading the file with P(ansible.builtin.file#lookup), which misses the journal.
  - With O(audit=true) it returns the full audit log (C(<file>.audit)) of each registry instead -
    every event ever recorded on an entry, oldest first, where the entries keep only their last 20.
options:
  _terms:
    description: Paths of registry files.
    type: list
    elements: path
    required: true
  audit:
    description: Return each registry's audit log (a list of records) instead of its document.
    type: bool
    default: false
  name:
    description: With O(audit=true), only the records of this registry entry (host name).
    type: str
  canister_id:
    description: With O(audit=true), only the records of this canister.
    type: str
"""

EXAMPLES = r"""
- name: The registry entry of this host
  ansible.builtin.set_fact:
    entry: "{{ (query('icp.canister_factory.registry', icp_registry) | first).all.children.canisters.hosts[inventory_hostname] }}"

- name: Everything that ever happened to this host's canister
  ansible.builtin.debug:
    msg: "{{ query('icp.canister_factory.registry', icp_registry, audit=true, name=inventory_hostname) | first }}"
"""

RETURN = r"""
_raw:
  description:
    - One registry document per file (an empty dict for a missing file).
    - With O(audit=true), one list of audit records per file (empty when there is no log), each
      with C(time), C(name), C(canister_id), C(event) (the event's action), C(result),
      C(identity) and C(details) (the event's further keys).
  type: list
  elements: raw
"""

import os

from ansible.errors import AnsibleLookupError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.lookup import LookupBase
from ansible.utils.unsafe_proxy import wrap_var as make_unsafe

from ..module_utils._registry import Registry, RegistryError
from ..module_utils._registry_audit import AuditCorrupt, read as read_audit


class LookupModule(LookupBase):
    """Read registry files through the registry's own reader."""

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        if boolean(self._option("audit", kwargs), strict=False):
            return [self._audit(os.path.abspath(os.path.expanduser(str(term))), kwargs) for term in terms]
        documents = []
        for term in terms:
            path = os.path.expanduser(str(term))
            if not os.path.exists(path) and not os.path.exists(path + ".journal"):
                documents.append({})
                continue
            try:
                document = Registry(path).read().to_document()
            except RegistryError as exc:
                raise AnsibleLookupError(f"registry lookup: {exc}") from None
            # Entries hold what canisters and operators wrote: never templated.
            documents.append(make_unsafe(document))
        return documents

    def _option(self, name, given):
        """An option; as given when the plugin was made without its documentation (imported directly)."""
        try:
            return self.get_option(name)
        except KeyError:
            return given.get(name)

    def _audit(self, path, given):
        try:
            found = read_audit(path, name=self._option("name", given), canister_id=self._option("canister_id", given))
        except AuditCorrupt as exc:
            raise AnsibleLookupError(f"registry lookup: {exc}") from None
        return make_unsafe(found)
