#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ic_canister
short_description: Make sure a canister exists on the Internet Computer with the wanted settings and run state
version_added: 0.1.0
description:
  - Finds a canister by O(canister_id), or by O(name) in a registry file (O(registry)), or by O(specified_id).
  - Creates it when missing, converges its settings (only the keys given in O(settings)),
    starts or stops it, or stops and deletes it.
  - With a registry, creation first records a C(creating) entry that holds the deduplication key
    (O(specified_id), or the cycles ledger C(created_at_time)), then the canister id as soon as it
    exists, so a crash or a lost reply never loses a canister and never creates a second one.
  - Reads use C(canister_status) as a query, so a converged run makes no update calls.
author:
  - icp.canister_factory maintainers (@icp-canister-factory)
extends_documentation_fragment:
  - icp.canister_factory.ic
  - icp.canister_factory.ic.ATTRIBUTES
  - icp.canister_factory.ic.SUPPORT_FULL
  - icp.canister_factory.ic.TARGET
  - icp.canister_factory.ic.UNKNOWN_OUTCOMES
options:
  template:
    description:
      - Template recorded in the registry entry; puts the host into group C(<template>_canisters).
    type: str
  owner:
    description:
      - Owner principal recorded in the registry entry.
    type: str
  state:
    description:
      - V(present) creates the canister if needed and converges its settings, leaving the run state alone.
      - V(running) and V(stopped) also start or stop it and wait until the transition is over.
      - V(absent) stops and deletes it. Its cycles are first given back (RV(cycles_reclaimed)); the
        canister is reinstalled with a small drain module that deposits its liquid balance, less
        about 10B cycles for the call, to the caller's cycles-ledger account (less the ledger's
        100M fee), or to O(reclaim_to). What is left is burnt (RV(cycles_freed)). A balance below
        that margin is not drained.
    type: str
    choices: [present, running, stopped, absent]
    default: present
  settings:
    description:
      - Canister settings to converge. Only the keys given are managed.
      - O(settings.controllers) is converged exactly; leaving out the calling identity fails unless
        O(allow_lockout=true).
    type: dict
    suboptions:
      controllers:
        description: Principals that control the canister (at most 10).
        type: list
        elements: str
      compute_allocation:
        description: Compute allocation in percent (0-100).
        type: int
      memory_allocation:
        description: Memory allocation in bytes.
        type: int
      freezing_threshold:
        description: Freezing threshold in seconds.
        type: int
      reserved_cycles_limit:
        description: Upper limit of reserved cycles.
        type: int
      minimum_incoming_canister_call_cycles:
        description: Cycles that inter-canister calls from other canisters must carry at least.
        type: int
      wasm_memory_limit:
        description: Wasm heap limit in bytes (at most 2^48).
        type: int
      wasm_memory_threshold:
        description: Free heap below which C(canister_on_low_wasm_memory) runs.
        type: int
      log_visibility:
        description: V(controllers), V(public), or a list of allowed viewer principals.
        type: raw
      snapshot_visibility:
        description: V(controllers), V(public), or a list of allowed viewer principals.
        type: raw
      status_visibility:
        description: V(controllers), V(public), or a list of allowed viewer principals.
        type: raw
      environment_variables:
        description: Environment variables as a mapping of name to value (converged exactly).
        type: dict
  allow_lockout:
    description:
      - Allow O(settings.controllers) to leave out the calling identity.
    type: bool
    default: false
  funding:
    description:
      - How a new canister is paid for.
      - V(auto) is V(provisional) on a loopback (local) network and V(cycles_ledger) elsewhere.
      - V(provisional) uses C(provisional_create_canister_with_cycles) (local networks only; on
        mainnet the task fails before any call). Without O(specified_id) a free id in the
        network's canister ranges is chosen and recorded before the call, so a killed run
        resumes with that id and never leaves an orphan.
      - V(cycles_ledger) spends the caller's balance on the cycles ledger. Its C(created_at_time)
        (unique per process) and the amount are recorded before the call; a retry resends both
        (even when O(cycles) changed meanwhile), so the ledger answers with the same canister.
      - What an unknown outcome of the creation does (lost reply, C(Duplicate) without canister id,
        C(TooOld), ...) and how to resolve one is in the notes.
    type: str
    choices: [auto, provisional, cycles_ledger]
    default: auto
  cycles:
    description:
      - Cycles for a new canister. The network's default when not set.
    type: int
  specified_id:
    description:
      - Canister id to create the canister with (O(funding=provisional) only).
    type: str
  subnet:
    description:
      - Subnet (principal text) to create the canister on. With O(funding=cycles_ledger) the cycles
        ledger passes it to the CMC as C(subnet_selection); with O(funding=provisional) a free
        O(specified_id) in that subnet's canister ranges (read from its certified state) is chosen,
        so the canister lands there. Not together with O(specified_id).
      - Only used when the canister is created; the facts and the registry entry report where it is.
    type: str
  last_snapshot_dir:
    description:
      - With O(state=absent), take a last snapshot of a canister that has code and download it into
        this directory (as C(<canister_id>-<snapshot_id>/) with the module, heap, stable memory,
        chunk store and metadata) before deleting the canister, which deletes its snapshots too.
    type: path
  reclaim_to:
    description:
      - With O(state=absent), the canister that receives the deleted canister's cycles (through the
        management canister's C(deposit_cycles)) instead of the caller's cycles-ledger account.
    type: str
  wait_timeout:
    description:
      - Seconds to wait for a start or stop to finish.
      - A canister whose calls to other canisters are still unanswered stays V(stopping) until
        they are answered; the IC answers the stop only then. Past this time the task fails
        naming this option, and the stop stays in effect (run the task again to wait more).
    type: int
    default: 300
  install_check:
    description:
      - The module and init argument that a following M(icp.canister_factory.ic_code) task will
        install, checked (file, Wasm magic, gzip, size, argument against the module's
        C(candid:args) or O(install_check.did)) before anything is created, so that no canister
        is created for code that would be refused. Nothing is installed by this module.
    type: dict
    suboptions:
      wasm:
        description: Path of the C(.wasm) or C(.wasm.gz) file.
        type: path
        required: true
      arg:
        description: Init argument as Candid text.
        type: str
      arg_value:
        description: Init argument as data typed by the module's init type.
        type: raw
      did:
        description: C(.did) file giving the init type.
        type: path
"""

EXAMPLES = r"""
- name: A canister for alice, recorded in the registry
  icp.canister_factory.ic_canister:
    name: alice
    registry: registry.yml
    template: user
    owner: "{{ alice_principal }}"
    cycles: 2000000000000
    settings:
      freezing_threshold: 2592000
      log_visibility: public

- name: Stop and delete it
  icp.canister_factory.ic_canister:
    name: alice
    registry: registry.yml
    state: absent
"""

RETURN = r"""
canister_id:
  description: Principal text of the canister; null in check mode before creation.
  returned: always
  type: str
  sample: lxzze-o7777-77777-aaaaa-cai
status:
  description: Run status after the task (V(running), V(stopping), V(stopped) or V(absent)).
  returned: always
  type: str
  sample: running
subnet:
  description:
    - Id of the subnet that holds the canister, from certified state (the NNS delegation's subnet,
      or the root subnet for a certificate signed with the root key). Recorded in the registry
      entry when the canister is created.
  returned: when the canister exists
  type: str
  sample: tdb26-jop6k-aogll-7ltgs-eruif-6kk7m-qpktf-gdiqx-mxtrf-vb5e6-eqe
settings:
  description: The canister's settings after the task, in normal form (principals as text, sorted lists).
  returned: when the canister exists
  type: dict
  sample: {controllers: [2vxsx-fae], freezing_threshold: 2592000, log_visibility: controllers}
cycles:
  description: Cycle balance after the task.
  returned: when the canister exists
  type: int
  sample: 2000000000000
module_hash:
  description: Hex SHA-256 of the installed module, null when empty.
  returned: when the canister exists
  type: str
  sample: 0e3f3b6c4d0b9e6d2f1d6a4f1b5c2a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a
controllers:
  description: Principal texts of the controllers, sorted (the same as C(settings.controllers)).
  returned: when the canister exists
  type: list
  elements: str
  sample: [2vxsx-fae]
reserved_cycles:
  description: Cycles reserved for future resource payments.
  returned: when the canister exists
  type: int
  sample: 0
idle_cycles_burned_per_day:
  description: Cycles the canister burns per day while idle.
  returned: when the canister exists
  type: int
  sample: 1200000
memory_size:
  description: Memory used by the canister, in bytes.
  returned: when the canister exists
  type: int
  sample: 5563392
memory_metrics:
  description: The memory break-down of canister_status (wasm, stable, snapshots, ...), in bytes.
  returned: when the canister exists
  type: dict
  sample: {wasm_memory_size: 3145728, stable_memory_size: 0}
query_stats:
  description: Query call statistics of canister_status.
  returned: when the canister exists
  type: dict
  sample: {num_calls_total: 0, num_instructions_total: 0}
version:
  description: The canister's version (counts changes of code, settings and run state).
  returned: when the canister exists
  type: int
  sample: 3
created:
  description: Whether the task created the canister (in check mode, would create it).
  returned: always
  type: bool
  sample: true
last_snapshot:
  description: The last snapshot downloaded before deletion (V(null) for a canister without code).
  returned: when O(state=absent), O(last_snapshot_dir) is set and a canister was deleted
  type: dict
  contains:
    id:
      description: Hex snapshot id.
      type: str
    path:
      description: Directory holding the downloaded snapshot.
      type: str
  sample: {id: "0000000000000000800000000010000101010000000000000001", path: /backups/alice/0000000000000000800000000010000101010000000000000001}
cycles_freed:
  description: Cycles the canister still held when it was deleted (burnt with it).
  returned: when O(state=absent) deleted a canister
  type: int
  sample: 9998000000
cycles_reclaimed:
  description:
    - Cycles given back before the deletion (received by the cycles-ledger account or O(reclaim_to)),
      including what an earlier, interrupted run of the same registry entry moved.
  returned: when O(state=absent) deleted a canister
  type: int
  sample: 2989900000000
"""

from ansible_collections.icp.canister_factory.plugins.module_utils._ic_module import ICModule
from ansible_collections.icp.canister_factory.plugins.module_utils._canister_lifecycle import CanisterLifecycle


class ICCanister(CanisterLifecycle, ICModule):
    """ic_canister: find or create, converge settings, start/stop, delete (options: CanisterLifecycle)."""

    input_checks = "ic_canister"


def main():
    ICCanister.main()


if __name__ == "__main__":
    main()
