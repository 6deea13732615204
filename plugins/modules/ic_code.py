#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ic_code
short_description: Install or upgrade the Wasm module of a canister on the Internet Computer
version_added: 0.1.0
description:
  - Installs O(wasm) into a canister when it is empty, upgrades it when the installed module hash
    differs, and does nothing when the hash (and, where a registry entry records it, the argument
    hash) is the same.
  - Modules bigger than 2 MiB (with the argument) go through the canister's chunk store.
  - A replied install runs exactly the module it was sent, so its hash (the file's) is recorded without a read back;
    O(verify) asks the new code a query.
  - A registry entry records C(module_hash), C(arg_sha256) and C(wasm_version). A canister already on the module whose
    entry still records another one (a run killed after the install and before its registry write) gets its entry
    completed (module, version, status active, and with O(snapshot_before_upgrade) the newest snapshot as
    C(upgrade_snapshot)), which counts as a change.
author:
  - icp.canister_factory maintainers (@icp-canister-factory)
extends_documentation_fragment:
  - icp.canister_factory.ic
  - icp.canister_factory.ic.ATTRIBUTES
  - icp.canister_factory.ic.SUPPORT_FULL
  - icp.canister_factory.ic.TARGET
options:
  wasm:
    description: Path of the module, C(.wasm) or gzipped C(.wasm.gz).
    type: path
    required: true
  wasm_sha256:
    description: Expected hex SHA-256 of the file as installed; the task fails before any call when it differs.
    type: str
  wasm_version:
    description:
      - Version label recorded in the registry entry, and the version O(verify.expect_version) asks for.
      - When not set, the version that O(version_manifest) records for the module's hash.
    type: str
  version_manifest:
    description:
      - A build manifest in the format of the collection's C(wasm/manifest.json) (C(templates) items
        with C(module_hash) and C(version)); gives the version of a module when O(wasm_version) is not set.
      - A module the manifest does not list has no known version (O(verify.expect_version) then accepts any answer).
    type: path
  mode:
    description:
      - V(auto) installs into an empty canister and upgrades when the module hash differs.
      - V(install) installs into an empty canister only; V(upgrade) upgrades a non-empty one.
      - V(reinstall) wipes the canister's state (heap and stable memory); needs O(allow_data_loss=true).
      - Every mode does nothing when the installed module and argument are already the wanted ones,
        unless O(force=true).
    type: str
    choices: [auto, install, reinstall, upgrade]
    default: auto
  force:
    description: Upgrade (or reinstall) even when the module hash is the same.
    type: bool
    default: false
  allow_data_loss:
    description: Required for O(mode=reinstall).
    type: bool
    default: false
  arg:
    description: Init or upgrade argument as Candid text, for example C((record { owner = principal "aaaaa-aa" })).
    type: str
  arg_value:
    description:
      - Init or upgrade argument as data, typed by the module's C(candid:service) metadata or O(did).
      - For several arguments, a list with one item per argument.
    type: raw
  arg_hex:
    description: The argument as hex of Candid bytes.
    type: str
  did:
    description: Candid interface file whose init arguments type O(arg_value) and O(arg).
    type: path
  skip_pre_upgrade:
    description: Skip C(canister_pre_upgrade) of the old module on upgrade.
    type: bool
    default: false
  wasm_memory_persistence:
    description:
      - Keep or replace the Wasm heap on upgrade (enhanced orthogonal persistence).
      - When not set, V(keep) is used if the installed module has the C(enhanced-orthogonal-persistence)
        metadata (as icp-cli does), and nothing otherwise.
    type: str
    choices: [keep, replace]
  snapshot_before_upgrade:
    description:
      - Take a snapshot before upgrading; when the upgrade or the O(verify) step fails, load it back,
        start the canister again if it ran before, record the rollback (event and C(last_error)) in
        the registry entry, and fail with both errors.
      - With a registry entry, the snapshot takes the place of the one the canister's last upgrade took (its id is
        recorded in the entry as C(upgrade_snapshot); the IC replaces it atomically), so an upgraded canister keeps
        one upgrade snapshot. Without one, or when it is gone, a new snapshot is taken, and at the limit of
        snapshots the oldest is replaced.
    type: bool
    default: false
  stop_for_upgrade:
    description:
      - Stop a running canister before an upgrade, waiting until its open call contexts are closed
        (the IC's recommended order for a canister that makes calls of its own, such as the factory
        canister), and start it again afterwards, also when the upgrade fails (the old module is then
        still installed and runs again).
      - Nothing is stopped when no upgrade is needed, nor for an install, nor for a stopped canister.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait for the canister to stop with O(stop_for_upgrade=true).
    type: int
    default: 300
  verify:
    description: A query that must answer after installing, for example C(version).
    type: dict
    suboptions:
      method:
        description: Query method name.
        type: str
        required: true
      arg:
        description: Candid text argument.
        type: str
        default: "()"
      expect_version:
        description:
          - The reply must carry the module's version (O(wasm_version) or the O(version_manifest) one) as a text
            value; another answer fails like a trap, so with O(snapshot_before_upgrade=true) the snapshot is loaded back.
          - No check when the version is not known.
        type: bool
        default: false
  notify_factory:
    description:
      - Canister id of the factory canister that created this canister. After an install, its
        C(refresh_canister) is called so that its record shows the new module at once.
      - A failed notification is only reported in RV(notify_warning); the factory's timer refreshes the record too.
    type: str
"""

EXAMPLES = r"""
- name: Install or upgrade the user template
  icp.canister_factory.ic_code:
    name: alice
    registry: registry.yml
    wasm: wasm/user.wasm.gz
    arg_value:
      owner: "{{ alice_principal }}"
    snapshot_before_upgrade: true
    verify:
      method: version

- name: Upgrade to the shipped module; the version query must answer the manifest's version
  icp.canister_factory.ic_code:
    name: alice
    registry: registry.yml
    wasm: wasm/user.wasm.gz
    version_manifest: wasm/manifest.json
    mode: upgrade
    arg: '(record { owner = principal "{{ alice_principal }}" })'
    snapshot_before_upgrade: true
    verify:
      method: version
      expect_version: true
"""

RETURN = r"""
canister_id:
  description: Principal text of the canister.
  returned: always
  type: str
  sample: lxzze-o7777-77777-aaaaa-cai
module_hash:
  description: Hex SHA-256 of the module installed after the task (the wanted one in check mode).
  returned: always
  type: str
  sample: 5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f
previous_module_hash:
  description: Hex module hash before the task, null for an empty canister.
  returned: always
  type: str
  sample: 6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a
mode:
  description: What was (or in check mode would be) done, V(install), V(reinstall), V(upgrade) or V(none).
  returned: always
  type: str
  sample: upgrade
arg_sha256:
  description: Hex SHA-256 of the Candid argument bytes.
  returned: always
  type: str
  sample: 3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c
stopped_for_upgrade:
  description: Whether the canister was stopped for the upgrade and started again (O(stop_for_upgrade)).
  returned: always
  type: bool
  sample: false
rolled_back:
  description:
    - Whether a failed upgrade was rolled back to the snapshot taken before it (the canister runs
      the previous module).
    - V(false) when loading the snapshot back failed too.
  returned: when an upgrade with O(snapshot_before_upgrade=true) failed
  type: bool
  sample: true
installed_now:
  description: Whether code was installed by this task.
  returned: always
  type: bool
  sample: true
chunked:
  description: Whether the module went through the chunk store.
  returned: always
  type: bool
  sample: false
snapshot_id:
  description: Hex id of the snapshot taken before the upgrade.
  returned: when O(snapshot_before_upgrade=true) and an upgrade ran
  type: str
  sample: 0000000000000000800000000010000101010000000000000001
notify_warning:
  description: Why the O(notify_factory) call failed (the install stands).
  returned: when O(notify_factory) is set and its call failed
  type: str
  sample: "refresh_canister on factory lxzze-o7777-77777-aaaaa-cai failed: ..."
verify_reply:
  description: Candid text of the O(verify) query's reply.
  returned: when O(verify) is set and code was installed
  type: str
  sample: ("0.2.0")
"""

from ansible_collections.icp.canister_factory.plugins.module_utils._ic_module import ICModule
from ansible_collections.icp.canister_factory.plugins.module_utils._code_install import CodeInstall


class ICCode(CodeInstall, ICModule):
    """ic_code: install, upgrade or reinstall a module idempotently (options: CodeInstall)."""

    input_checks = "ic_code"


def main():
    ICCode.main()


if __name__ == "__main__":
    main()
