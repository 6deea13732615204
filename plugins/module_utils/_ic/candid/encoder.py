"""Binary Candid encoder, byte for byte equal to DFINITY's reference implementation.

The type table is laid out as the reference implementation does: types are numbered in
pre-order as they are first met, structurally equal types share one entry, and a named
(``Rec``) type gets its own entry, shared by all its uses.
"""
import math
import struct

from ..errors import CandidError
from ..leb128 import write_leb, write_sleb
from ..principal import Principal
from . import types as T
from .values import Some

MAGIC = b"DIDL"
_F32 = struct.Struct("<f")
_F64 = struct.Struct("<d")


class TypeTable:
    """Collects the type table entries needed to describe some argument types."""

    def __init__(self):
        self.index = {}
        self.entries = []

    def build(self, t):
        """Add ``t`` (and everything it refers to) to the table."""
        if t in self.index:
            return
        actual = t.resolve()
        if actual.code in T.PRIMITIVE_BY_CODE:
            return
        idx = len(self.entries)
        self.index[t] = idx
        self.entries.append(b"")
        out = bytearray()
        code = actual.code
        if code in (T.OPT, T.VEC):
            self.build(actual.inner)
            write_sleb(out, code)
            self.write_ref(out, actual.inner)
        elif code in (T.RECORD, T.VARIANT):
            for f in actual.fields:
                self.build(f.type)
            write_sleb(out, code)
            write_leb(out, len(actual.fields))
            for f in actual.fields:
                write_leb(out, f.id)
                self.write_ref(out, f.type)
        elif code == T.SERVICE:
            for _name, mt in actual.methods:
                self.build(mt)
            write_sleb(out, code)
            write_leb(out, len(actual.methods))
            for name, mt in actual.methods:
                raw = name.encode("utf-8")
                write_leb(out, len(raw))
                out += raw
                self.write_ref(out, mt)
        elif code == T.FUNC:
            for at in actual.args + actual.rets:
                self.build(at)
            write_sleb(out, code)
            write_leb(out, len(actual.args))
            for at in actual.args:
                self.write_ref(out, at)
            write_leb(out, len(actual.rets))
            for rt in actual.rets:
                self.write_ref(out, rt)
            write_leb(out, len(actual.modes))
            for mode in actual.modes:
                write_sleb(out, T.MODE_CODES[mode])
        else:
            raise CandidError("type", f"cannot encode type {actual}")
        self.entries[idx] = bytes(out)

    def write_ref(self, out, t):
        """Append the reference to ``t``: a primitive opcode or a table index."""
        actual = t.resolve() if t.code == T.REC else t
        if actual.code in T.PRIMITIVE_BY_CODE:
            write_sleb(out, actual.code)
        else:
            write_sleb(out, self.index[t])


def encode(types, values):
    """Encode ``values`` (Python value model) at ``types`` into a Candid message."""
    types = list(types)
    values = list(values)
    for i, t in enumerate(types):
        if not isinstance(t, T.Type):
            raise CandidError(f"types[{i}]", f"expected a Candid type, got {type(t).__name__}")
    if len(values) > len(types):
        raise CandidError("args", f"got {len(values)} values for {len(types)} types; "
                          "give one value per argument type")
    for t in types[len(values):]:
        if not T.is_opt_like(t):
            raise CandidError(f"args[{len(values)}]", f"missing value of type {t}")
        values.append(None)
    out = bytearray(header(types))
    for i, (t, v) in enumerate(zip(types, values)):
        try:
            write_value(out, t, v)
        except CandidError as err:
            raise _at(err, f"args[{i}]") from None
    return bytes(out)


# Calls of one method share their type table: built tables are kept, keyed by the identity
# of the type objects (types compare by name, and two .did files may reuse a name).
_HEADERS = {}
_HEADER_CACHE_SIZE = 256


def header(types):
    """The message header (magic, type table, argument types) for ``types``."""
    key = tuple(id(t) for t in types)
    hit = _HEADERS.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], types)):
        return hit[1]
    table = TypeTable()
    for t in types:
        table.build(t)
    out = bytearray(MAGIC)
    write_leb(out, len(table.entries))
    for entry in table.entries:
        out += entry
    write_leb(out, len(types))
    for t in types:
        table.write_ref(out, t)
    data = bytes(out)
    if len(_HEADERS) >= _HEADER_CACHE_SIZE:
        _HEADERS.clear()
    _HEADERS[key] = (tuple(types), data)
    return data


def _at(err, prefix):
    """Return ``err`` with its path prefixed (``prefix.field`` or ``prefix[i]``)."""
    field = err.field
    if not field:
        field = prefix
    elif field.startswith("["):
        field = prefix + field
    else:
        field = f"{prefix}.{field}"
    return CandidError(field, err.message)


def _kind(v):
    return type(v).__name__


def _int(v, t):
    if isinstance(v, bool) or not isinstance(v, int):
        raise CandidError("", f"expected an integer for {t.name}, got {_kind(v)}")
    return v


def write_value(out, t, v):
    """Append the encoding of value ``v`` of type ``t``."""
    t = t.resolve()
    code = t.code
    writer = _WRITERS.get(code)
    if writer is None:
        raise CandidError("", f"cannot encode a value of type {t}")
    writer(out, t, v)


def _w_null(out, t, v):
    if v is not None:
        raise CandidError("", f"expected null (None), got {_kind(v)}")


def _w_reserved(out, t, v):
    pass


def _w_empty(out, t, v):
    raise CandidError("", "type empty has no values")


def _w_bool(out, t, v):
    if not isinstance(v, bool):
        raise CandidError("", f"expected a bool, got {_kind(v)}")
    out.append(1 if v else 0)


def _w_nat(out, t, v):
    if _int(v, t) < 0:
        raise CandidError("", f"nat cannot be negative ({v})")
    write_leb(out, v)


def _w_int(out, t, v):
    write_sleb(out, _int(v, t))


def _w_fixed(out, t, v):
    bits, signed = T.FIXED_INTS[t.code]
    _int(v, t)
    lo, hi = T.INT_RANGES[t.code]
    if not lo <= v <= hi:
        raise CandidError("", f"{v} is out of range for {t.name} ({lo}..{hi})")
    out += v.to_bytes(bits // 8, "little", signed=signed)


def _w_float32(out, t, v):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise CandidError("", f"expected a number for float32, got {_kind(v)}")
    try:
        out += _F32.pack(v)
    except OverflowError:
        if math.isfinite(v):
            raise CandidError("", f"{v} is out of range for float32") from None
        raise


def _w_float64(out, t, v):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise CandidError("", f"expected a number for float64, got {_kind(v)}")
    try:
        out += _F64.pack(v)
    except OverflowError:
        raise CandidError("", f"{v} is out of range for float64") from None


def _w_text(out, t, v):
    if not isinstance(v, str):
        raise CandidError("", f"expected text, got {_kind(v)}")
    try:
        raw = v.encode("utf-8")
    except UnicodeEncodeError:
        raise CandidError("", "text contains unpaired surrogates; give valid unicode") from None
    write_leb(out, len(raw))
    out += raw


def _principal_bytes(v):
    if isinstance(v, Principal):
        return v.raw
    try:
        return Principal.coerce(v).raw
    except Exception:
        raise CandidError("", f"not a principal: got {_kind(v)}") from None


def _w_principal(out, t, v):
    raw = _principal_bytes(v)
    out.append(1)
    write_leb(out, len(raw))
    out += raw


def _w_opt(out, t, v):
    if v is None:
        out.append(0)
        return
    if isinstance(v, Some):
        v = v.value
    out.append(1)
    write_value(out, t.inner, v)


def _w_vec(out, t, v):
    inner = t.inner.resolve()
    if inner.code == T.NAT8 and isinstance(v, (bytes, bytearray, memoryview)):
        write_leb(out, len(v))
        out += v
        return
    if isinstance(v, (str, bytes, dict)) or not isinstance(v, (list, tuple)):
        raise CandidError("", f"expected a list for {t}, got {_kind(v)}")
    write_leb(out, len(v))
    writer = _WRITERS.get(inner.code)
    if writer is None:
        raise CandidError("", f"cannot encode a value of type {inner}")
    i = 0
    try:
        for i, item in enumerate(v):
            writer(out, inner, item)
    except CandidError as err:
        raise _at(err, f"[{i}]") from None


def _w_record(out, t, v):
    fields = t.fields
    if isinstance(v, (list, tuple)):
        if not t.is_tuple and fields:
            raise CandidError("", f"expected a dict for {t}, got {_kind(v)}")
        if len(v) != len(fields):
            raise CandidError("", f"expected a tuple of {len(fields)} values, got {len(v)}")
        for f, item in zip(fields, v):
            try:
                write_value(out, f.type, item)
            except CandidError as err:
                raise _at(err, f"[{f.label}]") from None
        return
    if not isinstance(v, dict):
        raise CandidError("", f"expected a dict for record, got {_kind(v)}")
    used = 0
    for f in fields:
        if f.label in v:
            item = v[f.label]
            used += 1
        elif f.id in v and f.id != f.label:
            item = v[f.id]
            used += 1
        elif T.is_opt_like(f.type):
            item = None
        else:
            raise CandidError(str(f.label), f"missing record field of type {f.type}")
        try:
            write_value(out, f.type, item)
        except CandidError as err:
            raise _at(err, str(f.label)) from None
    if used != len(v):
        known = {f.label for f in fields} | {f.id for f in fields}
        extra = next(k for k in v if k not in known)
        raise CandidError(str(extra), "is not a field of the record type; remove it")


def _w_variant(out, t, v):
    if isinstance(v, str):
        v = {v: None}
    if not isinstance(v, dict) or len(v) != 1:
        raise CandidError("", f"expected a one-key dict {{tag: value}} for {t}, got "
                          f"{_kind(v)}")
    (tag, item), = v.items()
    by_label = t.field_by_label()
    hit = by_label.get(tag)
    if hit is None and isinstance(tag, int) and not isinstance(tag, bool):
        hit = t.field_by_id().get(tag)
    if hit is None:
        tags = ", ".join(str(f.label) for f in t.fields)
        raise CandidError(str(tag), f"is not a tag of the variant; use one of: {tags}")
    index, f = hit
    write_leb(out, index)
    try:
        write_value(out, f.type, item)
    except CandidError as err:
        raise _at(err, str(f.label)) from None


def _w_func(out, t, v):
    if not isinstance(v, (list, tuple)) or len(v) != 2 or not isinstance(v[1], str):
        raise CandidError("", f"expected (principal, method name) for func, got {_kind(v)}")
    raw = _principal_bytes(v[0])
    out += b"\x01\x01"
    write_leb(out, len(raw))
    out += raw
    _w_text(out, T.Text, v[1])


def _w_service(out, t, v):
    _w_principal(out, t, v)


_WRITERS = {
    T.NULL: _w_null, T.RESERVED: _w_reserved, T.EMPTY: _w_empty, T.BOOL: _w_bool,
    T.NAT: _w_nat, T.INT: _w_int, T.FLOAT32: _w_float32, T.FLOAT64: _w_float64,
    T.TEXT: _w_text, T.PRINCIPAL: _w_principal, T.OPT: _w_opt, T.VEC: _w_vec,
    T.RECORD: _w_record, T.VARIANT: _w_variant, T.FUNC: _w_func, T.SERVICE: _w_service,
}
for _code in T.FIXED_INTS:
    _WRITERS[_code] = _w_fixed
