"""The canister record: everything the network keeps about one canister except big blobs.

Big byte strings (the Wasm module, memories, chunks, snapshot contents) live in the store's
blob table; this record is small and kept in memory. ``to_cbor``/``from_cbor`` give the
persistent form (principals survive as a private CBOR tag).
"""
import copy
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

import cbor2

from _ic.principal import Principal

from . import limits

_PRINCIPAL_TAG = 4242


def default_settings():
    """The definite settings a new canister starts with (controllers kept separately)."""
    return {
        "compute_allocation": 0,
        "memory_allocation": 0,
        "freezing_threshold": limits.DEFAULT_FREEZING_THRESHOLD,
        "reserved_cycles_limit": limits.DEFAULT_RESERVED_CYCLES_LIMIT,
        "minimum_incoming_canister_call_cycles": 0,
        "log_visibility": {"controllers": None},
        "snapshot_visibility": {"controllers": None},
        "status_visibility": {"controllers": None},
        "wasm_memory_limit": limits.DEFAULT_WASM_MEMORY_LIMIT,
        "wasm_memory_threshold": 0,
        "environment_variables": [],
        "log_memory_limit": limits.DEFAULT_LOG_MEMORY_LIMIT,
    }


@dataclass
class Canister:
    """One canister's state. ``status`` is ``running``, ``stopping`` or ``stopped``."""

    id: Principal
    controllers: list
    settings: dict = field(default_factory=default_settings)
    status: str = "running"
    cycles: int = 0
    reserved_cycles: int = 0
    version: int = 0
    module_hash: bytes = None
    wasm_binary_size: int = 0
    # name -> {"public": bool, "data": bytes}: the module's icp:public / icp:private sections.
    metadata: dict = field(default_factory=dict)
    created_ns: int = 0
    last_install_ns: int = 0
    history: list = field(default_factory=list)
    total_changes: int = 0
    logs: list = field(default_factory=list)
    next_log_idx: int = 0
    certified_data: bytes = b""
    wasm_memory_size: int = 0
    stable_memory_size: int = 0
    global_memory_size: int = 0
    chunk_hashes: list = field(default_factory=list)
    snapshots: list = field(default_factory=list)
    next_snapshot_idx: int = 0
    query_stats: dict = field(default_factory=lambda: {
        "num_calls_total": 0, "num_instructions_total": 0,
        "request_payload_bytes_total": 0, "response_payload_bytes_total": 0})
    burn_checked_ns: int = 0
    # Execution-engine state that is small and not a blob (e.g. the global timer).
    engine: dict = field(default_factory=dict)
    # Index of the subnet that holds the canister (0: the root subnet). Kept in the store's
    # ``subnet`` column, not in the record.
    subnet: int = 0

    @property
    def is_empty(self):
        """True when no Wasm module is installed."""
        return self.module_hash is None

    def clone(self):
        """A working copy for a transaction.

        Containers are copied one level deep: list entries (history, logs) are never changed
        in place, dict values are replaced rather than mutated; snapshot records, which
        uploads do change in place, are copied with their lists.
        """
        copied = copy.copy(self)
        for name in ("controllers", "history", "logs", "chunk_hashes"):
            setattr(copied, name, list(getattr(self, name)))
        for name in ("settings", "metadata", "query_stats", "engine"):
            setattr(copied, name, dict(getattr(self, name)))
        copied.snapshots = [{k: list(v) if isinstance(v, list) else v for k, v in snap.items()}
                            for snap in self.snapshots]
        return copied

    def to_cbor(self):
        """The persistent form (bytes)."""
        return cbor2.dumps({f.name: getattr(self, f.name) for f in fields(self)
                            if f.name != "subnet"}, default=_encode_principal)

    @classmethod
    def from_cbor(cls, data):
        """Inverse of ``to_cbor``; fields unknown to this version are ignored."""
        raw = cbor2.loads(data, tag_hook=_decode_principal)
        known = {f.name for f in fields(cls)} - {"subnet"}
        return cls(**{k: _thaw(v) for k, v in raw.items() if k in known})


# The C codec (cbor2) for the store: records are written on every message, and the pure
# Python codec of ``ic.cbor`` (kept bounded for untrusted input) would dominate that cost.
def _encode_principal(encoder, value):
    if not isinstance(value, Principal):
        raise TypeError(f"cannot store a value of type {type(value).__name__}")
    encoder.encode(cbor2.CBORTag(_PRINCIPAL_TAG, value.raw))


def _decode_principal(tag, immutable=False):
    if tag.tag == _PRINCIPAL_TAG:
        return Principal(tag.value)
    return tag


def _thaw(value):
    # cbor2 may return immutable maps (frozendict); records hold plain containers.
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_thaw(v) for v in value]
    return value
