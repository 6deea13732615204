# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Options and attributes shared by every icp.canister_factory module."""

    DOCUMENTATION = r"""
options:
  network:
    description:
      - The IC network to talk to.
      - A URL such as V(http://127.0.0.1:4943) or V(https://icp-api.io), or V(local)
        (the same as V(http://127.0.0.1:4943)), or V(ic) (mainnet, V(https://icp-api.io)).
      - If not set, the value of the E(ICP_NETWORK) environment variable is used, then V(local).
    type: str
  identity:
    description:
      - Path to the PEM file of the identity that signs the requests.
      - Both the dfx and the icp-cli PEM formats are read (Ed25519, secp256k1 and P-256 keys),
        encrypted ones too (give O(identity_password)).
      - If not set, the value of the E(ICP_IDENTITY) environment variable is used.
      - Mutually exclusive with O(identity_pem). When neither is set, requests are anonymous.
    type: path
  identity_pem:
    description:
      - The PEM content of the identity, for example from a vault.
      - If not set, the value of the E(ICP_IDENTITY_PEM) environment variable is used.
    type: str
  identity_password:
    description:
      - Password of an encrypted PEM given with O(identity) or O(identity_pem).
    type: str
  root_key:
    description:
      - The network's root public key as hex (DER), used to verify certificates.
      - Mainnet's key is built in and used for O(network=ic).
      - V(fetch) reads the key from the network itself; allowed only for loopback networks
        (V(local), V(127.0.0.1), V(localhost), V(::1)), since it trusts whoever answers.
      - If not set, the value of the E(ICP_ROOT_KEY) environment variable is used; for a
        loopback network V(fetch) is then the default.
    type: str
  timeout:
    description:
      - Seconds to wait for one HTTP request to the network.
    type: float
    default: 30
  retries:
    description:
      - How many times a request is resent after a transport error, HTTP 429 or HTTP 5xx.
      - A retry resends the same signed bytes, so an update is never executed twice.
    type: int
    default: 3
notes:
  - All modules are in the action group C(icp.canister_factory.ic), so
    C(module_defaults) with C(group/icp.canister_factory.ic) sets the common options once.
  - On a failure reported by the IC, the result has an C(error) dictionary with C(reject_code),
    C(error_code) and C(message) as the replica sent them.
"""

    ATTRIBUTES = r"""
options: {}
attributes:
  check_mode:
    description: Can run in C(check_mode) and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)), when in diff mode.
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second invocation
        indicates no change.
      - This assumes that the system controlled/queried by the module has not changed in a relevant way.
"""

    TARGET = r"""
options:
  canister_id:
    description:
      - Principal text of the canister.
      - Mutually exclusive with O(name).
    type: str
  name:
    description:
      - Name of the canister's entry in O(registry); an entry with C(status=deleted) names no canister.
      - Requires O(registry).
    type: str
  registry:
    description:
      - Path of the registry file (a YAML inventory) where the canister is recorded.
      - What the task changes is recorded in the entry, with an event in its C(events).
    type: path
"""

    ACTIONGROUP_IC = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/icp.canister_factory.ic) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - icp.canister_factory.ic
"""

    FACTORY = r"""
options:
  factory:
    description:
      - The factory canister - its canister id, or its host name in O(registry) (C(factory), as
        C(playbooks/deploy_factory.yml) records it).
    type: str
    default: factory
  registry:
    description: Registry file that records the factory (needed when O(factory) is a host name).
    type: path
  factory_did:
    description:
      - The factory's Candid interface file (C(wasm/factory.did)); by default it is read from the
        factory's public C(candid:service) metadata.
    type: path
"""
