"""Reading and minimally rewriting WebAssembly binaries (no third-party parser needed).

Only the parts the engine needs are decoded: types, imports, functions, tables, memories,
globals, exports, start and custom sections. Code and data sections are kept as opaque bytes.
"""
from dataclasses import dataclass, field

from _ic.leb128 import write_leb

MAGIC = b"\x00asm"
VALTYPES = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64", 0x7B: "v128",
            0x70: "funcref", 0x6F: "externref"}
SECTION_ORDER = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13}


class WasmDecodeError(ValueError):
    """The bytes are not a WebAssembly module this parser understands."""


@dataclass
class Import:
    module: str
    name: str
    kind: str            # "func" | "table" | "memory" | "global" | "tag"
    type_index: int = -1  # for functions


@dataclass
class Limits:
    minimum: int
    maximum: int | None
    is64: bool


@dataclass
class Export:
    name: str
    kind: int  # 0 func, 1 table, 2 memory, 3 global
    index: int


@dataclass
class Global:
    valtype: str
    mutable: bool


@dataclass
class ParsedModule:
    """The decoded outline of a module; ``sections`` keeps (id, payload) of every section."""
    sections: list = field(default_factory=list)
    types: list = field(default_factory=list)        # [(params tuple, results tuple)]
    imports: list = field(default_factory=list)
    functions: list = field(default_factory=list)    # type index per defined function
    tables: list = field(default_factory=list)       # Limits
    memories: list = field(default_factory=list)     # Limits
    globals: list = field(default_factory=list)
    exports: list = field(default_factory=list)
    start: int | None = None
    custom: list = field(default_factory=list)       # [(name, bytes)]

    def imported_count(self, kind):
        """Number of imports of one kind ("func", "table", "memory", "global")."""
        return sum(1 for i in self.imports if i.kind == kind)

    def func_type(self, func_index):
        """(params, results) of a function in the module's function index space."""
        funcs = [i for i in self.imports if i.kind == "func"]
        if func_index < len(funcs):
            return self.types[funcs[func_index].type_index]
        return self.types[self.functions[func_index - len(funcs)]]


class _Reader:
    def __init__(self, data, pos=0, end=None):
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else end

    def byte(self):
        if self.pos >= self.end:
            raise WasmDecodeError("unexpected end of section")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def uleb(self):
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return result
            if shift > 70:
                raise WasmDecodeError("LEB128 integer too long")

    def sleb(self):
        # The same groups as uleb; the sign bit is bit 6 of the last byte.
        start = self.pos
        result = self.uleb()
        if self.data[self.pos - 1] & 0x40:
            result -= 1 << (7 * (self.pos - start))
        return result

    def take(self, n):
        if self.pos + n > self.end:
            raise WasmDecodeError("unexpected end of section")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return bytes(out)

    def name(self):
        raw = self.take(self.uleb())
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WasmDecodeError("name is not valid UTF-8") from exc

    def valtype(self):
        b = self.byte()
        if b in (0x63, 0x64):  # (ref null? heaptype) from the function-references proposal
            self.sleb()
            return "ref"
        if b not in VALTYPES:
            raise WasmDecodeError(f"unknown value type 0x{b:02x}")
        return VALTYPES[b]

    def limits(self):
        flags = self.byte()
        is64 = bool(flags & 0x04)
        minimum = self.uleb()
        maximum = self.uleb() if flags & 0x01 else None
        if flags & 0x08:  # custom page size
            self.uleb()
        return Limits(minimum, maximum, is64)

    def skip_const_expr(self):
        while True:
            op = self.byte()
            if op == 0x0B:
                return
            if op in (0x41, 0x42):
                self.sleb()
            elif op == 0x43:
                self.take(4)
            elif op == 0x44:
                self.take(8)
            elif op in (0x23, 0xD2):
                self.uleb()
            elif op == 0xD0:
                self.sleb()
            elif op == 0xFD:  # v128.const
                self.uleb()
                self.take(16)
            elif op in (0x6A, 0x6B, 0x6C, 0x7C, 0x7D, 0x7E):  # extended-const arithmetic
                continue
            else:
                raise WasmDecodeError(f"unsupported opcode 0x{op:02x} in constant expression")


def uleb_bytes(value):
    """Unsigned LEB128 encoding (the client's writer)."""
    out = bytearray()
    write_leb(out, value)
    return bytes(out)


def _name_bytes(text):
    raw = text.encode("utf-8")
    return uleb_bytes(len(raw)) + raw


def parse(data):
    """Decode a module's outline; raises WasmDecodeError on malformed input."""
    data = bytes(data)
    if data[:4] != MAGIC:
        raise WasmDecodeError("bad magic number (not a Wasm binary)")
    if data[4:8] != b"\x01\x00\x00\x00":
        raise WasmDecodeError("unsupported Wasm binary version")
    mod = ParsedModule()
    r = _Reader(data, 8)
    while r.pos < r.end:
        sid = r.byte()
        size = r.uleb()
        start = r.pos
        if start + size > len(data):
            raise WasmDecodeError(f"section {sid} extends past the end of the module")
        payload = data[start:start + size]
        mod.sections.append((sid, payload))
        _decode_section(mod, sid, _Reader(data, start, start + size))
        r.pos = start + size
    return mod


def _decode_section(mod, sid, r):
    if sid == 0:
        name = r.name()
        mod.custom.append((name, r.take(r.end - r.pos)))
    elif sid == 1:
        for _index in range(r.uleb()):
            form = r.byte()
            if form != 0x60:
                raise WasmDecodeError(f"unsupported type form 0x{form:02x}")
            params = tuple(r.valtype() for _param in range(r.uleb()))
            results = tuple(r.valtype() for _result in range(r.uleb()))
            mod.types.append((params, results))
    elif sid == 2:
        for _index in range(r.uleb()):
            module, name, kind = r.name(), r.name(), r.byte()
            if kind == 0x00:
                mod.imports.append(Import(module, name, "func", r.uleb()))
            elif kind == 0x01:
                r.valtype()
                mod.imports.append(Import(module, name, "table"))
                mod.tables.append(r.limits())
            elif kind == 0x02:
                mod.imports.append(Import(module, name, "memory"))
                mod.memories.append(r.limits())
            elif kind == 0x03:
                r.valtype()
                r.byte()
                mod.imports.append(Import(module, name, "global"))
            elif kind == 0x04:
                r.byte()
                r.uleb()
                mod.imports.append(Import(module, name, "tag"))
            else:
                raise WasmDecodeError(f"unknown import kind {kind}")
    elif sid == 3:
        mod.functions = [r.uleb() for _index in range(r.uleb())]
    elif sid == 4:
        for _index in range(r.uleb()):
            if r.data[r.pos] == 0x40:  # table with an explicit initialiser
                r.take(2)
                r.valtype()
                mod.tables.append(r.limits())
                r.skip_const_expr()
            else:
                r.valtype()
                mod.tables.append(r.limits())
    elif sid == 5:
        mod.memories.extend(r.limits() for _index in range(r.uleb()))
    elif sid == 6:
        for _index in range(r.uleb()):
            vt = r.valtype()
            mutable = r.byte() == 1
            r.skip_const_expr()
            mod.globals.append(Global(vt, mutable))
    elif sid == 7:
        for _index in range(r.uleb()):
            name = r.name()
            kind = r.byte()
            mod.exports.append(Export(name, kind, r.uleb()))
    elif sid == 8:
        mod.start = r.uleb()


def _export_payload(exports):
    out = bytearray(uleb_bytes(len(exports)))
    for e in exports:
        out += _name_bytes(e.name) + bytes([e.kind]) + uleb_bytes(e.index)
    return bytes(out)


def _section(sid, payload):
    return bytes([sid]) + uleb_bytes(len(payload)) + payload


def instrument(mod, start_export, table_export, memory_export, global_prefix, replace=None,
               extra_exports=()):
    """Rebuild the module so the host can snapshot and restore it.

    Every mutable global is exported as ``<global_prefix><index>`` (a host can only read exported
    globals), the first table is exported as ``table_export``, and the start function is moved
    from the start section to the export ``start_export`` so that an instance restored from a
    snapshot does not run it again. ``replace`` maps section ids to new payloads and
    ``extra_exports`` are added as they are. Returns the new module bytes.
    """
    replace = replace or {}
    extra = list(extra_exports)
    first_global = mod.imported_count("global")
    for i, g in enumerate(mod.globals):
        if g.mutable:
            extra.append(Export(f"{global_prefix}{first_global + i}", 3, first_global + i))
    if mod.tables and not any(e.kind == 1 and e.index == 0 for e in mod.exports):
        extra.append(Export(table_export, 1, 0))
    if mod.memories and not any(e.kind == 2 and e.index == 0 for e in mod.exports):
        extra.append(Export(memory_export, 2, 0))
    if mod.start is not None:
        extra.append(Export(start_export, 0, mod.start))
    exports = list(mod.exports) + extra
    out = bytearray(MAGIC + b"\x01\x00\x00\x00")
    wrote_exports = False
    for sid, payload in mod.sections:
        if sid == 8:
            continue
        if not wrote_exports and sid != 0 and SECTION_ORDER.get(sid, 0) > SECTION_ORDER[7]:
            out += _section(7, _export_payload(exports))
            wrote_exports = True
        if sid == 7:
            if not wrote_exports:
                out += _section(7, _export_payload(exports))
                wrote_exports = True
            continue
        out += _section(sid, replace.get(sid, payload))
    if not wrote_exports:
        out += _section(7, _export_payload(exports))
    return bytes(out)


def export_name(mod, kind, fallback):
    """The name under which the module's first table (kind 1) or memory (kind 2) is exported."""
    for e in mod.exports:
        if e.kind == kind and e.index == 0:
            return e.name
    return fallback
