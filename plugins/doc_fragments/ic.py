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

    # What each attribute means, and the action group every module is in. Every module lists this
    # fragment; ACTIONGROUP_IC is the same text under its former name.
    ATTRIBUTES = ACTIONGROUP_IC = r"""
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
  action_group:
    description: Use C(group/icp.canister_factory.ic) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - icp.canister_factory.ic
"""

    # The support levels of a module that changes things, predicts its changes and shows them.
    # A module's own C(attributes) entry wins over these (for example idempotent: partial).
    SUPPORT_FULL = r"""
options: {}
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
"""

    # The support levels of a module that reports (or samples) rather than converges: no diff.
    SUPPORT_NO_DIFF = r"""
options: {}
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  idempotent:
    support: full
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

    # The one operator-facing account of unknown creation outcomes (docs/internals.md,
    # "Unknown outcomes", describes the mechanism and points here).
    UNKNOWN_OUTCOMES = r"""
options: {}
notes:
  - >-
    B(Unknown outcomes of a creation.) When the module cannot tell whether a canister was made, the
    registry entry stays C(creating) with its deduplication key (C(specified_id), or the cycles
    ledger's C(created_at_time) with C(creation_cycles)), the task fails and the host is not
    C(changed). The next run asks again with the same key and adopts the canister made the first
    time, never a second one; so, except where said below, the fix is to run the play again.
  - >-
    I(Lost reply) (connection reset, timeout, HTTP 5xx after the retries): the agent polls the
    request's status and resends the same signed bytes only if the IC has no record of them (one
    request id never runs twice); the module repeats the creation with the same key after 2 s and 5 s,
    then fails. Resolve: run again.
  - >-
    I(Still processing past the ingress expiry): a call the IC has started may finish after its
    expiry, so the agent polls while the status is C(received) or C(processing), up to 30 minutes;
    status C(unknown) after the expiry plus 60 s means that request can no longer run, but the
    creation stays unknown (key kept), since an earlier request of it may have run. Resolve: run again.
  - >-
    I(Cycles ledger Duplicate without canister id): the ledger has burnt the cycles and waits for
    the CMC, or the CMC refused and the cycles were refunded. The module asks again after 2 s and 5 s,
    then reads the ledger's blocks after the burn: a refund means no canister exists, so the entry
    becomes C(failed) without key (the refund returned the amount less the ledger's 100M fee, and
    less the CMC's 100M penalty when it tried the subnets and all refused) and the next run
    creates anew; without a refund the task fails with the key kept. Resolve: run again later
    (the CMC answers within seconds); if it lasts until the key is too old, see TooOld.
  - >-
    I(TooOld): the key of an unfinished cycles-ledger creation is older than the ledger's
    deduplication window (24 h + 60 s), so a retry could create a second canister; it is never
    retried. Past the window any other ledger refusal (such as C(InsufficientFunds), which the ledger
    checks before the window) is treated the same way. Resolve: run M(icp.canister_factory.ic_canister_info) with
    O(icp.canister_factory.ic_canister_info#module:ledger_creation) set to the entry's
    C(created_at_time) and C(creation_cycles). If RV(icp.canister_factory.ic_canister_info#module:creation.canister_exists)
    is false (no burn, or the burn was refunded), remove the entry with
    M(icp.canister_factory.ic_registry) (O(icp.canister_factory.ic_registry#module:state=absent)) and
    run again. If it is true, a canister controlled by the creating identity was made at C(burned_at);
    the ledger's blocks do not name it, so find it in your records (the failed run's output, a
    canister of that controller that no entry names) and record its id with
    M(icp.canister_factory.ic_registry) (C(canister_id), C(status=active)).
  - >-
    I(Pruned certificate path) (the certificate neither shows nor excludes the request's status):
    unknown, never read as absent, so it never triggers a resend or a second creation. Resolve:
    run again; if it repeats, a replica or boundary node is misbehaving.
  - >-
    I(Killed run) (ansible-playbook, its workers or the machine stopped during a creation): the
    C(creating) entry with its key is on disk before the create call, so the next run resumes
    with it; a provisional creation finds its canister at the recorded C(specified_id), a
    cycles-ledger creation gets the ledger's answer for the key. Resolve: run again. An entry
    C(creating) with neither key nor canister id (written by an older version) is refused: check
    the network, then record the id or remove the entry with M(icp.canister_factory.ic_registry).
"""
