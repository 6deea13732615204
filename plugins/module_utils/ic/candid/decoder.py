"""Binary Candid decoder with subtyping, bounded against hostile input.

Work is metered: every value decoded or skipped costs one unit and a vector is charged its
length up front, against a budget that grows with the input size; nesting is limited; every
length is checked against the bytes left. So a small message cannot make the decoder spend
much memory or time (the conformance suite's "spacebomb" and "overshoot" cases).
"""
import struct

from ..errors import CandidError
from ..principal import Principal
from . import types as T
from .subtype import is_subtype
from .values import wrap_opt

MAX_DEPTH = 300
BASE_BUDGET = 500_000
BUDGET_PER_BYTE = 16
MAX_PRINCIPAL = 29
_F32 = struct.Struct("<f")
_F64 = struct.Struct("<d")
_FIXED = {code: (bits // 8, signed) for code, (bits, signed) in T.FIXED_INTS.items()}
_OPT_LIKE = (T.NULL, T.RESERVED, T.OPT)


class Mismatch(CandidError):
    """The value's wire type does not fit the expected type (recoverable under ``opt``)."""


class Future(T.Type):
    """A type from a later Candid version (opcode below -24): values can only be skipped."""

    __slots__ = ("code",)

    def __init__(self, code):
        self.code = code

    def __str__(self):
        return f"future type {self.code}"


def decode(data, types=None):
    """Decode a Candid message; with ``types``, read each argument at that type."""
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise CandidError("data", f"expected bytes, got {type(data).__name__}")
    reader = _Reader(data)
    try:
        return reader.message(types)
    except IndexError:
        raise CandidError(f"byte {len(data)}", "message ends too early") from None
    except RecursionError:
        raise CandidError(f"byte {reader.pos}", "value or type is nested too deeply") from None


def decode_typed(data, types=None):
    """Like ``decode`` but return ``(types, values)``; without ``types``, the wire types."""
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise CandidError("data", f"expected bytes, got {type(data).__name__}")
    reader = _Reader(data)
    try:
        values = reader.message(types)
    except IndexError:
        raise CandidError(f"byte {len(data)}", "message ends too early") from None
    except RecursionError:
        raise CandidError(f"byte {reader.pos}", "value or type is nested too deeply") from None
    return (list(types) if types is not None else reader.wire), values


def read_header(data):
    """Return ``(wire_types, position)`` of a message's type table and argument types."""
    reader = _Reader(bytes(data))
    try:
        return reader.header(), reader.pos
    except IndexError:
        raise CandidError(f"byte {len(data)}", "message ends too early") from None


class _Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0
        self.cost = 0
        self.budget = BASE_BUDGET + BUDGET_PER_BYTE * len(data)
        self.depth = 0
        self.min_sizes = {}
        self.wire = []

    def fail(self, message):
        raise CandidError(f"byte {self.pos}", message)

    def mismatch(self, w, e):
        raise Mismatch(f"byte {self.pos}", f"value of type {w} cannot be read as {e}")

    # -- primitives of the format --

    def leb(self):
        data = self.data
        pos = self.pos
        b = data[pos]
        if b < 0x80:
            self.pos = pos + 1
            return b
        result = 0
        shift = 0
        while True:
            b = data[pos]
            pos += 1
            result |= (b & 0x7F) << shift
            if b < 0x80:
                break
            shift += 7
        self.pos = pos
        return result

    def sleb(self):
        data = self.data
        pos = self.pos
        result = 0
        shift = 0
        while True:
            b = data[pos]
            pos += 1
            result |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                break
        self.pos = pos
        if b & 0x40:
            result -= 1 << shift
        return result

    def take(self, n):
        pos = self.pos
        end = pos + n
        if end > len(self.data):
            self.fail(f"needs {n} bytes, only {len(self.data) - pos} left")
        self.pos = end
        return self.data[pos:end]

    def length(self, min_size=1):
        n = self.leb()
        if min_size and n * min_size > len(self.data) - self.pos:
            self.fail(f"length {n} is larger than the rest of the message")
        return n

    def charge(self, units):
        self.cost += units
        if self.cost > self.budget:
            self.fail("message needs too much work to decode (zero-sized data bomb?)")

    # -- header --

    def header(self):
        if self.data[:4] != b"DIDL":
            raise CandidError("magic", "not a Candid message: it must start with 'DIDL'")
        self.pos = 4
        count = self.length(1)
        raw = [self.entry(i) for i in range(count)]
        refs = [T.Rec(f"table{i}") for i in range(count)]

        def ref(code):
            if code >= 0:
                if code >= count:
                    self.fail(f"type index {code} is out of range (table has {count})")
                return refs[code]
            prim = T.PRIMITIVE_BY_CODE.get(code)
            if prim is None:
                self.fail(f"type reference {code} is neither primitive nor a table index")
            return prim

        for i, (code, body) in enumerate(raw):
            refs[i].define(self.build(code, body, ref))
        for i, (code, body) in enumerate(raw):
            if code == T.SERVICE:
                for name, mt in refs[i].target.methods:
                    if mt.resolve().code != T.FUNC:
                        self.fail(f"service method {name!r} does not have a func type")
        nargs = self.length(1)
        args = []
        for _ in range(nargs):
            args.append(ref(self.sleb()))
        return args

    def entry(self, i):
        code = self.sleb()
        if code in (T.OPT, T.VEC):
            return code, self.sleb()
        if code in (T.RECORD, T.VARIANT):
            n = self.length(2)
            fields = []
            last = -1
            for _ in range(n):
                fid = self.leb()
                if fid > T.MAX_FIELD_ID:
                    self.fail(f"field id {fid} is larger than 32 bits")
                if fid <= last:
                    self.fail(f"field ids of type {i} are not strictly increasing")
                last = fid
                fields.append((fid, self.sleb()))
            return code, fields
        if code == T.FUNC:
            args = [self.sleb() for _ in range(self.length(1))]
            rets = [self.sleb() for _ in range(self.length(1))]
            modes = []
            for _ in range(self.length(1)):
                mode = T.MODE_NAMES.get(self.leb())
                if mode is None:
                    self.fail("unknown function annotation")
                modes.append(mode)
            return code, (args, rets, modes)
        if code == T.SERVICE:
            methods = []
            last = None
            for _ in range(self.length(2)):
                raw = self.take(self.length(1))
                try:
                    name = raw.decode("utf-8")
                except UnicodeDecodeError:
                    self.fail("method name is not valid UTF-8")
                if last is not None and raw <= last:
                    self.fail(f"service methods are not sorted and unique at {name!r}")
                last = raw
                methods.append((name, self.sleb()))
            return code, methods
        if code < T.PRINCIPAL:
            self.take(self.length(1))
            return code, None
        self.fail(f"type table entry {i} has invalid opcode {code}")

    def build(self, code, body, ref):
        if code in (T.OPT, T.VEC):
            inner = ref(body)
            return T.Opt(inner) if code == T.OPT else T.Vec(inner)
        if code in (T.RECORD, T.VARIANT):
            fields = [T.Field(fid, ref(r)) for fid, r in body]
            return T.Record(fields) if code == T.RECORD else T.Variant(fields)
        if code == T.FUNC:
            args, rets, modes = body
            return T.Func([ref(r) for r in args], [ref(r) for r in rets], modes)
        if code == T.SERVICE:
            return T.Service([(name, ref(r)) for name, r in body])
        return Future(code)

    # -- message --

    def message(self, types):
        wire = self.wire = self.header()
        if types is None:
            types = wire
        values = []
        for i, e in enumerate(types):
            if i < len(wire):
                values.append(self.value(wire[i], e))
            elif e.resolve().code in _OPT_LIKE:
                values.append(None)
            else:
                raise CandidError(f"args[{i}]", f"argument of type {e} is missing from the "
                                  "message")
        for w in wire[len(types):]:
            self.skip(w)
        if self.pos != len(self.data):
            self.fail(f"{len(self.data) - self.pos} unexpected bytes after the last value")
        return values

    def min_size(self, w):
        """0 when values of wire type ``w`` may take no bytes, else 1."""
        w = w.resolve()
        code = w.code
        if code in (T.NULL, T.RESERVED):
            return 0
        if code != T.RECORD:
            return 1
        key = id(w)
        size = self.min_sizes.get(key)
        if size is None:
            self.min_sizes[key] = 1  # a record that contains itself has no finite value
            size = 0
            for f in w.fields:
                if self.min_size(f.type):
                    size = 1
                    break
            self.min_sizes[key] = size
        return size

    def value(self, w, e):
        """Read a value of wire type ``w`` as expected type ``e``."""
        self.cost += 1
        if self.cost > self.budget:
            self.charge(0)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail("value is nested too deeply")
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

    def skip(self, w):
        """Read and discard a value of wire type ``w``."""
        self.cost += 1
        if self.cost > self.budget:
            self.charge(0)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail("value is nested too deeply")
        w = w.resolve()
        code = w.code
        if code in (T.NULL, T.RESERVED):
            pass
        elif code == T.BOOL:
            if self.take(1)[0] > 1:
                self.fail("bool must be 0 or 1")
        elif code in (T.NAT, T.INT):
            self.leb()
        elif code in _FIXED:
            self.take(_FIXED[code][0])
        elif code == T.FLOAT32:
            self.take(4)
        elif code == T.FLOAT64:
            self.take(8)
        elif code == T.TEXT:
            self.text()
        elif code in (T.PRINCIPAL, T.SERVICE):
            self.principal()
        elif code == T.OPT:
            flag = self.take(1)[0]
            if flag == 1:
                self.skip(w.inner)
            elif flag:
                self.fail("opt flag must be 0 or 1")
        elif code == T.VEC:
            inner = w.inner
            n = self.length(self.min_size(inner))
            self.charge(n)
            ic = inner.resolve().code
            if ic in (T.NAT8, T.INT8):
                self.take(n)
            else:
                for _ in range(n):
                    self.skip(inner)
        elif code == T.RECORD:
            for f in w.fields:
                self.skip(f.type)
        elif code == T.VARIANT:
            idx = self.leb()
            if idx >= len(w.fields):
                self.fail(f"variant index {idx} is out of range")
            self.skip(w.fields[idx].type)
        elif code == T.FUNC:
            self.func_value()
        elif code == T.EMPTY:
            self.fail("a value of type empty cannot exist")
        elif isinstance(w, Future):
            self.take(self.length(1))
            self.leb()
        else:
            self.fail(f"cannot skip a value of type {w}")
        self.depth -= 1

    def text(self):
        raw = self.take(self.length(1))
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.fail("text is not valid UTF-8")

    def principal(self):
        flag = self.take(1)[0]
        if flag != 1:
            self.fail("opaque reference (flag 0) cannot be decoded; expected flag 1")
        n = self.length(1)
        if n > MAX_PRINCIPAL:
            self.fail(f"principal is {n} bytes; at most {MAX_PRINCIPAL}")
        return Principal(self.take(n))

    def func_value(self):
        flag = self.take(1)[0]
        if flag != 1:
            self.fail("opaque function reference cannot be decoded; expected flag 1")
        return (self.principal(), self.text())


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
        r.fail("bool must be 0 or 1")
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
    size, signed = _FIXED[e.code]
    return int.from_bytes(r.take(size), "little", signed=signed)


def _r_float32(r, w, e):
    if w.code != T.FLOAT32:
        r.mismatch(w, e)
    return _F32.unpack(r.take(4))[0]


def _r_float64(r, w, e):
    if w.code != T.FLOAT64:
        r.mismatch(w, e)
    return _F64.unpack(r.take(8))[0]


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
    return [value(wi, ei) for _ in range(n)]


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
                if ef.type.resolve().code not in _OPT_LIKE:
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
