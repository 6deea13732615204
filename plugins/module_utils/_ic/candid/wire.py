"""The Candid binary format at the byte level: type table, lengths, skipping values.

Work is metered: every value decoded or skipped costs one unit and a vector is charged its
length up front, against a budget that grows with the input size; nesting is limited; every
length is checked against the bytes left. So a small message cannot make the decoder spend
much memory or time (the conformance suite's "spacebomb" and "overshoot" cases).
"""
import struct

from ..errors import CandidError
from ..principal import Principal
from . import types as T

MAX_DEPTH = 300
BASE_BUDGET = 100_000
BUDGET_PER_BYTE = 16
MAX_PRINCIPAL = 29
F32 = struct.Struct("<f")
F64 = struct.Struct("<d")
FIXED_SIZES = {code: (bits // 8, signed) for code, (bits, signed) in T.FIXED_INTS.items()}
OPT_LIKE = (T.NULL, T.RESERVED, T.OPT)


# Replies of one method share their type table: parsed tables are kept, keyed by their bytes
# (wire types are never modified after they are built).
_HEADERS = {}
_HEADER_CACHE_SIZE = 256
_HEADER_CACHE_MAX_BYTES = 4096
# The headers read last, as (bytes, args, min_sizes), tried before a table is read again (a
# fleet reads one reply type a thousand times). Replaced, never changed: threads iterate it.
_RECENT_HEADERS = ()
_RECENT_SIZE = 8


def _remember_header(key, args, min_sizes):
    global _RECENT_HEADERS  # pylint: disable=global-statement
    if not any(known == key for known, _args, _sizes in _RECENT_HEADERS):
        _RECENT_HEADERS = ((key, args, min_sizes),) + _RECENT_HEADERS[:_RECENT_SIZE - 1]


class Mismatch(CandidError):
    """The value's wire type does not fit the expected type (recoverable under ``opt``)."""


class Future(T.Type):
    """A type from a later Candid version (opcode below -24): values can only be skipped."""

    __slots__ = ("code",)

    def __init__(self, code):
        self.code = code

    def __str__(self):
        return f"future type {self.code}"


class Reader:
    """Reads the binary format: header, type table, and skipping of values."""

    def __init__(self, data):
        self.data = data
        self.pos = 0
        self.cost = 0
        self.budget = BASE_BUDGET + BUDGET_PER_BYTE * len(data)
        self.depth = 0
        self.min_sizes = {}
        self.wire = []

    def fail(self, message, pos=None):
        """Raise a CandidError at byte ``pos`` (default: the current position)."""
        raise CandidError(f"byte {self.pos if pos is None else pos}", message)

    def mismatch(self, w, e):
        """Raise a recoverable Mismatch: wire type ``w`` does not fit ``e``."""
        raise Mismatch(f"byte {self.pos}", f"value of type {w} cannot be read as {e}")

    # -- primitives of the format --

    def leb(self):
        """Read an unsigned LEB128 number."""
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
        """Read a signed LEB128 number."""
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
        """Read ``n`` raw bytes."""
        pos = self.pos
        end = pos + n
        if end > len(self.data):
            self.fail(f"needs {n} bytes, only {len(self.data) - pos} left")
        self.pos = end
        return self.data[pos:end]

    def length(self, min_size=1):
        """Read a count of items of at least ``min_size`` bytes each; refuse counts the
        rest of the message cannot hold."""
        start = self.pos
        n = self.leb()
        if min_size and n * min_size > len(self.data) - self.pos:
            self.fail(f"length {n} is larger than the rest of the message", start)
        return n

    def charge(self, units):
        """Spend ``units`` of the work budget."""
        self.cost += units
        if self.cost > self.budget:
            self.fail("message needs too much work to decode (zero-sized data bomb?)")

    def enter(self):
        """Start reading one value: one unit of work, one level deeper (``depth -= 1`` after)."""
        self.cost += 1
        if self.cost > self.budget:
            self.charge(0)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail("value is nested too deeply")

    # -- header --

    def header(self):
        """Read magic, type table and argument types; return the argument wire types."""
        if self.data[:4] != b"DIDL":
            raise CandidError("magic", "not a Candid message: it must start with 'DIDL'")
        # A header is self-delimiting: bytes that start with a known one read as that one.
        for key, args, min_sizes in _RECENT_HEADERS:
            if self.data.startswith(key, 4):
                self.pos = 4 + len(key)
                self.min_sizes = min_sizes
                return args
        self.pos = 4
        count = self.length(1)
        raw = [self.entry(i) for i in range(count)]
        arg_refs = [self.sleb() for _i in range(self.length(1))]
        key = self.data[4:self.pos]
        cached = _HEADERS.get(key)
        if cached is not None:
            self.min_sizes = cached[1]
            _remember_header(key, *cached)
            return cached[0]
        refs = [T.Rec(f"table{i}") for i in range(count)]

        def ref(code):
            """The type a table reference denotes."""
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
        args = [ref(code) for code in arg_refs]
        if len(key) <= _HEADER_CACHE_MAX_BYTES:
            if len(_HEADERS) >= _HEADER_CACHE_SIZE:
                _HEADERS.clear()
            _HEADERS[key] = (args, self.min_sizes)
            _remember_header(key, args, self.min_sizes)
        return args

    def entry(self, i):
        """Read type table entry ``i`` as ``(opcode, raw body)`` with unresolved refs."""
        code = self.sleb()
        if code in (T.OPT, T.VEC):
            return code, self.sleb()
        if code in (T.RECORD, T.VARIANT):
            n = self.length(2)
            fields = []
            last = -1
            for _i in range(n):
                fid = self.leb()
                if fid > T.MAX_FIELD_ID:
                    self.fail(f"field id {fid} is larger than 32 bits")
                if fid <= last:
                    self.fail(f"field ids of type {i} are not strictly increasing")
                last = fid
                fields.append((fid, self.sleb()))
            return code, fields
        if code == T.FUNC:
            args = [self.sleb() for _i in range(self.length(1))]
            rets = [self.sleb() for _i in range(self.length(1))]
            modes = []
            for _i in range(self.length(1)):
                mode = T.MODE_NAMES.get(self.leb())
                if mode is None:
                    self.fail("unknown function annotation")
                modes.append(mode)
            return code, (args, rets, modes)
        if code == T.SERVICE:
            methods = []
            last = None
            for _i in range(self.length(2)):
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
        """Turn a raw table entry into a type object (``ref`` resolves type references)."""
        if code in (T.OPT, T.VEC):
            inner = ref(body)
            return T.Opt(inner) if code == T.OPT else T.Vec(inner)
        if code in (T.RECORD, T.VARIANT):
            fields = [T.Field.numbered(fid, ref(r)) for fid, r in body]
            return (T.Record if code == T.RECORD else T.Variant).from_sorted(fields)
        if code == T.FUNC:
            args, rets, modes = body
            return T.Func([ref(r) for r in args], [ref(r) for r in rets], modes)
        if code == T.SERVICE:
            return T.Service([(name, ref(r)) for name, r in body])
        return Future(code)

    def min_size(self, w, visiting=()):
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
            if key in visiting:
                return 1  # a record that contains itself has no finite value
            inner = visiting + (key,)
            size = 0
            for f in w.fields:
                if self.min_size(f.type, inner):
                    size = 1
                    break
            self.min_sizes[key] = size
        return size

    def skip(self, w):
        """Read and discard a value of wire type ``w``."""
        self.enter()
        w = w.resolve()
        code = w.code
        if code in (T.NULL, T.RESERVED):
            pass
        elif code == T.BOOL:
            if self.take(1)[0] > 1:
                self.fail("bool must be 0 or 1", self.pos - 1)
        elif code in (T.NAT, T.INT):
            self.leb()
        elif code in FIXED_SIZES:
            self.take(FIXED_SIZES[code][0])
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
                for _i in range(n):
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
        """Read a text value (UTF-8 checked)."""
        raw = self.take(self.length(1))
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.fail("text is not valid UTF-8")

    def principal(self):
        """Read a principal (or service) reference value."""
        flag = self.take(1)[0]
        if flag != 1:
            self.fail("opaque reference (flag 0) cannot be decoded; expected flag 1")
        n = self.length(1)
        if n > MAX_PRINCIPAL:
            self.fail(f"principal is {n} bytes; at most {MAX_PRINCIPAL}")
        return Principal(self.take(n))

    def func_value(self):
        """Read a func reference value: ``(Principal, method)``."""
        flag = self.take(1)[0]
        if flag != 1:
            self.fail("opaque function reference cannot be decoded; expected flag 1")
        return (self.principal(), self.text())
