#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ic_factory_canister
short_description: A user or feature canister made (or deleted) by the factory canister
version_added: 0.2.0
description:
  - Asks the factory canister for O(owner)'s canister of template O(template), the same way an
    application does (C(create_user_canister) / C(create_feature_canister)). When the owner already
    has a live one of that template the module makes no update call.
  - With O(state=absent) asks the factory to delete it (the factory stops it, returns its cycles and
    deletes it, and its record ends C(deleted)).
  - Any identity may use it for canisters it owns (when the factory's self-service is on); an admin
    for any owner.
author:
  - icp.canister_factory maintainers (@icp-canister-factory)
extends_documentation_fragment:
  - icp.canister_factory.ic
  - icp.canister_factory.ic.ATTRIBUTES
  - icp.canister_factory.ic.SUPPORT_FULL
  - icp.canister_factory.ic.FACTORY
options:
  owner:
    description: Principal that owns the canister. Required unless O(canister_id) is given with O(state=absent).
    type: str
  template:
    description: The template (C(canister_type)), such as C(user) or C(gallery).
    type: str
    default: user
  canister_id:
    description: With O(state=absent), the child to delete (instead of finding it by O(owner) and O(template)).
    type: str
  init_arg:
    description:
      - Candid text of the template's init record, such as C((record { owner = principal "..."; max_readers = opt 5 })).
        Without it the factory installs C((record { owner = <owner> })).
    type: str
  state:
    description: V(present) makes sure the canister exists; V(absent) deletes it through the factory.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: The user canister of a principal, made by the factory
  icp.canister_factory.ic_factory_canister:
    factory: factory
    registry: build/registry.yml
    owner: "{{ owner }}"
  register: made

- name: A gallery with five readers
  icp.canister_factory.ic_factory_canister:
    factory: bkyz2-fmaaa-aaaaa-qaaaq-cai
    owner: "{{ owner }}"
    template: gallery
    init_arg: '(record { owner = principal "{{ owner }}"; max_readers = opt 5 })'
"""

RETURN = r"""
factory:
  description: Canister id of the factory.
  returned: always
  type: str
  sample: bkyz2-fmaaa-aaaaa-qaaaq-cai
canister_id:
  description: The child's canister id (null when it does not exist, or in check mode before creation).
  returned: always
  type: str
  sample: by6od-j4aaa-aaaaa-qaadq-cai
canister:
  description: The factory's record of the child, as registry host variables.
  returned: when the child exists
  type: dict
  sample: {canister_id: by6od-j4aaa-aaaaa-qaadq-cai, template: user, status: active, source: factory}
created:
  description: Whether this run created it.
  returned: always
  type: bool
  sample: true
"""

from ansible_collections.icp.canister_factory.plugins.module_utils._ic import candid
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import InputError, Reject
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.principal import Principal
from ansible_collections.icp.canister_factory.plugins.module_utils._factory_client import child_vars, variant_tag
from ansible_collections.icp.canister_factory.plugins.module_utils._factory_module import (
    FactoryModule, factory_argument_spec)
from ansible_collections.icp.canister_factory.plugins.module_utils._factory_templates import check_template_name


class ICFactoryCanister(FactoryModule):
    """ic_factory_canister: the application path (factory creates/deletes), idempotent."""

    argument_spec = dict(factory_argument_spec(), **{
        "owner": {"type": "str"},
        "template": {"type": "str", "default": "user"},
        "canister_id": {"type": "str"},
        "init_arg": {"type": "str"},
        "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
    })
    required_one_of = [["owner", "canister_id"]]
    required_if = [["state", "present", ["owner"]]]

    def run(self):
        """Find the child; create or delete it when needed."""
        check_template_name(self.params["template"])
        owner = Principal.coerce(self.params["owner"], field="owner") if self.params.get("owner") else None
        arg = self._init_arg()
        found = self._find(owner)
        before = child_vars(found, self.network_url()) if found else None
        self.result.update(factory=self.factory_id, created=False,
                           canister_id=before["canister_id"] if before else None)
        if self.params["state"] == "present":
            after = before or self._create(owner, arg)
        else:
            after = self._delete(before)
        self.diff.add("canister", before, after)
        if after:
            self.result["canister"] = after

    def _init_arg(self):
        text = self.params.get("init_arg")
        if not text:
            return b""
        try:
            return candid.encode_text(text)
        except InputError as exc:
            raise InputError("init_arg", str(exc)) from None

    def _find(self, owner):
        """The live child of ``owner`` and the template, or the one named by canister_id."""
        if self.params.get("canister_id"):
            cid = Principal.coerce(self.params["canister_id"], field="canister_id")
            info = self.factory.query("get_canister_info", cid)
            return info if info is not None and variant_tag(info["status"]) != "Deleted" else None
        try:
            owned = self.factory.query("list_user_canisters", owner)
        except Reject as exc:
            if owner == self.identity.sender:
                raise
            raise InputError("owner", f"{self.caller_text()} is no admin of the factory and may ask only for its own "
                             f"canisters, not {owner.to_text()}'s ({exc.reject_message.splitlines()[0]})") from None
        for info in owned:
            if info["canister_type"] == self.params["template"] and variant_tag(info["status"]) != "Deleted":
                return info
        return None

    def _create(self, owner, arg):
        template = self.params["template"]
        if template == "user" and not arg:
            created = self.change(self.factory.update, "create_user_canister", owner)
        else:
            created = self.change(self.factory.update, "create_feature_canister", template, owner, arg)
        self.result["created"] = True
        if created is None:  # check mode
            return {"canister_id": None, "template": template, "owner": owner.to_text(), "status": "active",
                    "source": "factory"}
        self.result["canister_id"] = created.to_text()
        info = self.factory.query("get_canister_info", created)
        return child_vars(info, self.network_url()) if info else {"canister_id": created.to_text()}

    def _delete(self, before):
        if before is None:
            return None
        self.change(self.factory.update, "delete_canister", Principal.from_text(before["canister_id"]))
        return dict(before, status="deleted")


def main():
    ICFactoryCanister.main()


if __name__ == "__main__":
    main()
