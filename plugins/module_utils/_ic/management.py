"""Typed client of the management canister ``aaaaa-aa``: one method per ingress-callable
method of ``ic.did``, taking and returning values in the Candid value model.

Arguments may be plain YAML/JSON data (principals as text, blobs as bytes); they are typed
by the embedded ``ic.did`` before encoding. Replies decode leniently against the same types:
fields a newer replica adds are ignored, fields an older one lacks are None (unknown).
"""
import functools
import threading

from .chunk_store import ChunkStore
from .errors import CertificateError, InputError, Reject, TransportError
from .principal import Principal

UPDATE, QUERY, QUERY_FIRST = "update", "query", "query_first"
# Which argument field is the effective canister id, and how the method is called. The IC
# routes management calls by that id (http-interface.md section 7).
METHODS = {
    "provisional_create_canister_with_cycles": ("specified_id", UPDATE),
    "provisional_top_up_canister": ("canister_id", UPDATE),
    "update_settings": ("canister_id", UPDATE),
    "upload_chunk": ("canister_id", UPDATE),
    "clear_chunk_store": ("canister_id", UPDATE),
    "stored_chunks": ("canister_id", UPDATE),
    "install_code": ("canister_id", UPDATE),
    "install_chunked_code": ("target_canister", UPDATE),
    "uninstall_code": ("canister_id", UPDATE),
    "start_canister": ("canister_id", UPDATE),
    "stop_canister": ("canister_id", UPDATE),
    "delete_canister": ("canister_id", UPDATE),
    "canister_status": ("canister_id", QUERY_FIRST),
    "canister_metrics": ("canister_id", QUERY_FIRST),
    "take_canister_snapshot": ("canister_id", UPDATE),
    "load_canister_snapshot": ("canister_id", UPDATE),
    "list_canister_snapshots": ("canister_id", UPDATE),
    "delete_canister_snapshot": ("canister_id", UPDATE),
    "read_canister_snapshot_metadata": ("canister_id", UPDATE),
    "read_canister_snapshot_data": ("canister_id", UPDATE),
    "upload_canister_snapshot_metadata": ("canister_id", UPDATE),
    "upload_canister_snapshot_data": ("canister_id", UPDATE),
    "fetch_canister_logs": ("canister_id", QUERY),
}
# Ingress messages are capped at 2 MiB *including* the Candid record and the signed envelope
# (sender key, signature, delegations: an Internet Identity chain with a canister signature
# is a few KiB), so one install_code is only safe well below the cap. Chunks are 1 MiB.
INGRESS_LIMIT = 2 * 1024 * 1024
ENVELOPE_ROOM = 16 * 1024
CHUNK_THRESHOLD = INGRESS_LIMIT - ENVELOPE_ROOM
CHUNK_SIZE = 1024 * 1024
INSTALL_MODES = ("install", "reinstall", "upgrade")


def needs_chunks(wasm_module, arg, chunk_threshold=CHUNK_THRESHOLD):
    """True when module plus arg are too big for one ``install_code`` message."""
    return len(wasm_module) + len(arg) > chunk_threshold


def once(make):
    """A function that returns ``make()``, made on its first call only (thread-safe): the
    embedded interfaces are fixed, so each process parses them at most once."""
    lock = threading.Lock()
    made = []

    def get():
        if not made:
            with lock:
                if not made:
                    made.append(make())
        return made[0]
    return get


def _parse_ic_did():
    from .candid import parse_did
    from .management_did import IC_DID
    return parse_did(IC_DID)


def _ic_did_on_demand():
    from .candid.did import OnDemandDid
    from .management_did import IC_DID
    return OnDemandDid(IC_DID)


management_interface = once(_parse_ic_did)
management_interface.__doc__ = "The whole parsed ``ic.did`` (parsed once per process, on first use)."
# What the client itself uses: each method's types, parsed when the method is first called.
_ic_methods = once(_ic_did_on_demand)


def service_method(did, name):
    """The resolved ``Func`` of method ``name`` in a parsed .did, or None."""
    func = did.service.get(name)
    return func.resolve() if func is not None else None


def install_mode(mode):
    """``"install" | "reinstall" | "upgrade"`` or a variant dict → the Candid variant value."""
    if isinstance(mode, dict):
        return mode
    if mode not in INSTALL_MODES:
        raise InputError("mode", f"{mode!r} is not one of {', '.join(INSTALL_MODES)}")
    return {mode: None}


def _or_record(method):
    """Let a wrapper also be called with the whole argument record as one dict; it then
    returns the method's result as ic.did types it (no unwrapping), like ``call``."""
    def wrap(func):
        @functools.wraps(func)
        def wrapper(self, *args, **kwargs):
            if len(args) == 1 and not kwargs and isinstance(args[0], dict):
                return self.call(method, args[0])
            return func(self, *args, **kwargs)
        return wrapper
    return wrap


class Management:
    """The management canister through ``agent`` (an ``ic.agent.Agent``).

    Each wrapper takes keyword-friendly arguments (``canister_status(canister_id)``) or the
    whole argument record as one dict (``canister_status({"canister_id": ...})``).
    """

    def __init__(self, agent):
        self.agent = agent
        self._status_as_update = False

    def method_type(self, method):
        """The ``Func`` type of a management method from ``ic.did``."""
        func = _ic_methods().method(method)
        if func is None:
            raise InputError("method", f"{method!r} is not a management canister method")
        return func

    def encode_arg(self, method, arg):
        """Type ``arg`` (YAML/JSON-like data or model values) by ``ic.did`` and encode it."""
        from .candid import encode, from_python
        func = self.method_type(method)
        values = [from_python(func.args[0], arg, method)] if func.args else []
        return encode(list(func.args), values)

    def decode_reply(self, method, data):
        """Decode a reply by the method's result types; one result → the value, none → None.

        Leniently: replicas lag and lead ic.did, so a field the reply lacks is None
        (unknown, never 0) and an unknown variant case is ``{"unknown": None}``."""
        from .candid import decode
        func = self.method_type(method)
        values = decode(data, list(func.rets), lenient=True)
        return values[0] if len(values) == 1 else (tuple(values) if values else None)

    def call(self, method, arg, effective_canister_id=None):
        """Call any method of the table ``METHODS`` with a record ``arg``; return the decoded
        result. The effective canister id comes from the argument unless given."""
        try:
            field, how = METHODS[method]
        except KeyError:
            raise InputError("method", f"{method!r} cannot be called by ingress (only these "
                             f"can: {', '.join(sorted(METHODS))})") from None
        if effective_canister_id is None:
            target = arg.get(field) if isinstance(arg, dict) else None
            effective_canister_id = Principal.coerce(
                target, f"{method}.{field}") if target is not None else Principal.management()
        body = self.encode_arg(method, arg)
        management = Principal.management()
        if how == QUERY or (how == QUERY_FIRST and not self._status_as_update):
            try:
                data = self.agent.query(management, method, body,
                                        effective_canister_id=effective_canister_id)
                return self.decode_reply(method, data)
            except CertificateError:
                raise
            except (Reject, TransportError) as exc:
                if how == QUERY or not _query_refused(exc):
                    raise
        data = self.agent.update(management, method, body,
                                 effective_canister_id=effective_canister_id)
        if how == QUERY_FIRST:
            # The query was refused but the update answered: skip the query from now on.
            self._status_as_update = True
        return self.decode_reply(method, data)

    # -- lifecycle -------------------------------------------------------------------------

    @_or_record("provisional_create_canister_with_cycles")
    def provisional_create_canister_with_cycles(self, amount=None, settings=None,
                                                specified_id=None,
                                                effective_canister_id=None):
        """Create a canister (dev networks); return its id as a Principal."""
        arg = {"amount": amount, "settings": settings, "specified_id": specified_id,
               "sender_canister_version": None}
        result = self.call("provisional_create_canister_with_cycles", arg,
                           effective_canister_id=effective_canister_id)
        return result["canister_id"]

    @_or_record("provisional_top_up_canister")
    def provisional_top_up_canister(self, canister_id, amount):
        """Add ``amount`` cycles to a canister out of thin air (dev networks)."""
        self.call("provisional_top_up_canister", {"canister_id": canister_id,
                                                  "amount": amount})

    @_or_record("update_settings")
    def update_settings(self, canister_id, settings):
        """Change settings; only the fields present in ``settings`` change."""
        self.call("update_settings", {"canister_id": canister_id, "settings": settings,
                                      "sender_canister_version": None})

    @_or_record("start_canister")
    def start_canister(self, canister_id):
        """Start a stopped canister."""
        self.call("start_canister", {"canister_id": canister_id})

    @_or_record("stop_canister")
    def stop_canister(self, canister_id):
        """Stop a canister (waits until it has no open call contexts)."""
        self.call("stop_canister", {"canister_id": canister_id})

    @_or_record("delete_canister")
    def delete_canister(self, canister_id):
        """Delete a stopped canister."""
        self.call("delete_canister", {"canister_id": canister_id})

    @_or_record("canister_status")
    def canister_status(self, canister_id):
        """Status record (status, settings, module_hash, cycles, memory, ...): asked as a
        query first (signature-checked), as an update when the network refuses the query."""
        return self.call("canister_status", {"canister_id": canister_id})

    @_or_record("canister_metrics")
    def canister_metrics(self, canister_id):
        """Metrics record (cycles consumed by kind), query first like canister_status."""
        return self.call("canister_metrics", {"canister_id": canister_id})

    @_or_record("fetch_canister_logs")
    def fetch_canister_logs(self, canister_id):
        """The canister's log records (a query only; the IC refuses it as an update)."""
        return self.call("fetch_canister_logs", {"canister_id": canister_id})

    def canister_info(self, canister_id):
        """``{"controllers", "module_hash"}`` from certified state: the ``canister_info``
        method itself is for canisters only, read_state gives users the same facts."""
        cid = Principal.coerce(canister_id, "canister_id")
        paths = [[b"canister", cid.raw, b"controllers"], [b"canister", cid.raw, b"module_hash"]]
        cert = self.agent.read_state(cid, paths)
        raw = cert.lookup(paths[0])
        if raw is None:
            raise Reject(3, f"Canister {cid} not found", "IC0301")
        from . import cbor
        return {"controllers": [Principal(bytes(p)) for p in cbor.loads(raw)],
                "module_hash": cert.lookup(paths[1])}

    # -- code ------------------------------------------------------------------------------

    @_or_record("install_code")
    def install_code(self, canister_id, wasm_module, arg=b"", mode="install"):
        """Install, reinstall or upgrade with the module in one message (< 2 MiB)."""
        self.call("install_code", {"mode": install_mode(mode), "canister_id": canister_id,
                                   "wasm_module": bytes(wasm_module), "arg": bytes(arg),
                                   "sender_canister_version": None})

    @_or_record("uninstall_code")
    def uninstall_code(self, canister_id):
        """Remove the canister's code and state."""
        self.call("uninstall_code", {"canister_id": canister_id,
                                     "sender_canister_version": None})

    @_or_record("upload_chunk")
    def upload_chunk(self, canister_id, chunk):
        """Store one chunk (≤ 1 MiB) in the canister's chunk store; return its SHA-256."""
        return self.call("upload_chunk", {"canister_id": canister_id,
                                          "chunk": bytes(chunk)})["hash"]

    @_or_record("stored_chunks")
    def stored_chunks(self, canister_id):
        """SHA-256 hashes (bytes) of the chunks in the canister's chunk store."""
        return [entry["hash"] for entry in
                self.call("stored_chunks", {"canister_id": canister_id})]

    @_or_record("clear_chunk_store")
    def clear_chunk_store(self, canister_id):
        """Empty the canister's chunk store."""
        self.call("clear_chunk_store", {"canister_id": canister_id})

    @_or_record("install_chunked_code")
    def install_chunked_code(self, target_canister, chunk_hashes, wasm_module_hash, arg=b"",
                             mode="install", store_canister=None):
        """Install a module assembled from chunks already in the store."""
        self.call("install_chunked_code", {
            "mode": install_mode(mode), "target_canister": target_canister,
            "store_canister": store_canister,
            "chunk_hashes_list": [{"hash": bytes(h)} for h in chunk_hashes],
            "wasm_module_hash": bytes(wasm_module_hash), "arg": bytes(arg),
            "sender_canister_version": None})

    def install(self, canister_id, wasm_module, arg=b"", mode="install",
                chunk_threshold=CHUNK_THRESHOLD, chunk_size=CHUNK_SIZE):
        """Install ``wasm_module`` (bytes as uploaded, gzip or not) the way its size needs:
        one ``install_code`` below ``chunk_threshold`` (module + arg), else upload the chunks
        the store lacks, ``install_chunked_code`` and ``clear_chunk_store``.

        Returns ``{"chunked": bool, "chunks": n, "uploaded": k}``.
        """
        wasm_module, arg = bytes(wasm_module), bytes(arg)
        if not needs_chunks(wasm_module, arg, chunk_threshold):
            self.install_code(canister_id, wasm_module, arg, mode)
            return {"chunked": False, "chunks": 0, "uploaded": 0}
        store = ChunkStore(self, canister_id, chunk_size)
        done = store.install(canister_id, wasm_module, arg, mode)
        store.clear()
        return done

    # -- snapshots -------------------------------------------------------------------------

    @_or_record("take_canister_snapshot")
    def take_canister_snapshot(self, canister_id, replace_snapshot=None, uninstall_code=None):
        """Snapshot a (stopped) canister; return ``{id, taken_at_timestamp, total_size}``."""
        return self.call("take_canister_snapshot", {
            "canister_id": canister_id, "replace_snapshot": replace_snapshot,
            "uninstall_code": uninstall_code, "sender_canister_version": None})

    @_or_record("load_canister_snapshot")
    def load_canister_snapshot(self, canister_id, snapshot_id):
        """Restore a snapshot into a (stopped) canister."""
        self.call("load_canister_snapshot", {"canister_id": canister_id,
                                             "snapshot_id": bytes(snapshot_id),
                                             "sender_canister_version": None})

    @_or_record("list_canister_snapshots")
    def list_canister_snapshots(self, canister_id):
        """The canister's snapshots, each ``{id, taken_at_timestamp, total_size}``."""
        return self.call("list_canister_snapshots", {"canister_id": canister_id})

    @_or_record("delete_canister_snapshot")
    def delete_canister_snapshot(self, canister_id, snapshot_id):
        """Delete one snapshot."""
        self.call("delete_canister_snapshot", {"canister_id": canister_id,
                                               "snapshot_id": bytes(snapshot_id)})

    @_or_record("read_canister_snapshot_metadata")
    def read_canister_snapshot_metadata(self, canister_id, snapshot_id):
        """A snapshot's metadata record (sizes, globals, certified data, ...)."""
        return self.call("read_canister_snapshot_metadata", {
            "canister_id": canister_id, "snapshot_id": bytes(snapshot_id)})

    @_or_record("read_canister_snapshot_data")
    def read_canister_snapshot_data(self, canister_id, snapshot_id, kind):
        """One piece of snapshot data; ``kind`` is the variant (e.g. ``{"wasm_module":
        {"offset": 0, "size": n}}``). Returns ``{"chunk": bytes}``."""
        return self.call("read_canister_snapshot_data", {
            "canister_id": canister_id, "snapshot_id": bytes(snapshot_id), "kind": kind})

    @_or_record("upload_canister_snapshot_metadata")
    def upload_canister_snapshot_metadata(self, canister_id, metadata):
        """Create a snapshot from uploaded metadata (``metadata``: the rest of the record)."""
        return self.call("upload_canister_snapshot_metadata",
                         dict(metadata, canister_id=canister_id))

    @_or_record("upload_canister_snapshot_data")
    def upload_canister_snapshot_data(self, canister_id, snapshot_id, kind, chunk):
        """Upload one piece of data into a snapshot created by the metadata upload."""
        self.call("upload_canister_snapshot_data", {
            "canister_id": canister_id, "snapshot_id": bytes(snapshot_id), "kind": kind,
            "chunk": bytes(chunk)})


def _query_refused(exc):
    """True when a failed canister_status query should be retried as an update: the network
    does not serve it as a query (an HTTP 4xx or a reject), as opposed to a server fault."""
    if isinstance(exc, Reject):
        return True
    return exc.status is not None and 400 <= exc.status < 500
