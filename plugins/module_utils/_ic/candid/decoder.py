"""Binary Candid decoder with subtyping (the spec's coercion rules), bounded against hostile
input (see ``wire.py`` for the metering)."""
from ..errors import CandidError
from . import types as T
from .subtype import is_subtype
from .values import wrap_opt
from .wire import F32, F64, FIXED_SIZES, OPT_LIKE, Mismatch, Reader

__all__ = ["decode", "decode_typed", "read_header", "Mismatch"]


# The tag a lenient decoder gives a variant case the expected type does not know.
UNKNOWN_CASE = "unknown"


def decode(data, types=None, lenient=False):
    """Decode a Candid message; with ``types``, read each argument at that type.

    ``lenient`` reads replies of other replica versions: a record field the reply lacks is
    None (unknown) even when the type does not make it ``opt``, and a variant case the
    type lacks decodes as ``{UNKNOWN_CASE: None}``. Fields the type lacks are ignored anyway.
    """
    return decode_typed(data, types, lenient)[1]


def decode_typed(data, types=None, lenient=False):
    """Like ``decode`` but return ``(types, values)``; without ``types``, the wire types."""
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise CandidError("data", f"expected bytes, got {type(data).__name__}")
    reader = Decoder(data)
    reader.lenient = lenient
    try:
        values = reader.message(types)
    except IndexError:
        raise CandidError(f"byte {len(data)}", "message ends too early") from None
    except RecursionError:
        raise CandidError(f"byte {reader.pos}", "value or type is nested too deeply") from None
    return (list(types) if types is not None else reader.wire), values


def read_header(data):
    """Return ``(wire_types, position)`` of a message's type table and argument types."""
    reader = Decoder(bytes(data))
    try:
        return reader.header(), reader.pos
    except IndexError:
        raise CandidError(f"byte {len(data)}", "message ends too early") from None


class Decoder(Reader):
    """Decodes a whole message, reading each value at its expected type."""

    lenient = False

    def message(self, types):
        """Decode every argument, at ``types`` (None: at the message's own types)."""
        wire = self.wire = self.header()
        if types is None:
            types = wire
        values = []
        for i, e in enumerate(types):
            if not isinstance(e, T.Type):
                raise CandidError(f"types[{i}]", f"expected a Candid type, got "
                                  f"{type(e).__name__}")
            if i < len(wire):
                values.append(self.value(wire[i], e))
            elif e.resolve().code in OPT_LIKE:
                values.append(None)
            else:
                raise CandidError(f"args[{i}]", f"argument of type {e} is missing from the "
                                  "message")
        for w in wire[len(types):]:
            self.skip(w)
        if self.pos != len(self.data):
            self.fail(f"{len(self.data) - self.pos} unexpected bytes after the last value")
        return values

    def value(self, w, e):
        """Read a value of wire type ``w`` as expected type ``e``."""
        self.enter()
        w = w.resolve()
        e = e.resolve()
        reader = _READERS.get(e.code)
        if reader is None:  # a future type, only when decoding without expected types
            self.skip(w)
            result = None
        else:
            result = reader(self, w, e)
        self.depth -= 1
        return result


def _r_reserved(r, w, e):
    r.skip(w)
    return None


def _r_null(r, w, e):
    if w.code != T.NULL:
        r.mismatch(w, e)
    return None


def _r_bool(r, w, e):
    if w.code != T.BOOL:
        r.mismatch(w, e)
    b = r.take(1)[0]
    if b > 1:
        r.fail("bool must be 0 or 1", r.pos - 1)
    return b == 1


def _r_nat(r, w, e):
    if w.code != T.NAT:
        r.mismatch(w, e)
    return r.leb()


def _r_int(r, w, e):
    if w.code == T.INT:
        return r.sleb()
    if w.code == T.NAT:
        return r.leb()
    r.mismatch(w, e)


def _r_fixed(r, w, e):
    if w.code != e.code:
        r.mismatch(w, e)
    size, signed = FIXED_SIZES[e.code]
    return int.from_bytes(r.take(size), "little", signed=signed)


def _r_float32(r, w, e):
    if w.code != T.FLOAT32:
        r.mismatch(w, e)
    return F32.unpack(r.take(4))[0]


def _r_float64(r, w, e):
    if w.code != T.FLOAT64:
        r.mismatch(w, e)
    return F64.unpack(r.take(8))[0]


def _r_text(r, w, e):
    if w.code != T.TEXT:
        r.mismatch(w, e)
    return r.text()


def _r_empty(r, w, e):
    r.mismatch(w, e)


def _r_principal(r, w, e):
    if w.code not in (T.PRINCIPAL, T.SERVICE):
        r.mismatch(w, e)
    return r.principal()


def _r_service(r, w, e):
    if w.code != T.SERVICE or not is_subtype(w, e):
        r.mismatch(w, e)
    return r.principal()


def _r_func(r, w, e):
    if w.code != T.FUNC or not is_subtype(w, e):
        r.mismatch(w, e)
    return r.func_value()


def _r_opt(r, w, e):
    code = w.code
    if code in (T.NULL, T.RESERVED):
        return None
    if code == T.OPT:
        flag = r.take(1)[0]
        if flag == 0:
            return None
        if flag != 1:
            r.fail("opt flag must be 0 or 1")
        return _try_some(r, w.inner, e.inner)
    return _try_some(r, w, e.inner)


def _try_some(r, w, inner):
    """Read ``w`` as ``inner``; when it does not fit, skip it and give null (opt rule)."""
    pos, depth = r.pos, r.depth
    try:
        return wrap_opt(inner, r.value(w, inner))
    except Mismatch:
        r.pos, r.depth = pos, depth
        r.charge(10)
        r.skip(w)
        return None


def _r_vec(r, w, e):
    if w.code != T.VEC:
        r.mismatch(w, e)
    wi = w.inner
    ei = e.inner
    n = r.length(r.min_size(wi))
    r.charge(n)
    ec = ei.resolve().code
    if ec == T.NAT8 and wi.resolve().code == T.NAT8:
        return r.take(n)
    value = r.value
    return [value(wi, ei) for _i in range(n)]


def _r_record(r, w, e):
    if w.code != T.RECORD:
        r.mismatch(w, e)
    want = e.field_by_id()
    got = {}
    for f in w.fields:
        ef = want.get(f.id)
        if ef is None:
            r.skip(f.type)
        else:
            got[f.id] = r.value(f.type, ef.type)
    if len(got) != len(want):
        for ef in e.fields:
            if ef.id not in got:
                if ef.type.resolve().code not in OPT_LIKE and not r.lenient:
                    raise Mismatch(str(ef.label), f"record field of type {ef.type} is missing")
                got[ef.id] = None
    if e.is_tuple:
        return tuple(got[f.id] for f in e.fields)
    return {f.label: got[f.id] for f in e.fields}


def _r_variant(r, w, e):
    if w.code != T.VARIANT:
        r.mismatch(w, e)
    idx = r.leb()
    if idx >= len(w.fields):
        r.fail(f"variant index {idx} is out of range ({len(w.fields)} tags)")
    wf = w.fields[idx]
    hit = e.field_by_id().get(wf.id)
    if hit is None and r.lenient:
        r.skip(wf.type)
        return {UNKNOWN_CASE: None}
    if hit is None:
        raise Mismatch(f"byte {r.pos}", f"variant tag {wf.id} is not in the expected type {e}")
    ef = hit[1]
    return {ef.label: r.value(wf.type, ef.type)}


_READERS = {
    T.NULL: _r_null, T.RESERVED: _r_reserved, T.EMPTY: _r_empty, T.BOOL: _r_bool,
    T.NAT: _r_nat, T.INT: _r_int, T.FLOAT32: _r_float32, T.FLOAT64: _r_float64,
    T.TEXT: _r_text, T.PRINCIPAL: _r_principal, T.OPT: _r_opt, T.VEC: _r_vec,
    T.RECORD: _r_record, T.VARIANT: _r_variant, T.FUNC: _r_func, T.SERVICE: _r_service,
}
for _code in T.FIXED_INTS:
    _READERS[_code] = _r_fixed
