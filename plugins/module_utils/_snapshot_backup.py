# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What ``ic_snapshot`` does for V(downloaded) and V(uploaded): backups on disk and back.

Mixed into the ``ICSnapshot`` module class; uses its ``params``, ``principal``, ``canister_id``,
``result``, ``diff`` and management helpers.
"""

from __future__ import annotations

import os
import time

from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import InputError
from ansible_collections.icp.canister_factory.plugins.module_utils._ic_module import hex_or_none, run_status
from ansible_collections.icp.canister_factory.plugins.module_utils import _snapshot_download as snapshot_download
from ansible_collections.icp.canister_factory.plugins.module_utils import _snapshot_files as snapshot_files
from ansible_collections.icp.canister_factory.plugins.module_utils import _snapshot_unchanged as snapshot_unchanged

MAX_SNAPSHOTS = 10


def newest_backup(src, field="src"):
    """The folder to restore from: ``src`` itself when it is a backup, else its newest backup."""
    if os.path.isfile(os.path.join(src, snapshot_files.MANIFEST)):
        return src
    found = snapshot_files.backups(src)
    if not found:
        raise InputError(field, f"{src} holds no backup (no folder with {snapshot_files.MANIFEST})")
    return found[-1][1]


class SnapshotBackup:
    """``_downloaded`` and ``_uploaded`` of ic_snapshot."""

    # ----- stop only as long as needed -------------------------------------------------

    def _stopped_for(self, action, status):
        """Run ``action()`` with the canister stopped, starting it again when it was running."""
        was_running = run_status(status) != "stopped"
        if was_running:
            self.mgmt("stop_canister", {"canister_id": self.principal})
            self.wait_for_status(self.canister_id, "stopped", self.params["wait_timeout"])
        try:
            return action()
        finally:
            if was_running:
                self.mgmt("start_canister", {"canister_id": self.principal})

    def _existing_status(self):
        status = self.canister_status(self.canister_id)
        if status is None:
            raise InputError("canister_id", f"canister {self.canister_id} does not exist")
        return status

    # ----- download --------------------------------------------------------------------

    def downloaded_without_change(self):
        """The fast path of V(downloaded): True when the newest backup in ``dest`` provably holds the
        canister's current state (``snapshot_unchanged``), found with queries only; the result is
        then set (no new backup, retention applied) and no update call is made."""
        params = self.params
        if not params.get("dest") or not params["if_changed"] or params.get("snapshot_id"):
            return False
        found = snapshot_files.backups(params["dest"])
        if not found:
            return False
        now = snapshot_unchanged.current(self.agent, self.principal, self.canister_status(self.canister_id))
        if not snapshot_unchanged.still_matches(found[-1][2], now):
            return False
        self.diff.before["backups"] = [b[0] for b in found]
        self.result.update(unchanged=True, backup_path=found[-1][1], backup_id=found[-1][0])
        self._prune(params["dest"])
        return True

    def _prune(self, dest):
        """Apply ``keep``/``older_than`` to ``dest`` (in check mode only predict it)."""
        found = snapshot_files.backups(dest)
        removed = snapshot_files.expired(found, self.params.get("keep"), self.params.get("older_than"))
        if not self.check_mode:
            for _name, old, _manifest in removed:
                snapshot_files.remove_folder(old)
        self.result["removed"] = [b[0] for b in removed]
        if removed:
            self.result["changed"] = True
        self.diff.after["backups"] = [b[0] for b in found if b not in removed]

    def _downloaded(self, snapshots):
        params = self.params
        dest = params.get("dest")
        if not dest:
            raise InputError("dest", "state=downloaded needs dest (the directory of this canister's backups)")
        status = self._existing_status()
        if status.get("module_hash") is None:
            raise InputError("canister_id", f"canister {self.canister_id} has no code; there is nothing to back up")
        found = snapshot_files.backups(dest)
        self.diff.before["backups"] = [b[0] for b in found]
        if self.check_mode:
            # Whether the state changed is known only from a snapshot, which check mode does not take.
            self.result["changed"] = True
            self.diff.after["backups"] = [b[0] for b in found] + ["(new)"]
            return
        os.makedirs(dest, exist_ok=True)
        for stale in os.listdir(dest):
            if stale.startswith(".partial-"):
                snapshot_files.remove_folder(os.path.join(dest, stale))
        before = None if params.get("snapshot_id") else snapshot_unchanged.current(self.agent, self.principal, status)
        taken, snapshot_id = self._snapshot_for_download(snapshots, status)
        try:
            # Read after the restart (the canister version counts our stop and start too); kept
            # only when no write can have come between the snapshot and this read.
            key = snapshot_unchanged.proven(before, snapshot_unchanged.current(
                self.agent, self.principal, self.canister_status(self.canister_id))) if taken else None
            folder = self._download(snapshot_id, status, found, dest, key)
        finally:
            if taken:
                self.mgmt("delete_canister_snapshot", {"canister_id": self.principal, "snapshot_id": snapshot_id})
        self.result["backup_path"] = folder
        self.result["backup_id"] = os.path.basename(folder)
        self._prune(dest)

    def _snapshot_for_download(self, snapshots, status):
        """``(taken by us, snapshot id)``: the given snapshot, or a new one taken while stopped."""
        if self.params.get("snapshot_id"):
            wanted = self._snapshot_id()
            if wanted.hex() not in {s["id"] for s in snapshots}:
                raise InputError("snapshot_id", f"canister {self.canister_id} has no snapshot {wanted.hex()}")
            return False, wanted
        replace = bytes.fromhex(snapshots[0]["id"]) if len(snapshots) >= MAX_SNAPSHOTS else None
        taken = self._stopped_for(lambda: self.mgmt("take_canister_snapshot", {
            "canister_id": self.principal, "replace_snapshot": replace, "uninstall_code": None,
            "sender_canister_version": None}), status)
        return True, bytes(taken["id"])

    def _download(self, snapshot_id, status, found, dest, key=None):
        """Download into a hidden folder; keep it as a new backup unless it equals the newest one.

        ``key`` (``snapshot_unchanged``) goes into the manifest kept, so that the next run can
        skip with queries alone."""
        partial = f".partial-{os.getpid()}-{time.time_ns()}"
        path = snapshot_download.download(self.mgmt, self.principal, snapshot_id, dest, folder=partial,
                                          module_hash=hex_or_none(status.get("module_hash")),
                                          **(self.params.get("labels") or {}))
        manifest = snapshot_files.read_manifest(path, field="dest")
        newest = found[-1] if found else None
        if self.params["if_changed"] and newest and newest[2].get("state_sha256") == manifest["state_sha256"]:
            snapshot_files.remove_folder(path)
            self.result["unchanged"] = True
            if key is not None and newest[2].get(snapshot_unchanged.STATE_KEY) != key:
                snapshot_files.write_json(os.path.join(newest[1], snapshot_files.MANIFEST),
                                          dict(newest[2], **{snapshot_unchanged.STATE_KEY: key}))
            return newest[1]
        name = snapshot_files.backup_id(manifest["taken_at_timestamp"], snapshot_id)
        manifest["backup_id"] = name
        if key is not None:
            manifest[snapshot_unchanged.STATE_KEY] = key
        snapshot_files.write_json(os.path.join(path, snapshot_files.MANIFEST), manifest)
        final = os.path.join(dest, name)
        os.replace(path, final)
        self.result["changed"] = True
        self.result["unchanged"] = False
        return final

    # ----- upload ----------------------------------------------------------------------

    def check_upload_source(self):
        """Check the backup folder and its module before any call (a damaged one sends nothing)."""
        if not self.params.get("src"):
            raise InputError("src", "state=uploaded needs src (a backup folder or a directory of backups)")
        folder = newest_backup(self.params["src"])
        self._check_module(snapshot_files.read_manifest(folder))
        self._upload_folder = folder

    def _uploaded(self, snapshots):
        folder = self._upload_folder
        status = self._existing_status()
        self.result["backup_path"] = folder
        self.result["backup_id"] = os.path.basename(folder)
        self.diff.add("loaded_backup", None, os.path.basename(folder))
        self.result["changed"] = True
        if self.check_mode:
            return
        upload = snapshot_files.Upload(self.mgmt, self.principal, folder)
        existing = {s["id"] for s in snapshots}
        ours = upload.progress().get("snapshot_id")
        others = [s for s in snapshots if s["id"] != ours]
        replace = bytes.fromhex(others[0]["id"]) if len(snapshots) >= MAX_SNAPSHOTS and ours not in existing \
            else None
        snapshot_id = upload.run(existing, replace)
        self.result["snapshot_id"] = snapshot_id.hex()
        self._stopped_for(lambda: self.mgmt("load_canister_snapshot", {
            "canister_id": self.principal, "snapshot_id": snapshot_id, "sender_canister_version": None}),
            status)
        self.mgmt("delete_canister_snapshot", {"canister_id": self.principal, "snapshot_id": snapshot_id})
        upload.finish()
        after = self.canister_status(self.canister_id)
        self.result["module_hash"] = hex_or_none(after.get("module_hash")) if after else None

    def _check_module(self, manifest):
        allowed = [h.lower() for h in self.params.get("allowed_module_hashes") or []]
        if not allowed or self.params["force"]:
            return
        hashes = {manifest.get("module_hash"), (manifest["files"].get("wasm_module.bin") or {}).get("sha256")}
        if not hashes & set(allowed):
            raise InputError("allowed_module_hashes", f"the backup holds module {manifest.get('module_hash')}, "
                             "which the target's template does not allow; give force=true to upload it anyway")
