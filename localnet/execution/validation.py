"""Install-time checks of a canister module, with the replica's error texts (IC0505)."""
import gzip
import hashlib
from dataclasses import dataclass, field

from . import system_api, wasm_binary
from .errors import invalid_wasm

SYSTEM_EXPORTS = ("canister_init", "canister_pre_upgrade", "canister_post_upgrade",
                  "canister_inspect_message", "canister_heartbeat", "canister_global_timer",
                  "canister_on_low_wasm_memory")
METHOD_PREFIXES = ("canister_update ", "canister_query ", "canister_composite_query ")
MAX_GLOBALS = 1000
MAX_FUNCTIONS = 50000
MAX_EXPORTED_METHODS = 1000
MAX_METHOD_NAME_TOTAL = 20000
MAX_ICP_SECTIONS = 16
MAX_ICP_SECTIONS_BYTES = 1 << 20
MAX_MODULE_BYTES = 100 << 20
EOP_SECTION = "enhanced-orthogonal-persistence"
_VT_DEBUG = {"i32": "I32", "i64": "I64", "f32": "F32", "f64": "F64", "v128": "V128"}


@dataclass
class ModuleInfo:
    """What the system needs to know about a valid module."""
    wasm: bytes                       # the raw (gunzipped) module
    module_hash: bytes                # SHA-256 of the bytes as installed (gzip included)
    memory64: bool
    update_methods: frozenset
    query_methods: frozenset
    composite_query_methods: frozenset
    system_exports: frozenset         # e.g. {"canister_init", "canister_global_timer"}
    metadata: dict = field(default_factory=dict)  # name -> (is_public, bytes) from icp: sections
    memory_export: str | None = None
    parsed: wasm_binary.ParsedModule | None = field(default=None, repr=False)

    @property
    def enhanced_orthogonal_persistence(self):
        """True if the module declares EOP (then upgrades need wasm_memory_persistence)."""
        return EOP_SECTION in self.metadata

    def method_kind(self, name):
        """"update" / "query" / "composite_query" for an exported method, else None."""
        if name in self.update_methods:
            return "update"
        if name in self.query_methods:
            return "query"
        if name in self.composite_query_methods:
            return "composite_query"
        return None


def unzip(data):
    """Return raw Wasm bytes, gunzipping a gzip-compressed module."""
    data = bytes(data)
    if data[:3] == b"\x1f\x8b\x08":
        try:
            return gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise invalid_wasm(f"Failed to decode wasm module: gzip decompression failed: {exc}")
    return data


def _debug_types(types):
    return "[" + ", ".join(_VT_DEBUG.get(t, t) for t in types) + "]"


def _check_signature(name, expected, actual):
    exp_params, exp_results = expected
    params, results = actual
    if tuple(params) != tuple(exp_params):
        raise invalid_wasm("Wasm module has an invalid function signature. Expected input params "
                           f"{_debug_types(exp_params)} for '{name}', got {_debug_types(params)}.")
    if tuple(results) != tuple(exp_results):
        raise invalid_wasm("Wasm module has an invalid function signature. Expected return type "
                           f"{_debug_types(exp_results)} for '{name}', got {_debug_types(results)}.")


def _check_imports(mod, memory64):
    valid = system_api.signatures(memory64)
    for imp in mod.imports:
        if imp.kind == "func":
            if imp.name not in valid:
                raise invalid_wasm(
                    "Wasm module has an invalid import section. Module imports function "
                    f"'{imp.name}' from '{imp.module}' that is not exported by the runtime.")
            if imp.module != "ic0":
                raise invalid_wasm(
                    "Wasm module has an invalid import section. Module imports function "
                    f'"{imp.name}" from "{imp.module}", expected to be imported from one of '
                    '["ic0"] instead.')
            _check_signature(imp.name, valid[imp.name], mod.types[imp.type_index])
        elif imp.kind == "global":
            raise invalid_wasm("Wasm module has an invalid import section. "
                               "Importing globals is not allowed.")
        elif imp.kind == "tag":
            raise invalid_wasm("Wasm module has an invalid import section. "
                               "Importing tags is not allowed.")
        else:
            raise invalid_wasm(
                "Wasm module has an invalid import section. Module imports "
                f"{imp.kind} '{imp.name}' from '{imp.module}' that is not exported by the runtime.")


def _check_exports(mod):
    kinds = {"canister_update ": set(), "canister_query ": set(), "canister_composite_query ": set()}
    seen, system, total = set(), set(), 0
    for exp in mod.exports:
        if exp.kind != 0 or not exp.name.startswith("canister_"):
            continue
        prefix = next((p for p in METHOD_PREFIXES if exp.name.startswith(p)), None)
        if prefix:
            method = exp.name[len(prefix):]
            if method in seen:
                raise invalid_wasm(
                    f"Duplicate function '{method}' exported multiple times with different "
                    "call types: update, query, or composite_query.")
            seen.add(method)
            kinds[prefix].add(method)
            total += len(method)
        elif exp.name in SYSTEM_EXPORTS:
            system.add(exp.name)
        else:
            raise invalid_wasm("Wasm module has an invalid export section. Exporting reserved "
                               f"function '{exp.name}' with \"canister_\" prefix")
        _check_signature(exp.name, ((), ()), mod.func_type(exp.index))
    if len(seen) > MAX_EXPORTED_METHODS:
        raise invalid_wasm(
            "The number of exported functions called `canister_update <name>`, `canister_query "
            f"<name>`, or `canister_composite_query <name>` is {len(seen)} which exceeds "
            f"{MAX_EXPORTED_METHODS}.")
    if total > MAX_METHOD_NAME_TOTAL:
        raise invalid_wasm(
            f"The sum of `<name>` lengths in exported functions called `canister_update <name>`, "
            f"`canister_query <name>`, or `canister_composite_query <name>` is {total} which "
            f"exceeds {MAX_METHOD_NAME_TOTAL}.")
    return kinds, system


def _check_custom_sections(mod):
    metadata, count, size = {}, 0, 0
    for name, content in mod.custom:
        if not name.startswith("icp:"):
            continue
        if name.startswith("icp:public "):
            key, public = name[len("icp:public "):], True
        elif name.startswith("icp:private "):
            key, public = name[len("icp:private "):], False
        else:
            raise invalid_wasm("Wasm module has an invalid custom section. Invalid custom section: "
                               f"Custom section '{name}' has no public/private scope defined.")
        if key in metadata:
            raise invalid_wasm("Wasm module has an invalid custom section. Invalid custom "
                               f"section: Duplicate custom section named {key}")
        metadata[key] = (public, content)
        count += 1
        size += len(content) + len(key)
    if count > MAX_ICP_SECTIONS:
        raise invalid_wasm(f"Wasm module defined {count} custom sections which exceeds the "
                           f"maximum number allowed {MAX_ICP_SECTIONS}.")
    if size > MAX_ICP_SECTIONS_BYTES:
        raise invalid_wasm("Wasm module has an invalid custom section. Invalid custom sections: "
                           f"total size of the custom sections exceeds the maximum allowed: "
                           f"size {size} bytes, allowed {MAX_ICP_SECTIONS_BYTES} bytes")
    return metadata


def validate(data):
    """Check a module as ``install_code`` does; return ModuleInfo or raise ExecutionError."""
    if len(data) > MAX_MODULE_BYTES:
        raise invalid_wasm(f"Wasm module size {len(data)} exceeds the maximum allowed size "
                           f"{MAX_MODULE_BYTES}.")
    module_hash = hashlib.sha256(bytes(data)).digest()
    raw = unzip(data)
    try:
        mod = wasm_binary.parse(raw)
    except wasm_binary.WasmDecodeError as exc:
        raise invalid_wasm(f"Failed to decode wasm module: {exc}")
    if len(mod.memories) > 1:
        raise invalid_wasm("Wasmtime failed to validate wasm module multiple memories are not "
                           "enabled (at offset 0x0)")
    if len(mod.tables) > 1:
        raise invalid_wasm("Wasm module has an invalid table section. "
                           f"Expected at most one table, found {len(mod.tables)}.")
    memory64 = bool(mod.memories and mod.memories[0].is64)
    _check_imports(mod, memory64)
    if len(mod.globals) > MAX_GLOBALS:
        raise invalid_wasm(f"Wasm module defined {len(mod.globals)} globals which exceeds the "
                           f"maximum number allowed {MAX_GLOBALS}.")
    if len(mod.functions) > MAX_FUNCTIONS:
        raise invalid_wasm(f"Wasm module defined {len(mod.functions)} functions which exceeds "
                           f"the maximum number allowed {MAX_FUNCTIONS}.")
    for g in mod.globals:
        if g.valtype not in _VT_DEBUG:
            raise invalid_wasm("Wasm module has an invalid global section. "
                               f"Unsupported global type: {g.valtype}")
    kinds, system = _check_exports(mod)
    metadata = _check_custom_sections(mod)
    memory_export = next((e.name for e in mod.exports if e.kind == 2 and e.index == 0), None)
    return ModuleInfo(
        wasm=raw, module_hash=module_hash, memory64=memory64,
        update_methods=frozenset(kinds["canister_update "]),
        query_methods=frozenset(kinds["canister_query "]),
        composite_query_methods=frozenset(kinds["canister_composite_query "]),
        system_exports=frozenset(system), metadata=metadata, memory_export=memory_export,
        parsed=mod)
