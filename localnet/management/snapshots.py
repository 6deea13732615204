"""Canister snapshots: take (with replace and uninstall), load, list, delete.

A snapshot is a record in the canister's ``snapshots`` list plus copies of its code-state
blobs and chunk store under ``snap:<id hex>:<name>``.
"""
import copy

from _ic import cbor
from _ic.principal import Principal

from .. import cycles, limits
from ..errors import reject
from .code import code_blob_names, uninstall
from .context import visible_to
from ..execution.runtime import global_names

_FIELDS = ("module_hash", "wasm_binary_size", "metadata", "certified_data", "wasm_memory_size",
           "stable_memory_size", "global_memory_size", "chunk_hashes", "engine")


def find_snapshot(canister, snapshot_id):
    """The snapshot record with ``snapshot_id``, or IC0305."""
    for snap in canister.snapshots:
        if snap["id"] == snapshot_id:
            return snap
    raise reject("IC0305", f"Could not find the snapshot ID {snapshot_id.hex()} for canister "
                           f"{canister.id}.")


def prefix(snapshot_id):
    """Blob-name prefix of a snapshot's copies."""
    return f"snap:{snapshot_id.hex()}:"


def _drop(tx, canister, snap):
    for name in tx.blob_names(canister.id, prefix(snap["id"])):
        tx.write_blob(canister.id, name, None)
    canister.snapshots = [s for s in canister.snapshots if s["id"] != snap["id"]]


def new_snapshot_id(canister):
    """The next snapshot id: the canister id followed by a big-endian u64 counter."""
    snapshot_id = canister.id.raw + canister.next_snapshot_idx.to_bytes(8, "big")
    canister.next_snapshot_idx += 1
    return snapshot_id


def take_canister_snapshot(call, args):
    """Snapshot code, memories, chunk store and certified data (at most 10 per canister)."""
    canister = call.controlled(args["canister_id"])
    replaced = None
    if args.get("replace_snapshot") is not None:
        replaced = find_snapshot(canister, args["replace_snapshot"])
    elif len(canister.snapshots) >= limits.MAX_SNAPSHOTS:
        raise reject("IC0406", f"Canister {canister.id} has reached the maximum number of "
                               f"snapshots allowed: {limits.MAX_SNAPSHOTS}.")
    if canister.is_empty:
        raise reject("IC0406", f"Failed to create snapshot for empty canister {canister.id}")
    if replaced is not None:
        _drop(call.tx, canister, replaced)
    snapshot_id = new_snapshot_id(canister)
    total = 0
    names = code_blob_names(call.tx, canister.id) + \
        ["chunk:" + digest.hex() for digest in canister.chunk_hashes]
    for name in names:
        data = call.tx.read_blob(canister.id, name)
        if data is not None:
            call.tx.write_blob(canister.id, prefix(snapshot_id) + name, data)
            total += len(data)
    snap = {"id": snapshot_id, "taken_at_timestamp": call.now_ns, "total_size": total,
            "canister_version": canister.version, "blobs": names,
            "source": "taken_from_canister"}
    snap.update({name: getattr(canister, name) for name in _FIELDS})
    canister.snapshots.append(snap)
    if args.get("uninstall_code"):
        uninstall(call, canister)
    cycles.check_not_frozen(canister, call.now_ns)
    return {"id": snapshot_id, "taken_at_timestamp": call.now_ns, "total_size": total}


def load_canister_snapshot(call, args):
    """Replace the canister's code state with a snapshot (possibly of another canister)."""
    canister = call.controlled(args["canister_id"])
    snapshot_id = args["snapshot_id"]
    owner_raw = snapshot_id[:-8] if len(snapshot_id) > 8 else b""
    owner = call.tx.get(Principal(owner_raw)) if len(owner_raw) <= 29 else None
    if owner is None or owner.id == canister.id:
        owner = canister
    elif call.caller not in owner.controllers:
        raise reject("IC0406", f"Only a controller of the canister that snapshot "
                               f"{snapshot_id.hex()} belongs to can load it on canister "
                               f"{canister.id}. Sender: {call.caller}.")
    snap = find_snapshot(owner, snapshot_id)
    uploaded_globals = _pair_globals(call, canister, owner, snap)
    for name in code_blob_names(call.tx, canister.id):
        call.tx.write_blob(canister.id, name, None)
    for digest in canister.chunk_hashes:
        call.tx.write_blob(canister.id, "chunk:" + digest.hex(), None)
    for name in snap["blobs"]:
        data = call.tx.read_blob(owner.id, prefix(snapshot_id) + name)
        if data is not None:
            call.tx.write_blob(canister.id, name, data)
    if uploaded_globals is not None:
        call.tx.write_blob(canister.id, "globals", uploaded_globals)
    for name in _FIELDS:
        setattr(canister, name, copy.deepcopy(snap[name]))
    canister.version += 1
    canister.last_install_ns = call.now_ns
    call.record_change(canister, {"load_snapshot": {
        "from_canister_id": owner.id if owner is not canister else None,
        "snapshot_id": snapshot_id,
        "canister_version": snap["canister_version"],
        "taken_at_timestamp": snap["taken_at_timestamp"],
        "source": {snap.get("source", "taken_from_canister"): None}}})


def _pair_globals(call, canister, owner, snap):
    """Globals blob for an uploaded snapshot, named after the canister's current globals.

    An upload carries global values without the engine's names; a snapshot is normally
    uploaded into a canister running the same module, whose globals have the same order.
    """
    values = snap.get("uploaded_globals")
    if values is None:
        return None
    current = call.tx.read_blob(canister.id, "globals")
    if current is not None:
        names = [name for name, _value in cbor.loads(current)]
    else:
        # An empty canister (a restore into a new one): the names follow from the module.
        names = _module_global_names(call.tx.read_blob(owner.id, prefix(snap["id"]) + "wasm"))
    if len(names) != len(values):
        return None
    return cbor.dumps([[name, value] for name, value in zip(names, values)])


def _module_global_names(wasm):
    try:
        return global_names(wasm) if wasm else []
    except Exception:  # pylint: disable=broad-except  # not a valid module: no globals to name
        return []


def list_canister_snapshots(call, args):
    """The canister's snapshots (per snapshot_visibility)."""
    canister = call.view(args["canister_id"])
    if not visible_to(canister, "snapshot_visibility", call.caller):
        call.require_controller(canister, allow_self=True)
    return [{"id": s["id"], "taken_at_timestamp": s["taken_at_timestamp"],
             "total_size": s["total_size"]} for s in canister.snapshots]


def delete_canister_snapshot(call, args):
    """Delete one snapshot (controllers)."""
    canister = call.controlled(args["canister_id"])
    _drop(call.tx, canister, find_snapshot(canister, args["snapshot_id"]))


HANDLERS = {
    "take_canister_snapshot": take_canister_snapshot,
    "load_canister_snapshot": load_canister_snapshot,
    "list_canister_snapshots": list_canister_snapshots,
    "delete_canister_snapshot": delete_canister_snapshot,
}
