# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Snapshot folders on disk: their manifest, its check, the upload back into a canister, retention.

A folder (written by ``snapshot_download.download``) holds ``metadata.json``,
``wasm_module.bin``, ``wasm_memory.bin``, ``stable_memory.bin``, ``chunks/<hash>.bin`` and
``manifest.json``: the SHA-256 and size of every other file, the canister, the snapshot, and a
``state_sha256`` over everything that makes up the canister's state (not when it was taken), so
two backups of an unchanged canister have the same one. A folder whose files do not match its
manifest is refused before anything is sent.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import tempfile

from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import InputError

MANIFEST = "manifest.json"
FORMAT = 1
SLICE_BYTES = 2_000_000
SECTIONS = (("wasm_module", "wasm_module.bin"), ("wasm_memory", "wasm_memory.bin"),
            ("stable_memory", "stable_memory.bin"))
# Fields of the metadata that say when or as what the snapshot was taken, not what it holds.
_NOT_STATE = ("taken_at_timestamp", "canister_version", "source")
PROGRESS_PREFIX = ".upload-"


def file_sha256(path):
    """Hex SHA-256 of a file, read in slices."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _state_files(folder):
    """Relative paths of the data files of a folder (everything but the manifest and progress)."""
    found = []
    for root, _dirs, files in os.walk(folder):
        for name in files:
            if name == MANIFEST or name.startswith("."):
                continue
            found.append(os.path.relpath(os.path.join(root, name), folder))
    return sorted(found)


def _state_sha256(folder, files):
    with open(os.path.join(folder, "metadata.json"), encoding="utf-8") as handle:
        meta = json.load(handle)
    digest = hashlib.sha256(json.dumps({k: v for k, v in meta.items() if k not in _NOT_STATE},
                                       sort_keys=True).encode())
    for name in sorted(files):
        if name != "metadata.json":
            digest.update(f"{name}\0{files[name]['sha256']}\n".encode())
    return digest.hexdigest()


def write_json(path, doc):
    """Write JSON atomically (temporary file, fsync, rename)."""
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=os.path.dirname(path))
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(doc, handle, indent=2, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def write_manifest(folder, **info):
    """Hash every file of ``folder`` into its ``manifest.json`` (with ``info``); return the manifest."""
    files = {}
    for name in _state_files(folder):
        path = os.path.join(folder, name)
        files[name] = {"sha256": file_sha256(path), "size": os.path.getsize(path)}
    manifest = {"format": FORMAT, "files": files, "state_sha256": _state_sha256(folder, files)}
    manifest.update(info)
    write_json(os.path.join(folder, MANIFEST), manifest)
    return manifest


def read_manifest(folder, field="src"):
    """Return the manifest of ``folder`` after checking every file against it (InputError if not)."""
    path = os.path.join(folder, MANIFEST)
    try:
        with open(path, encoding="utf-8") as handle:
            manifest = json.load(handle)
    except FileNotFoundError:
        raise InputError(field, f"{folder} has no {MANIFEST}; give a folder written by a backup") from None
    except ValueError as exc:
        raise InputError(field, f"{path} is not JSON ({exc}); the backup is damaged") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or \
            not isinstance(manifest.get("files"), dict):
        raise InputError(field, f"{path} is not a manifest of format {FORMAT}")
    listed = manifest["files"]
    present = set(_state_files(folder))
    for name in sorted(set(listed) | present):
        if name not in listed:
            raise InputError(field, f"{folder}: file {name} is not in the manifest; the backup was changed")
        if name not in present:
            raise InputError(field, f"{folder}: file {name} of the manifest is missing")
        full = os.path.join(folder, name)
        if os.path.getsize(full) != listed[name].get("size") or file_sha256(full) != listed[name].get("sha256"):
            raise InputError(field, f"{folder}: file {name} does not match its SHA-256 in the manifest; "
                             "the backup is damaged")
    return manifest


def metadata(folder):
    """The snapshot metadata of a folder with blobs as bytes again."""
    with open(os.path.join(folder, "metadata.json"), encoding="utf-8") as handle:
        meta = json.load(handle)
    meta["certified_data"] = bytes.fromhex(meta.get("certified_data") or "")
    meta["wasm_chunk_store"] = [{"hash": bytes.fromhex(c["hash"])} for c in meta.get("wasm_chunk_store") or []]
    return meta


def backup_id(taken_at_ns, snapshot_id):
    """A sortable name for a backup folder: UTC time of the snapshot, then part of its id."""
    moment = datetime.datetime.fromtimestamp(taken_at_ns / 1e9, datetime.timezone.utc)
    return moment.strftime("%Y%m%dT%H%M%S") + f".{taken_at_ns % 1_000_000_000:09d}Z-" + \
        hashlib.sha256(bytes(snapshot_id)).hexdigest()[:8]


def backups(directory):
    """``[(backup id, folder, manifest)]`` of the complete backups in ``directory``, oldest first."""
    out = []
    try:
        names = sorted(os.listdir(directory))
    except FileNotFoundError:
        return out
    for name in names:
        folder = os.path.join(directory, name)
        if name.startswith(".") or not os.path.isfile(os.path.join(folder, MANIFEST)):
            continue
        try:
            with open(os.path.join(folder, MANIFEST), encoding="utf-8") as handle:
                out.append((name, folder, json.load(handle)))
        except ValueError:
            continue
    return out


def expired(found, keep=None, max_age=None, now_ns=None):
    """The backups of ``found`` (as ``backups`` returns) that retention removes; never the newest."""
    doomed = set()
    if keep is not None:
        doomed.update(b[0] for b in found[:max(len(found) - max(keep, 1), 0)])
    if max_age is not None:
        cutoff = (now_ns if now_ns is not None else datetime.datetime.now().timestamp() * 1e9) - max_age * 1e9
        doomed.update(b[0] for b in found[:-1] if int(b[2].get("taken_at_timestamp", 0)) < cutoff)
    return [b for b in found if b[0] in doomed]


def remove_folder(folder):
    """Delete a backup folder (its manifest first, so a half-deleted one is never taken as whole)."""
    try:
        os.unlink(os.path.join(folder, MANIFEST))
    except FileNotFoundError:
        pass
    shutil.rmtree(folder, ignore_errors=True)


class Upload:
    """Upload one folder into a canister as a new snapshot, resumable through a progress file.

    The progress file (``.upload-<canister>.json`` in the folder) records the snapshot id as
    soon as the IC gives it, then each part sent; a rerun after a crash fills the same snapshot.
    """

    def __init__(self, call, canister, folder):
        self.call = call
        self.canister = canister
        self.folder = folder
        self.progress_path = os.path.join(folder, f"{PROGRESS_PREFIX}{canister.to_text()}.json")

    def progress(self):
        """The saved progress (``{snapshot_id, done: [...]}``) or an empty dict."""
        try:
            with open(self.progress_path, encoding="utf-8") as handle:
                return json.load(handle)
        except (FileNotFoundError, ValueError):
            return {}

    def _save(self, progress):
        write_json(self.progress_path, progress)

    def finish(self):
        """Forget the progress (after the snapshot was loaded and deleted)."""
        try:
            os.unlink(self.progress_path)
        except FileNotFoundError:
            pass

    def run(self, existing_ids, replace=None):
        """Send every part not yet sent; return the snapshot id (bytes).

        ``existing_ids`` are the canister's snapshot ids (hex), to tell whether a saved
        snapshot id is still there; ``replace`` is a snapshot id to replace when at the limit.
        """
        progress = self.progress()
        if progress.get("snapshot_id") not in existing_ids:
            progress = {}
        if not progress:
            meta = metadata(self.folder)
            reply = self.call("upload_canister_snapshot_metadata", {
                "canister_id": self.canister, "replace_snapshot": replace,
                "wasm_module_size": int(meta["wasm_module_size"]), "globals": meta["globals"],
                "wasm_memory_size": int(meta["wasm_memory_size"]),
                "stable_memory_size": int(meta["stable_memory_size"]),
                "certified_data": meta["certified_data"], "global_timer": meta.get("global_timer"),
                "on_low_wasm_memory_hook_status": meta.get("on_low_wasm_memory_hook_status")})
            progress = {"snapshot_id": bytes(reply["snapshot_id"]).hex(), "done": []}
            self._save(progress)
        snapshot_id = bytes.fromhex(progress["snapshot_id"])
        for part, send in self._parts(snapshot_id):
            if part in progress["done"]:
                continue
            send()
            progress["done"].append(part)
            self._save(progress)
        return snapshot_id

    def _parts(self, snapshot_id):
        for kind, name in SECTIONS:
            path = os.path.join(self.folder, name)
            size = os.path.getsize(path)
            for offset in range(0, size, SLICE_BYTES):
                yield f"{kind}@{offset}", self._sender(snapshot_id, {kind: {"offset": offset}}, path, offset)
        chunks = os.path.join(self.folder, "chunks")
        for name in sorted(os.listdir(chunks)) if os.path.isdir(chunks) else []:
            yield f"chunk:{name}", self._sender(snapshot_id, {"wasm_chunk": None},
                                                os.path.join(chunks, name), 0, whole=True)

    def _sender(self, snapshot_id, kind, path, offset, whole=False):
        def send():
            with open(path, "rb") as handle:
                handle.seek(offset)
                data = handle.read() if whole else handle.read(SLICE_BYTES)
            self.call("upload_canister_snapshot_data", {
                "canister_id": self.canister, "snapshot_id": snapshot_id, "kind": kind, "chunk": data})
        return send
