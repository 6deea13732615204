#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ic_snapshot
short_description: Take, delete and restore canister snapshots on the Internet Computer
version_added: 0.1.0
description:
  - V(present) takes a snapshot (of the canister's Wasm, heap, stable memory and chunk store).
  - V(absent) deletes one snapshot by id, or every snapshot older than a given age or beyond the newest few.
  - V(restored) loads a snapshot back; a running canister is stopped around the load and started again.
  - V(downloaded) writes a backup to disk, as a folder in O(dest) holding the module, heap, stable
    memory, chunk store, metadata and a C(manifest.json) with the SHA-256 of every file. It takes a
    snapshot (the canister is stopped only while the snapshot is taken) unless O(snapshot_id) names
    one, downloads it, and deletes the snapshot it took. With O(if_changed) a backup whose state
    equals the newest one in O(dest) is not kept. O(keep) and O(older_than) then prune O(dest).
  - With O(if_changed), V(downloaded) first asks by query alone whether anything changed since the
    newest backup. When the canister's module hash, its canister version (C(canister_status),
    which goes up with every update, timer, callback and management change) and its template's
    C(state_version) (C(get_info)) equal those the newest backup's manifest recorded, it takes no
    snapshot and makes no update call. A template without C(state_version) is snapshotted and
    compared as before.
  - V(uploaded) brings a backup folder back into this canister (the same one or another one). It
    checks every file against the manifest, uploads it as a new snapshot, loads it (stopping a
    running canister around the load) and deletes the uploaded snapshot. A run killed in the middle
    resumes the same upload (its progress is kept in a hidden file in the folder).
author:
  - icp.canister_factory maintainers (@icp-canister-factory)
extends_documentation_fragment:
  - icp.canister_factory.ic
  - icp.canister_factory.ic.ATTRIBUTES
  - icp.canister_factory.ic.SUPPORT_FULL
  - icp.canister_factory.ic.TARGET
attributes:
  idempotent:
    support: partial
    details:
      - V(absent) is idempotent.
      - V(present) is idempotent with O(if_older_than); without it, each run takes a new snapshot.
      - V(restored) and V(uploaded) load the snapshot on every run.
      - V(downloaded) keeps no new backup of an unchanged canister with O(if_changed). For a template
        reporting C(state_version) it finds that out with queries only (no update call); for others it
        takes (and deletes) a snapshot to find out.
options:
  state:
    description: What to do, see the description.
    type: str
    choices: [present, absent, restored, downloaded, uploaded]
    default: present
  snapshot_id:
    description:
      - Hex id of the snapshot to delete (V(absent)) or load (V(restored); default the newest).
      - For V(downloaded), download this existing snapshot instead of taking one.
    type: str
  replace:
    description:
      - For V(present), the hex id of a snapshot that the new one replaces, or V(oldest) to replace the
        oldest one only when the canister is at its limit of snapshots.
    type: str
  if_older_than:
    description:
      - For V(present), take a snapshot only when the newest one is older than this many seconds.
    type: int
  older_than:
    description:
      - For V(absent) without O(snapshot_id), delete every snapshot older than this many seconds.
      - For V(downloaded), delete the backups in O(dest) older than this many seconds, except the newest.
    type: int
  keep:
    description:
      - For V(absent) without O(snapshot_id), delete all but the newest O(keep) snapshots.
      - For V(downloaded), delete all but the newest O(keep) backups in O(dest) (at least one stays).
    type: int
  dest:
    description: For V(downloaded), the directory of this canister's backups (one folder per backup).
    type: path
  src:
    description:
      - For V(uploaded), a backup folder (with C(manifest.json)), or a directory of backup folders
        whose newest one is used.
    type: path
  if_changed:
    description: For V(downloaded), keep no new backup when the state equals the newest backup's.
    type: bool
    default: true
  labels:
    description: For V(downloaded), further keys for the manifest (for example C(template), C(wasm_version)).
    type: dict
  allowed_module_hashes:
    description:
      - For V(uploaded), the hex module hashes the target's template allows. A backup holding another
        module is refused unless O(force=true). Empty means no check.
    type: list
    elements: str
  force:
    description: For V(uploaded), upload a module that O(allowed_module_hashes) does not list.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait for the canister to stop or start around a restore.
    type: int
    default: 300
"""

EXAMPLES = r"""
- name: Take a snapshot unless one is younger than a day, replacing the oldest at the limit
  icp.canister_factory.ic_snapshot:
    canister_id: "{{ canister_id }}"
    replace: oldest
    if_older_than: 86400

- name: Keep the three newest
  icp.canister_factory.ic_snapshot:
    canister_id: "{{ canister_id }}"
    state: absent
    keep: 3
"""

RETURN = r"""
canister_id:
  description: Principal text of the canister.
  returned: always
  type: str
  sample: lxzze-o7777-77777-aaaaa-cai
snapshots:
  description: The canister's snapshots after the task, oldest first.
  returned: unless O(state=downloaded) found the canister unchanged by query (listing them is an update call)
  type: list
  elements: dict
  contains:
    id:
      description: Hex snapshot id.
      type: str
    taken_at_timestamp:
      description: Nanoseconds since the epoch.
      type: int
    total_size:
      description: Bytes.
      type: int
  sample: [{id: "0000000000000000800000000010000101010000000000000001", taken_at_timestamp: 1764806400000000000, total_size: 5636096}]
snapshot_id:
  description: Hex id of the snapshot taken, loaded or deleted (null in check mode for a new one).
  returned: when a snapshot was taken, loaded or deleted by id
  type: str
  sample: 0000000000000000800000000010000101010000000000000001
deleted:
  description: Hex ids of the snapshots deleted.
  returned: when O(state=absent)
  type: list
  elements: str
  sample: ["0000000000000000800000000010000101010000000000000001"]
backup_path:
  description: The backup folder written (or, when unchanged, the newest one) or uploaded.
  returned: when O(state=downloaded) or O(state=uploaded), not in check mode for V(downloaded)
  type: str
  sample: /backups/alice/20261204T190000.000000000Z-1a2b3c4d
backup_id:
  description: The name of that folder.
  returned: when O(state=downloaded) or O(state=uploaded), not in check mode for V(downloaded)
  type: str
  sample: 20261204T190000.000000000Z-1a2b3c4d
unchanged:
  description: Whether the state equalled the newest backup, so that no new one was kept.
  returned: when O(state=downloaded), not in check mode unless found unchanged by query
  type: bool
  sample: false
removed:
  description: Backup folders that O(keep) and O(older_than) removed.
  returned: when O(state=downloaded), not in check mode
  type: list
  elements: str
  sample: [/backups/alice/20261104T190000.000000000Z-0a1b2c3d]
module_hash:
  description: Hex module hash of the canister after the upload.
  returned: when O(state=uploaded), not in check mode
  type: str
  sample: 5c1f40b9f0a58d9a4b3e59cfbc7a2e8cd3f7d2f1a7e4c6b8d0e2f4a6c8e0b2d4
"""

import time

from ansible_collections.icp.canister_factory.plugins.module_utils._ic_module import WAIT_TIMEOUT_OPTION, ICModule, run_status
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import InputError
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.principal import Principal
from ansible_collections.icp.canister_factory.plugins.module_utils._snapshot_backup import MAX_SNAPSHOTS, SnapshotBackup


def _public(snapshot):
    return {"id": snapshot["id"].hex(), "taken_at_timestamp": int(snapshot["taken_at_timestamp"]),
            "total_size": int(snapshot["total_size"])}


class ICSnapshot(SnapshotBackup, ICModule):
    """ic_snapshot: one class, one method per state."""

    input_checks = "ic_snapshot"

    argument_spec = {
        "canister_id": {"type": "str"},
        "name": {"type": "str"},
        "registry": {"type": "path"},
        "state": {"type": "str", "default": "present",
                  "choices": ["present", "absent", "restored", "downloaded", "uploaded"]},
        "snapshot_id": {"type": "str"},
        "replace": {"type": "str"},
        "if_older_than": {"type": "int"},
        "older_than": {"type": "int"},
        "keep": {"type": "int"},
        "wait_timeout": dict(WAIT_TIMEOUT_OPTION),
        "dest": {"type": "path"},
        "src": {"type": "path"},
        "if_changed": {"type": "bool", "default": True},
        "labels": {"type": "dict"},
        "allowed_module_hashes": {"type": "list", "elements": "str"},
        "force": {"type": "bool", "default": False},
    }
    required_one_of = [["canister_id", "name"]]
    mutually_exclusive = [["canister_id", "name"]]
    required_by = {"name": "registry"}

    def run(self):
        """Take, delete or load snapshots."""
        self.canister_id = self._canister_id()
        self.principal = Principal.from_text(self.canister_id)
        if self.params["state"] == "uploaded":
            self.check_upload_source()
        self.result["canister_id"] = self.canister_id
        if self.params["state"] == "downloaded" and self.downloaded_without_change():
            return  # listing the snapshots would be an update call
        snapshots = self._list()
        self.diff.before["snapshots"] = [s["id"] for s in snapshots]
        getattr(self, "_" + self.params["state"])(snapshots)
        final = self._list() if self.result["changed"] and not self.check_mode else snapshots
        self.result["snapshots"] = final
        if not self.check_mode:
            self.diff.after["snapshots"] = [s["id"] for s in final]

    def _canister_id(self):
        return self.require_canister()[0]

    def _list(self):
        found = self.mgmt("list_canister_snapshots", {"canister_id": self.principal})
        return sorted((_public(s) for s in found), key=lambda s: (s["taken_at_timestamp"], s["id"]))

    def _snapshot_id(self, field="snapshot_id"):
        try:
            return bytes.fromhex(self.params[field])
        except ValueError:
            raise InputError(field, "not a hex snapshot id") from None

    def _present(self, snapshots):
        age = self.params.get("if_older_than")
        if age is not None and snapshots:
            newest = snapshots[-1]["taken_at_timestamp"]
            if time.time_ns() - newest < age * 1_000_000_000:
                return
        replace = None
        if self.params.get("replace") == "oldest":
            if len(snapshots) >= MAX_SNAPSHOTS:
                replace = bytes.fromhex(snapshots[0]["id"])
        elif self.params.get("replace"):
            replace = self._snapshot_id("replace")
            if replace.hex() not in {s["id"] for s in snapshots}:
                raise InputError("replace", f"canister {self.canister_id} has no snapshot {replace.hex()}")
        elif len(snapshots) >= MAX_SNAPSHOTS:
            raise InputError("replace", f"canister {self.canister_id} has {len(snapshots)} snapshots, the "
                             "limit; give replace: oldest or a snapshot id, or delete some first")
        taken = self.change(self.mgmt, "take_canister_snapshot", {
            "canister_id": self.principal, "replace_snapshot": replace, "uninstall_code": None,
            "sender_canister_version": None})
        self.result["snapshot_id"] = taken["id"].hex() if taken else None
        if self.check_mode:
            kept = [s["id"] for s in snapshots if replace is None or s["id"] != replace.hex()]
            self.diff.after["snapshots"] = kept + ["(new)"]

    def _absent(self, snapshots):
        params = self.params
        given = [k for k in ("snapshot_id", "older_than", "keep") if params.get(k) is not None]
        if len(given) > 1:
            raise InputError(given[0], f"state=absent takes one of snapshot_id, older_than or keep, not {' and '.join(given)}")
        if params.get("snapshot_id"):
            wanted = self._snapshot_id().hex()
            doomed = [s["id"] for s in snapshots if s["id"] == wanted]
            self.result["snapshot_id"] = wanted
        elif params.get("older_than") is not None:
            cutoff = time.time_ns() - params["older_than"] * 1_000_000_000
            doomed = [s["id"] for s in snapshots if s["taken_at_timestamp"] < cutoff]
        elif params.get("keep") is not None:
            if params["keep"] < 0:
                raise InputError("keep", "must be zero or more")
            doomed = [s["id"] for s in snapshots][:max(len(snapshots) - params["keep"], 0)]
        else:
            raise InputError("snapshot_id", "state=absent needs snapshot_id, older_than or keep")
        self.result["deleted"] = doomed
        for snapshot_id in doomed:
            self.change(self.mgmt, "delete_canister_snapshot",
                        {"canister_id": self.principal, "snapshot_id": bytes.fromhex(snapshot_id)})
        if self.check_mode:
            self.diff.after["snapshots"] = [s["id"] for s in snapshots if s["id"] not in doomed]

    def _restored(self, snapshots):
        if self.params.get("snapshot_id"):
            wanted = self._snapshot_id().hex()
            if wanted not in {s["id"] for s in snapshots}:
                raise InputError("snapshot_id", f"canister {self.canister_id} has no snapshot {wanted}")
        elif snapshots:
            wanted = snapshots[-1]["id"]
        else:
            raise InputError("snapshot_id", f"canister {self.canister_id} has no snapshots to restore")
        self.result["snapshot_id"] = wanted
        self.diff.add("loaded_snapshot", None, wanted)
        self.result["changed"] = True
        if self.check_mode:
            return
        status = self.canister_status(self.canister_id)
        was_running = run_status(status) != "stopped"
        if was_running:
            self.mgmt("stop_canister", {"canister_id": self.principal})
            self.wait_for_status(self.canister_id, "stopped", self.params["wait_timeout"])
        try:
            self.mgmt("load_canister_snapshot", {"canister_id": self.principal,
                                                 "snapshot_id": bytes.fromhex(wanted),
                                                 "sender_canister_version": None})
        finally:
            if was_running:
                self.mgmt("start_canister", {"canister_id": self.principal})


def main():
    ICSnapshot.main()


if __name__ == "__main__":
    main()
