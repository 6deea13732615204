"""Checking a module before install: gzip, structure, wasmtime validation, custom sections."""
import hashlib
import threading

import wasmtime

from _ic import wasm as ic_wasm
from _ic.errors import InputError

from ..errors import reject

_ENGINE = None
_ENGINE_LOCK = threading.Lock()
_EOP_SECTION = "enhanced-orthogonal-persistence"
# Modules checked already, by the SHA-256 of the bytes sent: like the replica's compilation
# cache (keyed by the module hash), a module installed into many canisters is checked once.
_CHECKED = {}
_CHECKED_MAX = 16


def _engine():
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            _ENGINE = wasmtime.Engine()
        return _ENGINE


class CheckedModule:
    """A validated module: the bytes as sent, the raw Wasm, its hash and metadata."""

    def __init__(self, sent, raw, metadata):
        self.sent = sent
        self.raw = raw
        self.module_hash = hashlib.sha256(sent).digest()
        self.metadata = metadata

    @property
    def is_eop(self):
        """True when the module declares enhanced orthogonal persistence."""
        return _EOP_SECTION in self.metadata


def _invalid(canister_id, detail):
    return reject("IC0505", f"Error from Canister {canister_id}: Canister's Wasm module is not "
                            f"valid: {detail}")


def check(canister_id, sent):
    """Validate ``sent`` (raw or gzipped Wasm); raises IC0505 with the reason."""
    if not sent:
        raise _invalid(canister_id, "Wasm module is empty")
    sent = bytes(sent)
    key = hashlib.sha256(sent).digest()
    with _ENGINE_LOCK:
        known = _CHECKED.get(key)
    if known is not None:
        return CheckedModule(sent, known.raw, dict(known.metadata))
    checked = _check(canister_id, sent)
    with _ENGINE_LOCK:
        if len(_CHECKED) >= _CHECKED_MAX:
            _CHECKED.pop(next(iter(_CHECKED)))
        _CHECKED[key] = checked
    return CheckedModule(sent, checked.raw, dict(checked.metadata))


def _check(canister_id, sent):
    try:
        module = ic_wasm.load(sent)
    except InputError as err:
        raise _invalid(canister_id, err.message) from None
    try:
        wasmtime.Module.validate(_engine(), module.wasm)
    except wasmtime.WasmtimeError as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else "invalid module"
        raise _invalid(canister_id, f"Failed to decode wasm module: {first}") from None
    metadata = {}
    for name, data in module.custom_sections.items():
        if name.startswith("icp:public "):
            metadata[name[len("icp:public "):]] = {"public": True, "data": data}
        elif name.startswith("icp:private "):
            metadata[name[len("icp:private "):]] = {"public": False, "data": data}
    return CheckedModule(sent, module.wasm, metadata)
