"""Candid type objects.

Primitive types are singletons (``Nat``, ``Text``, ...); constructed types are built with
``Opt(t)``, ``Vec(t)``, ``Record({...})``, ``Variant({...})``, ``Func(args, rets, modes)`` and
``Service({...})``. Recursive and named types use ``Rec(name)``: a reference whose target is
set once with ``.define(t)``; a ``.did`` file's named types are ``Rec`` objects.

Types compare structurally, except that a ``Rec`` is only equal to itself: like a type
variable of DFINITY's reference implementation, it gets its own type table entry when a
message is encoded (which decides the layout of the table), and two files may reuse a name.
"""
from ..errors import CandidError

# Type opcodes of the binary format.
NULL, BOOL, NAT, INT = -1, -2, -3, -4
NAT8, NAT16, NAT32, NAT64 = -5, -6, -7, -8
INT8, INT16, INT32, INT64 = -9, -10, -11, -12
FLOAT32, FLOAT64, TEXT, RESERVED, EMPTY, PRINCIPAL = -13, -14, -15, -16, -17, -24
OPT, VEC, RECORD, VARIANT, FUNC, SERVICE = -18, -19, -20, -21, -22, -23
REC = 1  # not an opcode: marks a reference to be resolved

MODE_CODES = {"query": 1, "oneway": 2, "composite_query": 3}
MODE_NAMES = {code: name for name, code in MODE_CODES.items()}

MAX_FIELD_ID = 0xFFFFFFFF


def idl_hash(name):
    """Return the 32-bit Candid hash of a field or tag name."""
    h = 0
    for byte in name.encode("utf-8"):
        h = (h * 223 + byte) & 0xFFFFFFFF
    return h


class Type:
    """Base class of all Candid types; ``code`` is the binary opcode."""

    __slots__ = ()
    code = 0
    name = ""

    def resolve(self):
        """Return the type itself, following ``Rec`` references."""
        return self

    def __repr__(self):
        from .printer import format_type
        return f"<candid {format_type(self)}>"

    def __str__(self):
        from .printer import format_type
        return format_type(self)


class Primitive(Type):
    """A primitive type such as ``nat`` or ``text``; there is one instance per type."""

    __slots__ = ("code", "name")

    def __init__(self, code, name):
        self.code = code
        self.name = name

    def __reduce__(self):
        return (_primitive, (self.name,))


Null = Primitive(NULL, "null")
Bool = Primitive(BOOL, "bool")
Nat = Primitive(NAT, "nat")
Int = Primitive(INT, "int")
Nat8 = Primitive(NAT8, "nat8")
Nat16 = Primitive(NAT16, "nat16")
Nat32 = Primitive(NAT32, "nat32")
Nat64 = Primitive(NAT64, "nat64")
Int8 = Primitive(INT8, "int8")
Int16 = Primitive(INT16, "int16")
Int32 = Primitive(INT32, "int32")
Int64 = Primitive(INT64, "int64")
Float32 = Primitive(FLOAT32, "float32")
Float64 = Primitive(FLOAT64, "float64")
Text = Primitive(TEXT, "text")
Reserved = Primitive(RESERVED, "reserved")
Empty = Primitive(EMPTY, "empty")
Principal_ = Primitive(PRINCIPAL, "principal")

PRIMITIVES = {t.name: t for t in (Null, Bool, Nat, Int, Nat8, Nat16, Nat32, Nat64, Int8, Int16,
                                  Int32, Int64, Float32, Float64, Text, Reserved, Empty,
                                  Principal_)}
PRIMITIVE_BY_CODE = {t.code: t for t in PRIMITIVES.values()}

# (bits, signed) of the fixed-width integer types
FIXED_INTS = {NAT8: (8, False), NAT16: (16, False), NAT32: (32, False), NAT64: (64, False),
              INT8: (8, True), INT16: (16, True), INT32: (32, True), INT64: (64, True)}
# (lowest, highest) value of each fixed-width integer type
INT_RANGES = {code: (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed
              else (0, (1 << bits) - 1) for code, (bits, signed) in FIXED_INTS.items()}


def _primitive(name):
    return PRIMITIVES[name]


class _Composite(Type):
    """A constructed type; equality and hash are structural (the hash is cached)."""

    __slots__ = ("_hash",)

    def _key(self):
        raise CandidError("type", "abstract type")

    def __eq__(self, other):
        if self is other:
            return True
        if type(other) is not type(self):
            return False
        return hash(self) == hash(other) and self._key() == other._key()

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        try:
            return self._hash
        except AttributeError:
            self._hash = hash((type(self).__name__, self._key()))
            return self._hash


def _check_type(t, what):
    if not isinstance(t, Type):
        raise CandidError(what, f"expected a Candid type, got {type(t).__name__}")
    return t


class _Container(_Composite):
    """A type of one inner type, ``.inner``; ``keyword`` names it in errors."""

    __slots__ = ("inner",)
    keyword = ""

    def __init__(self, inner):
        self.inner = _check_type(inner, self.keyword)

    def _key(self):
        return (self.inner,)


class Opt(_Container):
    """``opt t``."""

    __slots__ = ()
    code = OPT
    keyword = "opt"


class Vec(_Container):
    """``vec t`` (``blob`` is ``Vec(Nat8)``)."""

    __slots__ = ()
    code = VEC
    keyword = "vec"


class Field:
    """One record field or variant tag: ``id`` (u32 hash), ``label`` (str name or int id)."""

    __slots__ = ("id", "label", "type")

    def __init__(self, label, type_):
        if isinstance(label, bool) or not isinstance(label, (str, int)):
            raise CandidError("field", f"label must be a name or a number, got {label!r}")
        if isinstance(label, int):
            if not 0 <= label <= MAX_FIELD_ID:
                raise CandidError("field", f"id {label} is out of the u32 range")
            self.id = label
        else:
            self.id = idl_hash(label)
        self.label = label
        self.type = _check_type(type_, str(label))

    def __eq__(self, other):
        return (isinstance(other, Field) and self.id == other.id and self.label == other.label
                and self.type == other.type)

    def __hash__(self):
        return hash((self.id, self.label, self.type))

    def __repr__(self):
        return f"Field({self.label!r}, {self.type!r})"

    @classmethod
    def numbered(cls, fid, type_):
        """A field with numeric id ``fid`` (already checked), built without validation."""
        f = cls.__new__(cls)
        f.id = fid
        f.label = fid
        f.type = type_
        return f


def _fields(spec, what):
    """Build a sorted field tuple from a dict, a list of types (tuple) or a list of Fields."""
    if isinstance(spec, dict):
        fields = [Field(label, t) for label, t in spec.items()]
    else:
        fields = [f if isinstance(f, Field) else Field(i, f) for i, f in enumerate(spec)]
    fields.sort(key=lambda f: f.id)
    for a, b in zip(fields, fields[1:]):
        if a.id == b.id:
            raise CandidError(what, f"fields {a.label!r} and {b.label!r} have the same id "
                              f"{a.id}; rename one")
    return tuple(fields)


class _Fielded(_Composite):
    """A record or variant type: ``.fields``, a tuple of ``Field`` sorted by id."""

    __slots__ = ("fields", "_by_id")
    keyword = ""

    def __init__(self, fields=()):
        self.fields = _fields(fields, self.keyword)
        self._indexes()

    def _indexes(self):
        self._by_id = None

    def _key(self):
        return self.fields

    @classmethod
    def from_sorted(cls, fields):
        """Build from fields already sorted by strictly increasing id (the decoder's case)."""
        self = cls.__new__(cls)
        self.fields = tuple(fields)
        self._indexes()
        return self


class Record(_Fielded):
    """``record {...}``: ``Record({"a": Nat})``, ``Record([Nat, Text])`` for a tuple."""

    __slots__ = ("is_tuple",)
    code = RECORD
    keyword = "record"

    def _indexes(self):
        fields = self.fields
        self._by_id = None
        self.is_tuple = bool(fields) and fields[-1].id == len(fields) - 1 and all(
            f.label == i for i, f in enumerate(fields))

    def field_by_id(self):
        """Return ``{id: Field}``."""
        if self._by_id is None:
            self._by_id = {f.id: f for f in self.fields}
        return self._by_id


class Variant(_Fielded):
    """``variant {...}``: ``Variant({"ok": Nat, "err": Text})``."""

    __slots__ = ("_by_label",)
    code = VARIANT
    keyword = "variant"

    def _indexes(self):
        self._by_id = None
        self._by_label = None

    def field_by_id(self):
        """Return ``{id: (index, Field)}``."""
        if self._by_id is None:
            self._by_id = {f.id: (i, f) for i, f in enumerate(self.fields)}
        return self._by_id

    def field_by_label(self):
        """Return ``{label: (index, Field)}`` (labels as written: str names or int ids)."""
        if self._by_label is None:
            self._by_label = {f.label: (i, f) for i, f in enumerate(self.fields)}
        return self._by_label


class Func(_Composite):
    """``func (args) -> (rets) modes``; ``modes`` is a tuple of ``query``, ``oneway``,
    ``composite_query``."""

    __slots__ = ("args", "rets", "modes", "arg_names", "ret_names")
    code = FUNC

    def __init__(self, args=(), rets=(), modes=(), arg_names=None, ret_names=None):
        self.args = tuple(_check_type(t, "func argument") for t in args)
        self.rets = tuple(_check_type(t, "func result") for t in rets)
        if isinstance(modes, str):
            modes = (modes,)
        for mode in modes:
            if mode not in MODE_CODES:
                raise CandidError("func", f"unknown mode {mode!r}; use query, oneway or "
                                  "composite_query")
        self.modes = tuple(modes)
        self.arg_names = tuple(arg_names) if arg_names else (None,) * len(self.args)
        self.ret_names = tuple(ret_names) if ret_names else (None,) * len(self.rets)

    def _key(self):
        return (self.args, self.rets, self.modes)

    @property
    def is_query(self):
        """True for ``query`` and ``composite_query`` methods."""
        return "query" in self.modes or "composite_query" in self.modes


class Service(_Composite):
    """``service {...}``: ``Service({"method": Func(...)})``; methods sorted by name."""

    __slots__ = ("methods",)
    code = SERVICE

    def __init__(self, methods=()):
        items = methods.items() if isinstance(methods, dict) else methods
        checked = []
        for name, t in items:
            if not isinstance(name, str):
                raise CandidError("service", f"method name must be text, got {name!r}")
            checked.append((name, _check_type(t, name)))
        checked.sort(key=lambda m: m[0].encode("utf-8"))
        for a, b in zip(checked, checked[1:]):
            if a[0] == b[0]:
                raise CandidError("service", f"method {a[0]!r} is defined twice")
        self.methods = tuple(checked)

    def _key(self):
        return self.methods

    def method(self, name):
        """Return the method's type (resolved to a Func) or None."""
        for method_name, t in self.methods:
            if method_name == name:
                return t.resolve()
        return None


class Rec(Type):
    """A named or recursive type: a reference, defined once with ``define``.

    A ``Rec`` equals only itself, so all uses of one named type share one type table entry.
    """

    __slots__ = ("name", "target")
    code = REC

    def __init__(self, name, target=None):
        self.name = name
        self.target = None
        if target is not None:
            self.define(target)

    def define(self, target):
        """Set the referenced type (once)."""
        if self.target is not None:
            raise CandidError(self.name, "type is already defined")
        self.target = _check_type(target, self.name)
        return self

    def resolve(self):
        """Follow references to the first non-``Rec`` type."""
        t = self
        seen = 0
        while t.code == REC:
            if t.target is None:
                raise CandidError(t.name, "type is used but never defined")
            t = t.target
            seen += 1
            if seen > 10000:
                raise CandidError(self.name, "type definition is cyclic without a constructor")
        return t

    def __eq__(self, other):
        return self is other

    def __ne__(self, other):
        return self is not other

    def __hash__(self):
        return hash(("Rec", self.name))


def is_primitive(t):
    """True when ``t`` resolves to a primitive type (encoded inline, not in the table)."""
    return t.resolve().code in PRIMITIVE_BY_CODE


def is_opt_like(t):
    """True when ``null <: t``: t is null, reserved or opt (after resolving)."""
    return t.resolve().code in (NULL, RESERVED, OPT)
