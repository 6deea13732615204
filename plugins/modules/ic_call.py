#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ic_call
short_description: Call a canister method on the Internet Computer
version_added: 0.1.0
description:
  - Calls O(method) of O(canister_id) as an update call or, with O(query=true), as a query.
  - The argument is Candid text (O(arg)), data typed by the canister's C(candid:service) metadata or
    a C(.did) file (O(arg_value)), or raw Candid bytes as hex (O(arg_hex)).
  - The reply is returned as Candid text and as JSON-friendly data.
author:
  - icp.canister_factory maintainers (@icp-canister-factory)
extends_documentation_fragment:
  - icp.canister_factory.ic
  - icp.canister_factory.ic.ATTRIBUTES
  - icp.canister_factory.ic.SUPPORT_NO_DIFF
attributes:
  check_mode:
    support: full
    details: Queries run in check mode; update calls are skipped and reported as changed.
  idempotent:
    support: none
    details: An update call is reported as changed, since the module cannot know what the method does.
options:
  canister_id:
    description: Principal text of the canister.
    type: str
    required: true
  method:
    description: Method name.
    type: str
    required: true
  query:
    description: Call the method as a query (no state change, signature-checked reply).
    type: bool
    default: false
  arg:
    description: 'Argument as Candid text, for example C(("hello", 3 : nat)).'
    type: str
  arg_value:
    description:
      - Argument as data, typed by the method's argument types; a list for several arguments.
    type: raw
  arg_hex:
    description: Argument as hex of Candid bytes.
    type: str
  did:
    description:
      - Candid interface file for the types; default the canister's C(candid:service) metadata.
    type: path
"""

EXAMPLES = r"""
- name: Ask a canister for its version
  icp.canister_factory.ic_call:
    canister_id: "{{ canister_id }}"
    method: version
    query: true
  register: version

- name: Record a greeting
  icp.canister_factory.ic_call:
    canister_id: "{{ canister_id }}"
    method: set_greeting
    arg_value: hello
"""

RETURN = r"""
reply_text:
  description: The reply as Candid text.
  returned: when the call ran
  type: str
  sample: '("1.2.0")'
reply:
  description: The reply values as JSON-friendly data (a list, one item per result value).
  returned: when the call ran
  type: list
  elements: raw
  sample: ["0.2.0"]
arg_sha256:
  description: Hex SHA-256 of the Candid argument bytes sent (the argument itself may be secret).
  returned: always
  type: str
  sample: 3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c
reply_hex:
  description: The raw reply bytes as hex.
  returned: when the call ran
  type: str
  sample: 4449444c00017105302e322e30
"""

from ansible_collections.icp.canister_factory.plugins.module_utils._ic_module import ICModule
from ansible_collections.icp.canister_factory.plugins.module_utils import _candid_args as candid_args
from ansible_collections.icp.canister_factory.plugins.module_utils._ic import candid
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import ICError
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.principal import Principal


class ICCall(ICModule):
    """ic_call: one call, reply decoded."""

    input_checks = "ic_call"

    argument_spec = dict(candid_args.argument_spec(), **{
        "canister_id": {"type": "str", "required": True},
        "method": {"type": "str", "required": True},
        "query": {"type": "bool", "default": False},
    })
    mutually_exclusive = candid_args.MUTUALLY_EXCLUSIVE

    def run(self):
        """Encode, call, decode."""
        canister_id = Principal.coerce(self.params["canister_id"], field="canister_id")
        method = self.params["method"]
        did = self._interface(canister_id)
        func = None
        if did is not None and (did.service or {}).get(method) is not None:
            func = did.service[method]
        arg = candid_args.encode(self.params, list(func.args) if func is not None else None)
        self.result["arg_sha256"] = candid_args.sha256_hex(arg)
        if self.params["query"]:
            reply = self.agent.query(canister_id, method, arg)
        else:
            reply = self.change(self.agent.update, canister_id, method, arg)
            if reply is None:
                return
        types = list(func.rets) if func is not None else None
        self.result["reply_hex"] = reply.hex()
        self.result["reply_text"] = candid.decode_to_text(reply, types)
        values = candid.decode(reply, types)
        if types is None:
            types = [None] * len(values)
        self.result["reply"] = candid.to_json(types, values)

    def _interface(self, canister_id):
        if self.params.get("did"):
            return candid_args.read_did(self.params["did"])
        try:
            text = self.agent.metadata(canister_id, "candid:service")
        except ICError:
            return None
        if text is None:
            return None
        return candid_args.parse_service(bytes(text).decode("utf-8", "replace"), "candid:service")


def main():
    ICCall.main()


if __name__ == "__main__":
    main()
