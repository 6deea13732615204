# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The candid_decode filter: a hex Candid message to Candid text or JSON-ready data."""

DOCUMENTATION = r"""
name: candid_decode
short_description: Decode a hex Candid message to Candid text or data
version_added: 0.1.0
author: icp.canister_factory maintainers
description:
  - Decodes a binary Candid message given as hex (for example a canister's reply) into Candid
    text, or with O(output=json) into data a playbook can use (principals as text, blobs as
    hex, one list item per value).
  - Without a type, record fields and variant tags are known only by their numeric ids; give
    O(did) with O(type) or O(method) to get names back.
options:
  _input:
    description: The Candid message as hex (an optional C(0x) prefix is allowed).
    type: str
    required: true
  did:
    description: The C(.did) interface, as its text or as the path of a C(.did) file.
    type: str
  type:
    description:
      - A type defined in O(did), or a Candid type expression such as C((nat, text)).
      - Mutually exclusive with O(method).
    type: str
  method:
    description: A method of the service in O(did); the message is decoded as its result.
    type: str
  output:
    description: C(text) for Candid text, C(json) for a list of values.
    type: str
    choices: [text, json]
    default: text
"""

EXAMPLES = r"""
- name: Show a reply as Candid text
  ansible.builtin.debug:
    msg: "{{ reply_hex | icp.canister_factory.candid_decode }}"

- name: Read fields of a typed reply
  ansible.builtin.set_fact:
    owner: >-
      {{ (reply_hex | icp.canister_factory.candid_decode(did='wasm/user.did',
          method='get_config', output='json'))[0].owner }}
"""

RETURN = r"""
_value:
  description:
    - With O(output=text), Candid text such as C((record { owner = principal "2vxsx-fae" })).
    - With O(output=json), a list with one item per value.
  type: raw
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.icp.canister_factory.plugins.module_utils._ic.candid_args import (
    decode_args)
from ansible_collections.icp.canister_factory.plugins.module_utils import _input_fields as input_fields


def candid_decode(value, did=None, type=None, method=None, output="text"):
    """Hex of a Candid message -> Candid text, or a list of JSON-ready values."""
    try:
        return decode_args(value, did=did, type=type, method=method, output=output)
    except Exception as exc:  # pylint: disable=broad-exception-caught
        # Whatever went wrong, the user reads one line naming the problem (no Python internals).
        raise AnsibleFilterError(input_fields.error_line("candid_decode", exc)) from None


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self):
        return {"candid_decode": candid_decode}
