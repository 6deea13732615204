"""Downloading and uploading snapshots: read/upload_canister_snapshot_metadata and _data."""
import hashlib

from _ic import cbor
from _ic import wasm as ic_wasm
from _ic.errors import InputError

from .. import limits
from ..errors import reject
from .context import visible_to
from .snapshots import find_snapshot, new_snapshot_id, prefix

MAX_SLICE = 2_000_000
PAGE = 65536
_BLOB_OF_KIND = {"wasm_module": "wasm", "wasm_memory": "heap", "stable_memory": "stable"}
_SIZE_FIELD = {"heap": "wasm_memory_size", "stable": "stable_memory_size"}
_KIND_TEXT = {"wasm_module": "wasm module", "wasm_memory": "main memory",
              "stable_memory": "stable memory"}


def _readable(call, canister_id):
    canister = call.view(canister_id)
    if not visible_to(canister, "snapshot_visibility", call.caller):
        call.require_controller(canister, allow_self=True)
    return canister


def _blob(call, canister, snap, name):
    """A snapshot blob; memories are read whole (see ``_memory``)."""
    if name in _SIZE_FIELD:
        return _memory(call, canister, snap, name)
    return call.tx.read_blob(canister.id, prefix(snap["id"]) + name) or b""


def _memory(call, canister, snap, name):
    # Memories are a blob ``name`` or 64 KiB pages ``name.<6-digit index>`` (missing pages
    # are zeros), sized by the record's size field: the layout docs/internals.md describes.
    size = snap[_SIZE_FIELD[name]]
    base = prefix(snap["id"]) + name
    whole = call.tx.read_blob(canister.id, base)
    data = bytearray(size)
    if whole:
        data[:len(whole)] = whole[:size]
    for page_name in call.tx.blob_names(canister.id, base + "."):
        index = page_name[len(base) + 1:]
        if index.isdigit() and int(index) * PAGE < size:
            start = int(index) * PAGE
            page = call.tx.read_blob(canister.id, page_name) or b""
            data[start:start + len(page)] = page[:size - start]
    return bytes(data)


def _write_pages(call, canister, snap, name, offset, chunk):
    base = prefix(snap["id"]) + name
    first, last = offset // PAGE, (offset + len(chunk) - 1) // PAGE
    for index in range(first, last + 1):
        page_name = f"{base}.{index:06d}"
        page = bytearray(call.tx.read_blob(canister.id, page_name) or bytes(PAGE))
        lo = max(offset, index * PAGE)
        hi = min(offset + len(chunk), (index + 1) * PAGE)
        page[lo - index * PAGE:hi - index * PAGE] = chunk[lo - offset:hi - offset]
        call.tx.write_blob(canister.id, page_name, bytes(page))
        short = page_name[len(prefix(snap["id"])):]
        if short not in snap["blobs"]:
            snap["blobs"].append(short)


def _globals(call, canister, snap):
    raw = _blob(call, canister, snap, "globals")
    values = [value for _name, value in cbor.loads(raw)] if raw else snap.get("uploaded_globals", [])
    out = []
    for value in values:
        if isinstance(value, float):
            out.append({"f64": value})
        elif -2 ** 31 <= value < 2 ** 31:
            out.append({"i32": value})
        else:
            out.append({"i64": value if value < 2 ** 63 else value - 2 ** 64})
    return out


def read_canister_snapshot_metadata(call, args):
    """Sizes, globals, chunk hashes and certified data of a snapshot."""
    canister = _readable(call, args["canister_id"])
    snap = find_snapshot(canister, args["snapshot_id"])
    timer = (snap.get("engine") or {}).get("timer")
    return {
        "source": {snap.get("source", "taken_from_canister"): None},
        "taken_at_timestamp": snap["taken_at_timestamp"],
        "wasm_module_size": len(_blob(call, canister, snap, "wasm")),
        "globals": _globals(call, canister, snap),
        "wasm_memory_size": len(_blob(call, canister, snap, "heap")),
        "stable_memory_size": len(_blob(call, canister, snap, "stable")),
        "wasm_chunk_store": [{"hash": h} for h in snap["chunk_hashes"]],
        "canister_version": snap["canister_version"],
        "certified_data": snap["certified_data"],
        "global_timer": {"active": timer} if timer else {"inactive": None},
        "on_low_wasm_memory_hook_status": {"condition_not_satisfied": None},
    }


def read_canister_snapshot_data(call, args):
    """One slice of a snapshot's module, memories, or one of its chunks."""
    canister = _readable(call, args["canister_id"])
    snap = find_snapshot(canister, args["snapshot_id"])
    kind, where = next(iter(args["kind"].items()))
    if kind == "wasm_chunk":
        if where["hash"] not in snap["chunk_hashes"]:
            raise reject("IC0408", f"The chunk with hash {where['hash'].hex()} is not in the "
                                   "snapshot's chunk store.")
        return {"chunk": _blob(call, canister, snap, "chunk:" + where["hash"].hex())}
    data = _blob(call, canister, snap, _BLOB_OF_KIND[kind])
    offset, size = where["offset"], where["size"]
    if size > MAX_SLICE or offset + size > len(data):
        raise reject("IC0408", f"Invalid subslice into {_KIND_TEXT[kind]}: offset: {offset}, "
                               f"size: {size}")
    return {"chunk": data[offset:offset + size]}


def upload_canister_snapshot_metadata(call, args):
    """Start a snapshot to be filled by upload_canister_snapshot_data."""
    canister = call.controlled(args["canister_id"])
    if args.get("replace_snapshot") is not None:
        old = find_snapshot(canister, args["replace_snapshot"])
        for name in call.tx.blob_names(canister.id, prefix(old["id"])):
            call.tx.write_blob(canister.id, name, None)
        canister.snapshots = [s for s in canister.snapshots if s["id"] != old["id"]]
    elif len(canister.snapshots) >= limits.MAX_SNAPSHOTS:
        raise reject("IC0406", f"Canister {canister.id} has reached the maximum number of "
                               f"snapshots allowed: {limits.MAX_SNAPSHOTS}.")
    snapshot_id = new_snapshot_id(canister)
    sizes = {"wasm": args["wasm_module_size"], "heap": args["wasm_memory_size"],
             "stable": args["stable_memory_size"]}
    call.tx.write_blob(canister.id, prefix(snapshot_id) + "wasm", bytes(sizes["wasm"]))
    timer = args.get("global_timer") or {}
    canister.snapshots.append({
        "id": snapshot_id, "taken_at_timestamp": call.now_ns, "total_size": sum(sizes.values()),
        "canister_version": canister.version, "blobs": ["wasm"],
        "source": "metadata_upload", "uploaded_globals": [next(iter(g.values()))
                                                          for g in args["globals"]],
        "module_hash": None, "wasm_binary_size": sizes["wasm"], "metadata": {},
        "certified_data": args["certified_data"], "wasm_memory_size": sizes["heap"],
        "stable_memory_size": sizes["stable"], "global_memory_size": 8 * len(args["globals"]),
        "chunk_hashes": [], "engine": {"timer": timer["active"]} if "active" in timer else {}})
    return {"snapshot_id": snapshot_id}


def upload_canister_snapshot_data(call, args):
    """Write one slice (or one chunk) into an uploaded snapshot."""
    canister = call.controlled(args["canister_id"])
    snap = find_snapshot(canister, args["snapshot_id"])
    if snap.get("source") != "metadata_upload":
        raise reject("IC0408", "Only canister snapshots created by metadata upload can be "
                               "mutated.")
    kind, where = next(iter(args["kind"].items()))
    chunk = args["chunk"]
    if kind == "wasm_chunk":
        digest = hashlib.sha256(chunk).digest()
        call.tx.write_blob(canister.id, prefix(snap["id"]) + "chunk:" + digest.hex(), chunk)
        if digest not in snap["chunk_hashes"]:
            snap["chunk_hashes"].append(digest)
            snap["blobs"].append("chunk:" + digest.hex())
        return
    name = _BLOB_OF_KIND[kind]
    offset = where["offset"]
    size = snap[_SIZE_FIELD[name]] if name in _SIZE_FIELD else snap["wasm_binary_size"]
    if len(chunk) > MAX_SLICE or offset + len(chunk) > size:
        raise reject("IC0408", f"Invalid subslice into {_KIND_TEXT[kind]}: offset: {offset}, "
                               f"size: {len(chunk)}")
    if name in _SIZE_FIELD:
        if chunk:
            _write_pages(call, canister, snap, name, offset, chunk)
        return
    data = bytearray(_blob(call, canister, snap, name))
    data[offset:offset + len(chunk)] = chunk
    call.tx.write_blob(canister.id, prefix(snap["id"]) + name, bytes(data))
    if name == "wasm":
        snap["module_hash"] = hashlib.sha256(bytes(data)).digest()
        snap["metadata"] = _metadata(bytes(data))


def _metadata(module):
    try:
        sections = ic_wasm.custom_sections_of(module)
    except InputError:
        return {}  # not complete yet
    out = {}
    for name, data in sections.items():
        for visibility in ("public", "private"):
            if name.startswith(f"icp:{visibility} "):
                out[name.split(" ", 1)[1]] = {"public": visibility == "public", "data": data}
    return out


HANDLERS = {
    "read_canister_snapshot_metadata": read_canister_snapshot_metadata,
    "read_canister_snapshot_data": read_canister_snapshot_data,
    "upload_canister_snapshot_metadata": upload_canister_snapshot_metadata,
    "upload_canister_snapshot_data": upload_canister_snapshot_data,
}
