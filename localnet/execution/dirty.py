"""Dirty-page tracking: rewrite every store so that it marks its 4 KiB page in a bitmap.

This is how the replica makes rollbacks cheap too. The bitmap is a second memory (one byte
per page, exported as ``BITMAP_EXPORT``); stores, ``memory.fill``, ``memory.copy`` and
``memory.init`` mark the pages they touch, and the host marks what ``ic0`` calls write. A
rollback then restores only the marked pages from the last committed copy.

Modules using instructions this rewriter does not decode (SIMD, atomics, exceptions, GC) are
left alone (``Unsupported``); the engine then copies the whole memory per message instead.
"""
from .wasm_binary import VALTYPES, WasmDecodeError, _Reader, uleb_bytes

PAGE_SHIFT = 12
BITMAP_EXPORT = "__ic_dirty"
SAVE_EXPORT, RESTORE_EXPORT = "__ic_globals_save", "__ic_globals_restore"
GLOBAL_SLOT = 16
# One byte per 4 KiB page: 4 GiB (wasm32) or 6 GiB (wasm64) of heap.
BITMAP_PAGES = {False: (4 << 30) >> PAGE_SHIFT >> 16, True: (6 << 30) >> PAGE_SHIFT >> 16}

# opcode: (value type, bytes written)
STORES = {0x36: ("i32", 4), 0x37: ("i64", 8), 0x38: ("f32", 4), 0x39: ("f64", 8),
          0x3A: ("i32", 1), 0x3B: ("i32", 2), 0x3C: ("i64", 1), 0x3D: ("i64", 2),
          0x3E: ("i64", 4)}
_NO_IMMEDIATE = set(range(0x45, 0xC5)) | {0x00, 0x01, 0x05, 0x0B, 0x0F, 0x1A, 0x1B, 0xD1}
_ONE_INDEX = {0x0C, 0x0D, 0x10, 0x12, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0xD2,
              0x3F, 0x40}
_FC_NONE = set(range(0, 8))
_FC_ONE = {9, 11, 13, 15, 16, 17}
_FC_TWO = {8, 10, 12, 14}
_LOCAL_TYPES = ("i32", "i64", "f32", "f64")
_VT_BYTE = {"i32": 0x7F, "i64": 0x7E, "f32": 0x7D, "f64": 0x7C}
STORE8_BITMAP = bytes([0x3A, 0x40, 0x01, 0x00])   # i32.store8 (memory 1) offset=0


class Unsupported(Exception):
    """The module uses an instruction the rewriter does not handle."""


def _sleb(value):
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if (value == 0 and not b & 0x40) or (value == -1 and b & 0x40):
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)


def _signed(value, bits):
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


class _Emitter:
    """Instruction snippets for one index width (i32 or i64 addresses)."""

    def __init__(self, memory64):
        self.m64 = memory64
        self.bits = 64 if memory64 else 32

    def const(self, value):
        return bytes([0x42 if self.m64 else 0x41]) + _sleb(_signed(value, self.bits))

    def page_of(self, local, offset):
        """Mark the page of ``local + offset``."""
        code = bytes([0x20]) + uleb_bytes(local) + self.const(offset)
        if self.m64:
            code += bytes([0x7C, 0x42]) + _sleb(PAGE_SHIFT) + bytes([0x88, 0xA7])
        else:
            code += bytes([0x6A, 0x41]) + _sleb(PAGE_SHIFT) + bytes([0x76])
        return code + bytes([0x41, 0x01]) + STORE8_BITMAP

    def mark_range_body(self):
        """Body of ``(func (param start I) (param len I))`` marking every page in range."""
        ext = b"" if self.m64 else bytes([0xAD])       # i64.extend_i32_u

        def get(i):                                       # local.get i
            return bytes([0x20, i])

        end, idx = 2, 3                                   # i64 locals after the 2 params
        code = get(1) + ext + bytes([0x50, 0x04, 0x40, 0x0F, 0x0B])          # len == 0
        code += get(0) + ext + get(1) + ext + bytes([0x7C, 0x21, end])         # end = s + n
        code += get(end) + get(0) + ext + bytes([0x54, 0x04, 0x40, 0x0F, 0x0B])  # overflow
        code += get(end) + bytes([0x3F, 0x00]) + ext + bytes([0x42, 16, 0x86, 0x56,
                                                             0x04, 0x40, 0x0F, 0x0B])
        code += get(0) + ext + bytes([0x42, PAGE_SHIFT, 0x88, 0x21, idx])
        code += get(end) + bytes([0x42, 1, 0x7D, 0x42, PAGE_SHIFT, 0x88, 0x21, end])
        code += bytes([0x03, 0x40]) + get(idx) + bytes([0xA7, 0x41, 0x01]) + STORE8_BITMAP
        code += get(idx) + bytes([0x42, 1, 0x7C, 0x22, idx]) + get(end) + \
            bytes([0x58, 0x0D, 0x00, 0x0B, 0x0B])
        return bytes([1, 2, 0x7E]) + code


def _skip_blocktype(r):
    b = r.data[r.pos]
    if b == 0x40 or b in VALTYPES:
        r.pos += 1
    elif b in (0x63, 0x64):
        r.pos += 1
        r.sleb()
    else:
        r.sleb()


def _memarg(r):
    align = r.uleb()
    if align & 0x40:
        if r.uleb() != 0:
            raise Unsupported("store to another memory")
    return r.uleb()


def _rewrite_body(body, n_params, emit, mark_func):
    """Instrument one function body (locals + expression)."""
    r = _Reader(body)
    groups = [(r.uleb(), r.valtype()) for _group in range(r.uleb())]
    if any(vt not in _VT_BYTE and vt != "v128" for _count, vt in groups):
        raise Unsupported("reference-typed locals")
    base = n_params + sum(count for count, _vt in groups)
    width = "i64" if emit.m64 else "i32"
    extra = {"a": base, "b": base + 1, "n": base + 2}      # address-width temporaries
    for k, vt in enumerate(_LOCAL_TYPES):
        extra[vt] = base + 3 + k
    extra["i32b"] = base + 7
    out = bytearray()
    while r.pos < r.end:
        start = r.pos
        op = r.byte()
        if op in STORES:
            vt, size = STORES[op]
            offset = _memarg(r)
            out += bytes([0x21]) + uleb_bytes(extra[vt]) + bytes([0x21]) + uleb_bytes(extra["a"])
            out += emit.page_of(extra["a"], offset) + emit.page_of(extra["a"], offset + size - 1)
            out += bytes([0x20]) + uleb_bytes(extra["a"]) + bytes([0x20]) + uleb_bytes(extra[vt])
        elif op == 0xFC:
            sub = r.uleb()
            if sub in (8, 10, 11):
                out += _bulk_prefix(sub, extra, width, emit, mark_func)
            if sub in _FC_ONE:
                r.uleb()
            elif sub in _FC_TWO:
                r.uleb()
                r.uleb()
            elif sub not in _FC_NONE:
                raise Unsupported(f"0xFC {sub}")
        else:
            _skip_immediates(r, op)
        out += body[start:r.pos]
    decls = list(groups) + [(3, width), (1, "i32"), (1, "i64"), (1, "f32"), (1, "f64"),
                            (1, "i32")]
    head = uleb_bytes(len(decls)) + b"".join(
        uleb_bytes(c) + bytes([_VT_BYTE.get(vt, 0x7B)]) for c, vt in decls)
    return head + bytes(out)


def _bulk_prefix(sub, extra, width, emit, mark_func):
    """Save the operands of memory.init/copy/fill, mark the destination range, restore."""
    def get(k):     # local.get
        return bytes([0x20]) + uleb_bytes(extra[k])

    def put(k):     # local.set
        return bytes([0x21]) + uleb_bytes(extra[k])

    if sub == 8:    # memory.init: (dst: I, src: i32, len: i32)
        code = put("i32b") + put("i32") + put("a") + get("a") + get("i32b")
        if emit.m64:
            code += bytes([0xAD])
        return code + bytes([0x10]) + uleb_bytes(mark_func) + get("a") + get("i32") + get("i32b")
    second = "b" if sub == 10 else "i32"   # memory.copy src: I; memory.fill value: i32
    return (put("n") + put(second) + put("a") + get("a") + get("n") + bytes([0x10]) +
            uleb_bytes(mark_func) + get("a") + get(second) + get("n"))


def _skip_immediates(r, op):
    if op in _NO_IMMEDIATE:
        return
    if op in (0x02, 0x03, 0x04):
        _skip_blocktype(r)
    elif op in _ONE_INDEX:
        r.uleb()
    elif op in (0x11, 0x13):
        r.uleb()
        r.uleb()
    elif op == 0x0E:
        for _target in range(r.uleb() + 1):
            r.uleb()
    elif op == 0x1C:
        for _result in range(r.uleb()):
            r.valtype()
    elif 0x28 <= op <= 0x35:
        _memarg(r)
    elif op in (0x41, 0x42):
        r.sleb()
    elif op == 0x43:
        r.take(4)
    elif op == 0x44:
        r.take(8)
    elif op == 0xD0:
        r.sleb()
    else:
        raise Unsupported(f"opcode 0x{op:02x}")


def rewrite_code(mod, memory64):
    """New payloads for the type, function, memory and code sections (or Unsupported).

    Returns ``{section id: payload}`` plus the exports to add.
    """
    try:
        return _rewrite(mod, memory64)
    except (WasmDecodeError, IndexError) as exc:
        raise Unsupported(str(exc)) from exc


def _rewrite(mod, memory64):
    sections = dict(mod.sections)
    if 10 not in sections or len(mod.memories) != 1 or mod.imported_count("memory"):
        raise Unsupported("no single defined memory")
    emit = _Emitter(memory64)
    width = 0x7E if memory64 else 0x7F
    type_index = len(mod.types)
    mark_func = mod.imported_count("func") + len(mod.functions)
    types = _append_vec(_append_vec(sections[1], bytes([0x60, 2, width, width, 0])),
                        bytes([0x60, 0, 0]))
    funcs = _append_vec(_append_vec(_append_vec(sections[3], uleb_bytes(type_index)),
                                    uleb_bytes(type_index + 1)), uleb_bytes(type_index + 1))
    memories = _append_vec(sections[5],
                           bytes([0x00]) + uleb_bytes(BITMAP_PAGES[memory64] + 1))
    r = _Reader(sections[10])
    bodies = []
    for i in range(r.uleb()):
        size = r.uleb()
        body = r.take(size)
        params = len(mod.types[mod.functions[i]][0])
        bodies.append(_rewrite_body(body, params, emit, mark_func))
    bodies.append(emit.mark_range_body())
    bodies.extend(_globals_bodies(mod, memory64))
    code = uleb_bytes(len(bodies)) + b"".join(uleb_bytes(len(b)) + b for b in bodies)
    return {1: types, 3: funcs, 5: memories, 10: code}


def globals_area(memory64):
    """Offset in the bitmap memory where the save function puts the mutable globals."""
    return BITMAP_PAGES[memory64] << 16


# value type: (store opcode bytes, load opcode bytes), all to/from memory 1
_GLOBAL_IO = {"i32": (b"\x36", b"\x28"), "i64": (b"\x37", b"\x29"), "f32": (b"\x38", b"\x2a"),
              "f64": (b"\x39", b"\x2b"), "v128": (b"\xfd\x0b", b"\xfd\x00")}


def _globals_bodies(mod, memory64):
    """Bodies of two functions copying every mutable global to / from the globals area, so
    the host snapshots them with one call instead of one FFI round trip per global."""
    first = mod.imported_count("global")
    area = globals_area(memory64)
    save, restore = bytearray(b"\x00"), bytearray(b"\x00")
    slot = 0
    for i, g in enumerate(mod.globals):
        if not g.mutable:
            continue
        store, load = _GLOBAL_IO[g.valtype]
        addr = bytes([0x41]) + _sleb(area + GLOBAL_SLOT * slot)
        index = uleb_bytes(first + i)
        save += addr + bytes([0x23]) + index + store + bytes([0x40, 0x01, 0x00])
        restore += addr + load + bytes([0x40, 0x01, 0x00]) + bytes([0x24]) + index
        slot += 1
    return [bytes(save) + b"\x0b", bytes(restore) + b"\x0b"]


def _append_vec(payload, item):
    r = _Reader(payload)
    count = r.uleb()
    return uleb_bytes(count + 1) + payload[r.pos:] + item
