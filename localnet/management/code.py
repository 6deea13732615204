"""Code: install_code, install_chunked_code, uninstall_code and the Wasm chunk store.

Code-state blobs of a canister are the store blobs whose names contain no ``:`` (the module
``wasm``, and what the execution engine keeps: memories, globals); ``chunk:<hash>`` blobs
are the chunk store.
"""
import hashlib

from .. import cycles, limits
from ..errors import reject, with_help
from . import wasm_check

_EOP = "enhanced-orthogonal-persistence"


def code_blob_names(tx, canister_id):
    """Names of the canister's code-state blobs."""
    return [n for n in tx.blob_names(canister_id) if ":" not in n]


def clear_code_state(tx, canister_id, keep=("stable",)):
    """Remove code-state blobs except ``keep``."""
    for name in code_blob_names(tx, canister_id):
        if name not in keep:
            tx.write_blob(canister_id, name, None)


def _check_mode(canister, mode, module):
    name = next(iter(mode))
    if name == "install" and not canister.is_empty:
        raise reject("IC0514", with_help(
            f"Canister {canister.id} cannot be installed because the canister is not empty. "
            "Try installing with mode='reinstall' instead.",
            "Use mode='reinstall' to replace the code and its state, or mode='upgrade' to "
            "keep the state.", "canister-not-empty"))
    options = {}
    if name == "upgrade":
        options = mode["upgrade"] or {}
        if canister.is_empty:
            raise reject("IC0537", with_help(
                f"Error from Canister {canister.id}: Attempted to execute a message, but the "
                "canister contains no Wasm module.",
                "Try installing code to the canister before upgrading it.",
                "wasm-module-not-found"))
        persistence = options.get("wasm_memory_persistence")
        if _EOP in canister.metadata and persistence is None:
            raise reject("IC0504", "Missing upgrade option: Enhanced orthogonal persistence "
                                   "requires the `wasm_memory_persistence` upgrade option.")
        if persistence and "keep" in persistence and not module.is_eop:
            raise reject("IC0504", "Invalid upgrade option: The `wasm_memory_persistence: opt "
                                   "Keep` upgrade option requires that the new canister module "
                                   "supports enhanced orthogonal persistence.")
    return name, options


def install(call, canister, mode, sent, arg):
    """Install checked code into ``canister`` (a working copy) in ``mode``."""
    module = wasm_check.check(canister.id, sent)
    mode_name, options = _check_mode(canister, mode, module)
    cycles.settle_idle_burn(canister, call.now_ns)
    if mode_name != "upgrade":
        # Reset before the new code runs: canister_init may set both again.
        canister.certified_data = b""
        canister.engine = {}
        if mode_name == "reinstall":
            canister.logs = []
    engine = call.node.engine
    if engine is not None:
        engine.install(call.tx, canister, mode_name, module.raw, arg, call.caller, options)
    elif mode_name != "upgrade":
        clear_code_state(call.tx, canister.id, keep=())
    else:
        keep_heap = "keep" in (options.get("wasm_memory_persistence") or {})
        clear_code_state(call.tx, canister.id,
                         keep=("stable", "heap") if keep_heap else ("stable",))
    call.tx.write_blob(canister.id, "wasm", module.raw)
    canister.module_hash = module.module_hash
    canister.wasm_binary_size = len(module.raw)
    canister.metadata = module.metadata
    canister.last_install_ns = call.now_ns
    canister.version += 1
    call.record_change(canister, {"code_deployment": {
        "mode": {mode_name: None}, "module_hash": module.module_hash}})
    cycles.check_not_frozen(canister, call.now_ns)


def install_code(call, args):
    """``install_code`` (controllers)."""
    canister = call.controlled(args["canister_id"])
    install(call, canister, args["mode"], args["wasm_module"], args["arg"])


def install_chunked_code(call, args):
    """Join chunks from a store canister (default: the target), check the hash, install.

    The caller controls the target (the ingress filter's check) and controls or is the store
    (execution's check). A store that does not exist is IC0301; on this single subnet every
    existing canister shares the target's subnet.
    """
    canister = call.controlled(args["target_canister"])
    store_id = args.get("store_canister") or canister.id
    store = call.view(store_id)
    if store_id != canister.id:
        call.require_controller(store, allow_self=True, filtered=False)
    parts = []
    for entry in args["chunk_hashes_list"]:
        digest = entry["hash"]
        data = call.tx.read_blob(store_id, "chunk:" + digest.hex())
        if data is None:
            raise reject("IC0504", f"Error from Wasm chunk store: The chunk store of canister "
                                   f"{store_id} does not contain a chunk with hash "
                                   f"{digest.hex()}.")
        parts.append(data)
    sent = b"".join(parts)
    actual = hashlib.sha256(sent).digest()
    if actual != args["wasm_module_hash"]:
        raise reject("IC0504", f"Error from Wasm chunk store: Wasm module hash "
                               f"{actual.hex()} does not match given hash "
                               f"{args['wasm_module_hash'].hex()}.")
    install(call, canister, args["mode"], sent, args["arg"])


def uninstall(call, canister):
    """Remove code, memories, chunk store, certified data, logs and timers."""
    engine = call.node.engine
    if engine is not None and hasattr(engine, "uninstall"):
        engine.uninstall(call.tx, canister)
    clear_code_state(call.tx, canister.id, keep=())
    for digest in canister.chunk_hashes:
        call.tx.write_blob(canister.id, "chunk:" + digest.hex(), None)
    canister.chunk_hashes = []
    canister.module_hash = None
    canister.metadata = {}
    canister.wasm_binary_size = 0
    canister.wasm_memory_size = canister.stable_memory_size = canister.global_memory_size = 0
    canister.certified_data = b""
    canister.logs = []
    canister.engine = {}
    canister.version += 1
    call.record_change(canister, {"code_uninstall": None})


def uninstall_code(call, args):
    """``uninstall_code`` (controllers)."""
    uninstall(call, call.controlled(args["canister_id"]))


def upload_chunk(call, args):
    """Store one chunk (at most 1 MiB) and return its SHA-256."""
    canister = call.controlled(args["canister_id"], allow_self=True)
    chunk = args["chunk"]
    if len(chunk) > limits.MAX_CHUNK_BYTES:
        raise reject("IC0504", f"Error from Wasm chunk store: Wasm chunk size {len(chunk)} "
                               f"exceeds the maximum size of {limits.MAX_CHUNK_BYTES}.")
    digest = hashlib.sha256(chunk).digest()
    if digest not in canister.chunk_hashes:
        if len(canister.chunk_hashes) >= limits.MAX_CHUNKS:
            raise reject("IC0504", "Error from Wasm chunk store: Wasm chunk store has already "
                                   f"reached the maximum of {limits.MAX_CHUNKS} chunks.")
        canister.chunk_hashes.append(digest)
        call.tx.write_blob(canister.id, "chunk:" + digest.hex(), chunk)
        cycles.check_not_frozen(canister, call.now_ns)
    return {"hash": digest}


def stored_chunks(call, args):
    """The hashes in the chunk store."""
    canister = call.controlled(args["canister_id"], allow_self=True)
    return [{"hash": digest} for digest in canister.chunk_hashes]


def clear_chunk_store(call, args):
    """Empty the chunk store."""
    canister = call.controlled(args["canister_id"], allow_self=True)
    for digest in canister.chunk_hashes:
        call.tx.write_blob(canister.id, "chunk:" + digest.hex(), None)
    canister.chunk_hashes = []


HANDLERS = {
    "install_code": install_code,
    "install_chunked_code": install_chunked_code,
    "uninstall_code": uninstall_code,
    "upload_chunk": upload_chunk,
    "stored_chunks": stored_chunks,
    "clear_chunk_store": clear_chunk_store,
}
