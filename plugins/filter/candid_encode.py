# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The candid_encode filter: Candid text or typed YAML data to a hex Candid message."""

DOCUMENTATION = r"""
name: candid_encode
short_description: Encode Candid arguments to the hex of a Candid message
version_added: 0.1.0
author: icp.canister_factory maintainers
description:
  - Encodes Candid text such as C((record { owner = principal "aaaaa-aa" })) into the binary
    Candid message (C(DIDL...)) that canister calls and C(install_code) take, as lowercase hex.
  - With O(did) and O(type) or O(method) the values are typed by the interface, so numbers get
    their declared widths and records their declared fields; the input may then also be YAML
    data (mappings, lists, principals as text, blobs as hex text).
  - Without a type, each value gets Candid's default type (a bare number is C(int)).
options:
  _input:
    description:
      - Candid text (a parenthesised argument list, or a single value), or YAML data when a type
        is given (a list with one item per argument when there are several).
    type: raw
    required: true
  did:
    description:
      - The C(.did) interface, as its text or as the path of a C(.did) file.
    type: str
  type:
    description:
      - "A type defined in O(did), or a Candid type expression such as C(nat),
        C((nat, text)) or C(record { a : nat })."
      - Mutually exclusive with O(method).
    type: str
  method:
    description:
      - A method of the service in O(did); its argument types type the input.
    type: str
"""

EXAMPLES = r"""
- name: Init argument for a template, typed by its .did
  ansible.builtin.set_fact:
    init_hex: >-
      {{ '(record { owner = principal "2vxsx-fae"; limit = 10 })'
         | icp.canister_factory.candid_encode(did='wasm/user.did', type='InitArgs') }}

- name: The same from YAML data
  ansible.builtin.set_fact:
    init_hex: >-
      {{ {'owner': '2vxsx-fae', 'limit': 10}
         | icp.canister_factory.candid_encode(did='wasm/user.did', type='InitArgs') }}

- name: Untyped text (42 is an int here)
  ansible.builtin.debug:
    msg: "{{ '(42, \"hello\")' | icp.canister_factory.candid_encode }}"
"""

RETURN = r"""
_value:
  description: The Candid message as lowercase hex, starting with C(4449444c) (C(DIDL)).
  type: string
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.icp.canister_factory.plugins.module_utils._ic.candid_args import (
    encode_args)
from ansible_collections.icp.canister_factory.plugins.module_utils import _input_fields as input_fields


def candid_encode(value, did=None, type=None, method=None):
    """Candid text or typed data -> hex of the Candid message."""
    try:
        return encode_args(value, did=did, type=type, method=method).hex()
    except Exception as exc:  # pylint: disable=broad-exception-caught
        # Whatever went wrong, the user reads one line naming the problem (no Python internals).
        raise AnsibleFilterError(input_fields.error_line("candid_encode", exc)) from None


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self):
        return {"candid_encode": candid_encode}
