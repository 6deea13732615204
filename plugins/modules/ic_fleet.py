#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ic_fleet
short_description: Converge many canisters in one module run - create or find, settings, Wasm, cycles band, registry
version_added: 0.1.0
description:
  - The batch path of the C(canister) role. For every item of O(canisters) it does what the role does
    for one inventory host - create the canister or find it through its registry entry, converge its
    settings and run state, install or upgrade the Wasm module (mode auto), top it up into the
    cycles band, and leave the registry entry C(active) - with the same code as
    M(icp.canister_factory.ic_canister) and M(icp.canister_factory.ic_code).
  - The canisters are handled concurrently by O(workers) threads that share one agent, identity and
    root key, so a fleet costs one module run instead of several per canister.
  - Each module is sent once per run - uploaded (C(upload_chunk), once per distinct chunk) into the
    Wasm chunk store of the first canister to be installed - and every canister is installed from
    there with C(install_chunked_code). That canister's registry entry is marked C(chunk_store)
    before the upload, so a run after a crash installs from the chunks already stored; the store
    is emptied (C(clear_chunk_store)) and the mark removed at the end of the run.
  - When the install fails on a canister created by this run, the canister is deleted (unless
    O(canisters[].keep_failed)), and its registry entry is marked C(failed) with the error and without
    the canister id. The other canisters go on; the task fails at the end and lists the failures.
  - Registry changes are written by group commit under the registry lock, appended to the registry's
    journal (so a write costs what it changes, not the size of the registry). A C(creating) entry with its
    deduplication key is on disk before its create call, and a canister id as soon as it is known, so a
    crash never loses a canister; other changes go with the next write or at the end of the run, when
    the journal is folded into the registry file.
  - Reads use C(canister_status) as a query, so a converged fleet makes no update calls and does not
    rewrite the registry.
  - Every item's init argument text is checked (parsed and typed by the module's or O(canisters[].did)'s
    init types) before any call. A text that passed is remembered beside the registry
    (C(<registry>.checked-args), the SHA-256 of the text with those of the module and the C(did) file)
    and not parsed again on the next run; any change of text, module or C(did) file checks it again,
    and a text that fails is never remembered. Only a run that succeeded, not in check mode, writes it.
  - With O(action=upgrade) it is the batch path of the C(fleet_upgrade) role instead. For every item of
    O(upgrades) it does what the role's M(icp.canister_factory.ic_code) task does, with the same code - a
    snapshot, the upgrade with the item's argument, the O(upgrades[].verify_method) query that must answer
    the module's version, and on any failure the snapshot loaded back, the canister running again and the
    rollback recorded in its registry entry. A canister whose recorded O(upgrades[].module_hash) already is
    the module's hash costs no call. Each item's outcome is in RV(canisters), so that a playbook can fail
    exactly the hosts that failed (C(playbooks/upgrade.yml) does). The items go in batches of
    O(batch_size), and no batch starts after one with more failures than O(max_fail_percentage) allows,
    so one run does a whole rolling upgrade.
  - The action plugin of the same name first runs this module's check mode in the controller
    process (with C(connection=local), no C(become), C(async) or task C(environment)). When
    nothing would change, its result is the task's result and the module is not run; otherwise
    the module runs. That probe uses the controller's Python whatever C(ansible_python_interpreter)
    says. When C(ansible_python_interpreter) is the controller's own Python (C(playbooks/provision.yml)
    and C(playbooks/upgrade.yml) set it so), the module itself runs in the controller's worker process,
    with the same arguments, checks and result, instead of being packed and started as a process
    of its own. Set E(ICP_FLEET_CONTROLLER_PROBE=0) on the controller to always run the module as a process.
author:
  - icp.canister_factory maintainers (@icp-canister-factory)
extends_documentation_fragment:
  - icp.canister_factory.ic
  - icp.canister_factory.ic.ATTRIBUTES
  - icp.canister_factory.ic.SUPPORT_FULL
  - icp.canister_factory.ic.UNKNOWN_OUTCOMES
attributes:
  action:
    description:
      - Has a corresponding action plugin; a converged fleet is answered on the controller, and with
        the controller's Python the module runs in the controller process.
    support: full
options:
  registry:
    description:
      - Path of the registry file (a YAML inventory) where the canisters are recorded by name.
    type: path
    required: true
  workers:
    description:
      - How many canisters are converged (or upgraded) at the same time (threads).
      - In check mode (and in the controller probe of a converged rerun), how many status queries
        are on the wire at once; the canisters are then converged one after the other as their
        statuses come in.
    type: int
    default: 8
  action:
    description:
      - V(converge) makes the O(canisters) as they are described (the C(canister) role's work).
      - V(upgrade) upgrades the O(upgrades) with snapshot, version check and rollback (the C(fleet_upgrade) role's work).
    type: str
    choices: [converge, upgrade]
    default: converge
  version_manifest:
    description:
      - With O(action=upgrade), the build manifest that gives the version of a module when
        O(upgrades[].version) is not set (see O(icp.canister_factory.ic_code#module:version_manifest)).
    type: path
  batch_size:
    description:
      - With O(action=upgrade), how many canisters of O(upgrades) are upgraded in one batch, in list order
        (at the same time, by up to O(workers) threads); a batch starts when the one before it has ended.
      - As a play's C(serial) - a number, a percentage of O(upgrades) such as V(20%) (rounded down, at least
        one), or a list of those for growing batches (the last one repeats).
      - Not set or V(0) (as a play's C(serial) of 0), all of O(upgrades) are one batch.
    type: raw
  max_fail_percentage:
    description:
      - With O(action=upgrade), no further batch starts once a batch ended with more failed canisters than
        this percentage of it allows (as a play's C(max_fail_percentage) counts a C(serial) batch).
        V(0) halts after any failure.
      - The canisters not attempted are in RV(canisters) with C(halted=true), neither changed nor failed;
        the task fails because of the failures that halted it.
    type: int
    default: 0
  upgrades:
    description:
      - With O(action=upgrade), the canisters to upgrade, one item per canister.
    type: list
    elements: dict
    suboptions:
      name:
        description: Registry name of the canister (unique in the list); the item's name in RV(canisters).
        type: str
        required: true
      canister_id:
        description: The canister's id, for a canister that has no registry entry (a child of the factory canister).
        type: str
      wasm:
        description: Path of the new module, C(.wasm) or gzipped C(.wasm.gz).
        type: path
        required: true
      version:
        description:
          - Version the O(upgrades[].verify_method) query must answer, recorded in the entry; when not set,
            the one O(version_manifest) gives for the module (any answer that does not trap when neither knows it).
        type: str
      arg:
        description: Upgrade argument as Candid text.
        type: str
      verify_method:
        description: Query that answers the installed version.
        type: str
        default: version
      wasm_memory_persistence:
        description: Keep or replace the Wasm heap (see O(icp.canister_factory.ic_code#module:wasm_memory_persistence)).
        type: str
        choices: [keep, replace]
      module_hash:
        description: The module hash the registry (or the factory) records for the canister; equal to the new module's, no call is made.
        type: str
      notify_factory:
        description: Canister id of the factory to tell about the child's new module (see O(icp.canister_factory.ic_code#module:notify_factory)).
        type: str
  from_inventory:
    description:
      - With O(action=converge), instead of O(canisters) - read by the action plugin of the same name only,
        which builds O(canisters) from the inventory before anything else, with the rules of the template
        roles (the P(icp.canister_factory.fleet_specs#filter) filter, the same function) - one item per
        host of O(from_inventory.group), its host variables templated in its own context, a host variable
        winning over the template's default. C(playbooks/provision.yml) uses it.
      - Built there, the items of a large fleet are not templated and finalized as a task argument
        (on a converged rerun of 1,000 canisters, ~0.25 s less).
      - The module itself refuses it (it only reaches the module when the action plugin is bypassed).
    type: dict
    suboptions:
      group:
        description: The inventory group whose hosts are the canisters, in the group's order.
        type: str
        required: true
      templates:
        description:
          - The template names (C(user) for group C(user_canisters)) whose hosts may be in O(from_inventory.group).
          - The defaults of a template are its variables C(<template>_canister_<key>) for the keys C(wasm), C(did),
            C(version), C(init_arg), C(settings), C(cycles), C(cycles_min), C(cycles_target) and C(keep_failed)
            (the template roles' defaults), rendered in the task's context, for the templates the hosts use only.
        type: list
        elements: str
        required: true
      owner_marker:
        description: The text that stands for the owner in the templates' default init arguments.
        type: str
        default: "@owner@"
  canisters:
    description:
      - With O(action=converge), the canisters to converge, one item per canister.
    type: list
    elements: dict
    suboptions:
      name:
        description: Registry name of the canister (unique in the list).
        type: str
        required: true
      template:
        description: Template recorded in the entry; puts the host into group C(<template>_canisters).
        type: str
      owner:
        description: Owner principal (text), recorded in the entry.
        type: str
        required: true
      wasm:
        description: Path of the module, C(.wasm) or gzipped C(.wasm.gz).
        type: path
        required: true
      wasm_version:
        description: Version label recorded in the entry.
        type: str
      arg:
        description: Init (and upgrade) argument as Candid text.
        type: str
      arg_value:
        description:
          - Init argument as data, typed by O(canisters[].did) or the module's C(candid:service) metadata.
          - Wins over O(canisters[].arg).
        type: raw
      arg_default:
        description:
          - The template's default argument. An O(canisters[].arg) equal to it is not recorded in the
            entry (it follows from the recorded owner); any other argument is recorded as C(init_arg)
            or C(init_value), as the C(canister) role does.
        type: str
      did:
        description: Candid file whose init arguments type O(canisters[].arg_value).
        type: path
      settings:
        description:
          - Settings to converge; only the keys given are managed (see M(icp.canister_factory.ic_canister)).
          - O(canisters[].settings.controllers) must include the calling identity.
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
      state:
        description: Run state to leave the canister in; V(present) leaves it alone.
        type: str
        choices: [present, running, stopped]
        default: running
      funding:
        description: How a new canister is paid for (see O(icp.canister_factory.ic_canister#module:funding)).
        type: str
        choices: [auto, provisional, cycles_ledger]
        default: auto
      cycles:
        description: Cycles a new canister is created with.
        type: int
      cycles_min:
        description: Balance below which the canister is topped up; no top-up when not set.
        type: int
      cycles_target:
        description: Balance a top-up brings the canister to (O(canisters[].cycles_min) when not set).
        type: int
      cycles_source:
        description:
          - Where top-up cycles come from, as O(icp.canister_factory.ic_cycles#module:source).
          - V(auto) is V(provisional) on a local network and V(cycles_ledger) elsewhere.
          - A V(cycles_ledger) top-up keeps its deduplication key in the registry entry (C(pending_top_up)) until its
            outcome is known, as M(icp.canister_factory.ic_cycles) does, so a lost reply is never paid twice.
        type: str
        choices: [auto, provisional, cycles_ledger]
        default: auto
      keep_failed:
        description: Keep a canister created by this run whose install failed, instead of deleting it.
        type: bool
        default: false
"""

EXAMPLES = r"""
- name: Two user canisters in one module run
  icp.canister_factory.ic_fleet:
    registry: registry.yml
    workers: 8
    canisters:
      - name: alice-user
        template: user
        owner: "{{ alice_principal }}"
        wasm: wasm/user.wasm.gz
        arg: '(record { owner = principal "{{ alice_principal }}" })'
        arg_default: '(record { owner = principal "{{ alice_principal }}" })'
        cycles: 1000000000000
        cycles_min: 300000000000
        cycles_target: 1000000000000
        settings:
          freezing_threshold: 2592000
      - name: bob-user
        template: user
        owner: "{{ bob_principal }}"
        wasm: wasm/user.wasm.gz
        arg_value:
          owner: "{{ bob_principal }}"
        did: wasm/user.did
  register: fleet

- name: Show what happened
  ansible.builtin.debug:
    msg: "{{ fleet.counts }}"

- name: Upgrade two user canisters to the shipped module, with snapshot, version check and rollback
  icp.canister_factory.ic_fleet:
    registry: registry.yml
    action: upgrade
    version_manifest: wasm/manifest.json
    batch_size: 10
    max_fail_percentage: 0
    upgrades:
      - name: alice-user
        wasm: wasm/user.wasm.gz
        arg: '(record { owner = principal "{{ alice_principal }}" })'
      - name: bob-user
        wasm: wasm/user.wasm.gz
        arg: '(record { owner = principal "{{ bob_principal }}" })'
  register: rollout
"""

RETURN = r"""
canisters:
  description: One result per item of O(canisters) (or O(upgrades)), in the same order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The item's name.
      type: str
    canister_id:
      description: Principal text of the canister; null when it does not exist (check mode, rollback).
      type: str
    changed:
      description: Whether the canister or its entry changed (in check mode, would change).
      type: bool
    failed:
      description: Whether converging this canister failed.
      type: bool
    msg:
      description: The failure, prefixed by the step (C(create or find), C(install), C(top up), C(upgrade)).
      type: str
      returned: when failed
    error:
      description: C(reject_code), C(error_code) and C(message) of the IC's refusal.
      type: dict
      returned: when the IC refused a call
    created:
      description: Whether this run created the canister (in check mode, would create it).
      type: bool
    mode:
      description: V(install), V(upgrade) or V(none).
      type: str
      returned: when the install step ran
    module_hash:
      description: Hex module hash after the task.
      type: str
      returned: when the install step ran
    installed_now:
      description: Whether code was installed by this run.
      type: bool
      returned: when the install step ran
    status:
      description: Run status after the task.
      type: str
      returned: when the canister was found or created
    cycles:
      description: Cycle balance after the task.
      type: int
      returned: when the canister exists
    topped_up:
      description: Cycles added to bring the canister into its band.
      type: int
      returned: when a top-up was (or would be) made
    rolled_back:
      description:
        - Whether a canister created by this run was deleted after its install failed.
        - With O(action=upgrade), whether the snapshot taken before a failed upgrade was loaded back.
      type: bool
      returned: when the install (or upgrade) failed
    snapshot_id:
      description: Hex id of the snapshot taken before the upgrade.
      type: str
      returned: with O(action=upgrade), when an upgrade ran
    verify_reply:
      description: Candid text of the version query's reply.
      type: str
      returned: with O(action=upgrade), when the module was installed
    halted:
      description: With O(action=upgrade), the canister was not attempted because the rollout halted (see O(max_fail_percentage)).
      type: bool
      returned: with O(action=upgrade), when the rollout halted before the canister's batch
    cycles_reclaimed:
      description: Cycles the rolled-back canister gave back to the caller's cycles-ledger account before its deletion.
      type: int
      returned: when a canister was rolled back
  sample: [{name: alice, canister_id: lxzze-o7777-77777-aaaaa-cai, changed: true, failed: false, created: true, mode: install}]
counts:
  description: How many canisters were handled, by outcome.
  returned: always
  type: dict
  contains:
    total:
      description: Items in O(canisters).
      type: int
    ok:
      description: Canisters that converged.
      type: int
    failed:
      description: Canisters that failed.
      type: int
    changed:
      description: Canisters that changed.
      type: int
    created:
      description: Canisters created.
      type: int
    installed:
      description: Canisters whose module was installed.
      type: int
    upgraded:
      description: Canisters whose module was upgraded.
      type: int
    topped_up:
      description: Canisters topped up.
      type: int
    rolled_back:
      description: New canisters deleted after a failed install (with O(action=upgrade), upgrades rolled back).
      type: int
    halted:
      description: With O(action=upgrade), canisters not attempted because the rollout halted.
      type: int
  sample: {total: 50, ok: 50, failed: 0, changed: 50, created: 50, installed: 50, upgraded: 0, topped_up: 0, rolled_back: 0, halted: 0}
failed_names:
  description: Names of the canisters that failed.
  returned: always
  type: list
  elements: str
  sample: []
halted:
  description: With O(action=upgrade), whether the rollout halted before its last batch (see O(max_fail_percentage)).
  returned: with O(action=upgrade)
  type: bool
  sample: false
seconds:
  description: Wall time of the converge, in seconds.
  returned: always
  type: float
  sample: 4.213
"""

from ansible_collections.icp.canister_factory.plugins.module_utils._ic_module import ICModule
from ansible_collections.icp.canister_factory.plugins.module_utils._fleet import Fleet, spec_argument_spec
from ansible_collections.icp.canister_factory.plugins.module_utils._fleet_upgrade import (
    FleetUpgrade, upgrade_argument_spec)


class ICFleet(FleetUpgrade, Fleet, ICModule):
    """ic_fleet: the canister role's converge (or the fleet_upgrade role's upgrade) for many canisters, in threads."""

    input_checks = "ic_fleet"

    argument_spec = {
        "registry": {"type": "path", "required": True},
        "workers": {"type": "int", "default": 8},
        "action": {"type": "str", "default": "converge", "choices": ["converge", "upgrade"]},
        "version_manifest": {"type": "path"},
        "batch_size": {"type": "raw"},
        "max_fail_percentage": {"type": "int", "default": 0},
        "canisters": {"type": "list", "elements": "dict", "options": spec_argument_spec()},
        # Read by the action plugin, which turns it into canisters (see DOCUMENTATION).
        "from_inventory": {"type": "dict", "options": {
            "group": {"type": "str", "required": True},
            "templates": {"type": "list", "elements": "str", "required": True},
            "owner_marker": {"type": "str", "default": "@owner@"}}},
        "upgrades": {"type": "list", "elements": "dict", "options": upgrade_argument_spec()},
    }
    # from_inventory never reaches the module from the action plugin; given, it is refused by name
    # (validation.fleet) rather than as a missing canisters.
    required_if = [["action", "converge", ["canisters", "from_inventory"], True], ["action", "upgrade", ["upgrades"]]]

    def run(self):
        """Converge ``canisters``, or upgrade ``upgrades`` with ``action=upgrade``."""
        if self.params["action"] == "upgrade":
            self.run_upgrade()
        else:
            Fleet.run(self)


def main():
    ICFleet.main()


if __name__ == "__main__":
    main()
