# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The principal_from_pem filter: the principal of an identity's PEM key."""

DOCUMENTATION = r"""
name: principal_from_pem
short_description: The principal (user id) of a PEM identity key
version_added: 0.1.0
author: icp.canister_factory maintainers
description:
  - Returns the self-authenticating principal of a private key in PEM form, as dfx and
    icp-cli show it (C(dfx identity get-principal)).
  - Accepts Ed25519, secp256k1 and P-256 keys in the dfx and icp-cli formats, including
    password-encrypted PKCS#8.
  - The input may be the PEM text or the path of a PEM file. The key never appears in errors.
options:
  _input:
    description: PEM text, or the path of a PEM file.
    type: str
    required: true
  password:
    description: Password of an encrypted key.
    type: str
"""

EXAMPLES = r"""
- name: Principal of the deploying identity
  ansible.builtin.set_fact:
    deployer: "{{ lookup('ansible.builtin.file', '~/.config/dfx/identity/default/identity.pem')
                  | icp.canister_factory.principal_from_pem }}"

- name: From a path, with a password
  ansible.builtin.debug:
    msg: "{{ 'keys/ci.pem' | icp.canister_factory.principal_from_pem(password=ci_key_password) }}"
"""

RETURN = r"""
_value:
  description: The principal in text form, for example C(sdkql-...-eqe).
  type: string
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.icp.canister_factory.plugins.module_utils import _input_fields as input_fields


def principal_from_pem(value, password=None):
    """PEM text or a PEM file path -> principal text."""
    # identity needs the cryptography package; load it only when the filter is used.
    from ansible_collections.icp.canister_factory.plugins.module_utils._ic.identity import (
        load_identity, load_identity_file)
    if not isinstance(value, (str, bytes, bytearray)) or not value:
        raise AnsibleFilterError(f"principal_from_pem: value: expected PEM text or the path of a PEM "
                                 f"file, got {type(value).__name__ if value else 'nothing'}")
    try:
        if isinstance(value, (bytes, bytearray)) or "-----BEGIN" in value:
            identity = load_identity(value, password)
        else:
            identity = load_identity_file(value, password)
        return identity.sender.to_text()
    except Exception as exc:  # pylint: disable=broad-exception-caught
        # Whatever went wrong, the user reads one line naming the problem (no Python internals).
        raise AnsibleFilterError(input_fields.error_line("principal_from_pem", exc)) from None


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self):
        return {"principal_from_pem": principal_from_pem}
