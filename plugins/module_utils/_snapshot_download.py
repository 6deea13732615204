# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Download a canister snapshot to local files (the last copy of a canister about to be deleted).

A snapshot lives inside its canister and is deleted with it, so a "last snapshot" is only worth
something once it is on disk. Layout of ``<dir>/<canister_id>-<snapshot_id>/``:
``metadata.json`` (the read_canister_snapshot_metadata record, blobs as hex),
``wasm_module.bin``, ``wasm_memory.bin``, ``stable_memory.bin``, ``chunks/<hash>.bin`` and
``manifest.json`` (``snapshot_files``); the same layout ``upload_canister_snapshot_*`` needs to
bring it back.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.icp.canister_factory.plugins.module_utils import _snapshot_files as snapshot_files

SLICE_BYTES = snapshot_files.SLICE_BYTES  # icp-cli and dfx read in slices of about 2 MB too
WORKERS = 4


def _jsonable(value):
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _read_section(call, canister, snapshot_id, kind, size, path):
    def fetch(offset):
        reply = call("read_canister_snapshot_data", {
            "canister_id": canister, "snapshot_id": snapshot_id,
            "kind": {kind: {"offset": offset, "size": min(SLICE_BYTES, size - offset)}}})
        return offset, reply["chunk"]

    with open(path, "wb") as handle:
        # Slices are independent reads: a few at once hide the round trip of each (the agent is
        # thread-safe), as icp-cli does.
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            for offset, chunk in pool.map(fetch, range(0, size, SLICE_BYTES)):
                handle.seek(offset)
                handle.write(chunk)


def download(call, canister, snapshot_id, directory, folder=None, **info):
    """Write snapshot ``snapshot_id`` of ``canister`` under ``directory``; return the folder path.

    ``call(method, arg)`` is a management canister call (``Management.call``). The folder is
    ``folder`` when given, else ``<canister_id>-<snapshot_id>``; ``info`` goes into the manifest.
    """
    target = os.path.join(directory, folder or f"{canister.to_text()}-{bytes(snapshot_id).hex()}")
    os.makedirs(os.path.join(target, "chunks"), exist_ok=True)
    meta = call("read_canister_snapshot_metadata", {"canister_id": canister, "snapshot_id": snapshot_id})
    _read_section(call, canister, snapshot_id, "wasm_module", int(meta["wasm_module_size"]),
                  os.path.join(target, "wasm_module.bin"))
    _read_section(call, canister, snapshot_id, "wasm_memory", int(meta["wasm_memory_size"]),
                  os.path.join(target, "wasm_memory.bin"))
    _read_section(call, canister, snapshot_id, "stable_memory", int(meta["stable_memory_size"]),
                  os.path.join(target, "stable_memory.bin"))
    for entry in meta.get("wasm_chunk_store") or []:
        reply = call("read_canister_snapshot_data", {
            "canister_id": canister, "snapshot_id": snapshot_id,
            "kind": {"wasm_chunk": {"hash": entry["hash"]}}})
        with open(os.path.join(target, "chunks", f"{bytes(entry['hash']).hex()}.bin"), "wb") as handle:
            handle.write(reply["chunk"])
    with open(os.path.join(target, "metadata.json"), "w", encoding="utf-8") as handle:
        json.dump(_jsonable(meta), handle, indent=2, sort_keys=True)
    snapshot_files.write_manifest(target, canister_id=canister.to_text(), snapshot_id=bytes(snapshot_id).hex(),
                                  taken_at_timestamp=int(meta["taken_at_timestamp"]), **info)
    return target
