#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ic_factory_template
short_description: Register a template version in the factory canister
version_added: 0.2.0
description:
  - Makes sure the factory canister holds version O(version) of template O(template) with exactly
    the bytes of O(wasm), and (with O(current=true)) that it is the version new children get.
  - Compares SHA-256 hashes first; a module the factory already holds is never sent again, so a
    converged run makes no update call. An interrupted upload resumes with the missing chunks only.
  - Checks the file before anything is sent - it must be a Wasm module (raw or gzipped) and match
    O(wasm_sha256) when given - and refuses to register different bytes under a version the factory
    already holds.
  - The caller must be an admin of the factory.
author:
  - icp.canister_factory maintainers (@icp-canister-factory)
extends_documentation_fragment:
  - icp.canister_factory.ic
  - icp.canister_factory.ic.ATTRIBUTES
  - icp.canister_factory.ic.SUPPORT_FULL
  - icp.canister_factory.ic.FACTORY
options:
  template:
    description: Template name, such as C(user) or C(gallery).
    type: str
    required: true
  version:
    description: Version label of this module, such as C(0.2.0).
    type: str
    required: true
  wasm:
    description: The module file (C(.wasm) or C(.wasm.gz)), uploaded exactly as it is. Required with O(state=present).
    type: path
  wasm_sha256:
    description: Expected hex SHA-256 of O(wasm); the task fails before any upload when the file differs.
    type: str
  current:
    description: Make this the version new children get (and an upgrade without a version uses).
    type: bool
    default: true
  state:
    description:
      - V(present) registers the version; V(absent) deletes it from the factory (refused by the
        factory while it is current or children run it).
    type: str
    choices: [present, absent]
    default: present
  chunk_size:
    description: Bytes per upload call (the factory takes at most 1.9 MiB).
    type: int
    default: 1900000
"""

EXAMPLES = r"""
- name: Register the shipped user template as the current version
  icp.canister_factory.ic_factory_template:
    factory: factory
    registry: build/registry.yml
    template: user
    version: 0.2.0
    wasm: wasm/user.wasm.gz
    wasm_sha256: e6a561412f1d0f0d59ad5b8c2a41e2b4c3b6d7f1c7ad8f2b1f2c7f1e0a9b8c7d6
"""

RETURN = r"""
factory:
  description: Canister id of the factory.
  returned: always
  type: str
  sample: bkyz2-fmaaa-aaaaa-qaaaq-cai
template:
  description: What the factory holds of the template afterwards (predicted in check mode).
  returned: always
  type: dict
  sample: {name: user, current: 0.2.0, versions: [{version: 0.2.0, wasm_sha256: e6a5..., size: 150000, current: true}]}
uploaded_bytes:
  description: Bytes sent to the factory by this run (0 when it already held the module).
  returned: always
  type: int
  sample: 0
wasm_sha256:
  description: Hex SHA-256 of O(wasm).
  returned: when O(state=present)
  type: str
  sample: e6a561412f1d0f0d59ad5b8c2a41e2b4c3b6d7f1c7ad8f2b1f2c7f1e0a9b8c7d6
"""

from ansible_collections.icp.canister_factory.plugins.module_utils._factory_module import (
    FactoryModule, factory_argument_spec)
from ansible_collections.icp.canister_factory.plugins.module_utils._factory_templates import TemplateRegistration


class ICFactoryTemplate(TemplateRegistration, FactoryModule):
    """ic_factory_template: one template version in the factory, uploaded only when missing."""

    argument_spec = dict(factory_argument_spec(), **{
        "template": {"type": "str", "required": True},
        "version": {"type": "str", "required": True},
        "wasm": {"type": "path"},
        "wasm_sha256": {"type": "str"},
        "current": {"type": "bool", "default": True},
        "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        "chunk_size": {"type": "int", "default": 1900000},
    })
    required_if = [["state", "present", ["wasm"]]]


def main():
    ICFactoryTemplate.main()


if __name__ == "__main__":
    main()
