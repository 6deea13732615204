"""Hypothesis strategies: random Candid interfaces (named, recursive and inline types) and
values of them, for the byte-for-byte cross-check against @dfinity/didc."""
import struct

from hypothesis import strategies as st

from ic.candid import types as T
from ic.candid.printer import format_func, format_label, format_type
from ic.candid.values import Some, wrap_opt
from ic.principal import Principal

PRIMS = [T.Null, T.Bool, T.Nat, T.Int, T.Nat8, T.Nat16, T.Nat32, T.Nat64, T.Int8, T.Int16,
         T.Int32, T.Int64, T.Float32, T.Float64, T.Text, T.Reserved, T.Principal_]

names = st.one_of(
    st.from_regex(r"[a-z_][a-z0-9_]{0,7}", fullmatch=True),
    st.sampled_from(["a b", "☃", "type", "nat", "Ok", "Err", "opt", "🐂", "x\"y", "0x"]),
)
labels = st.one_of(names, st.integers(0, 2**32 - 1), st.integers(0, 5))


def _inhabited(t, seen=()):
    t = t.resolve()
    code = t.code
    if code == T.EMPTY or id(t) in seen:
        return False
    if code == T.RECORD:
        return all(_inhabited(f.type, seen + (id(t),)) for f in t.fields)
    if code == T.VARIANT:
        return any(_inhabited(f.type, seen + (id(t),)) for f in t.fields)
    return True


def field_lists(inner, min_size=0):
    return st.lists(st.tuples(labels, inner), min_size=min_size, max_size=4,
                    unique_by=lambda p: p[0] if isinstance(p[0], int) else T.idl_hash(p[0]))


def type_strategy(env, depth):
    """Types up to ``depth`` constructors deep, referring to the named types in ``env``."""
    leaves = [st.sampled_from(PRIMS)]
    if env:
        leaves.append(st.sampled_from(env))
    leaf = st.one_of(*leaves)
    if depth <= 0:
        return leaf
    sub = st.deferred(lambda: type_strategy(env, depth - 1))
    return st.one_of(
        leaf,
        sub.map(T.Opt),
        sub.map(T.Vec),
        st.just(T.Vec(T.Nat8)),
        st.just(T.Opt(T.Empty)),
        field_lists(sub).map(lambda fs: T.Record([T.Field(k, v) for k, v in fs])),
        st.lists(sub, min_size=1, max_size=3).map(T.Record),
        field_lists(st.one_of(sub, st.just(T.Empty)), 1).map(
            lambda fs: T.Variant([T.Field(k, v) for k, v in fs])).filter(_inhabited),
        st.tuples(st.lists(sub, max_size=2), st.lists(sub, max_size=2),
                  st.sampled_from([(), ("query",), ("composite_query",)])).map(
            lambda a: T.Func(a[0], a[1], a[2])),
        st.lists(st.tuples(names, st.tuples(st.lists(sub, max_size=2),
                                            st.sampled_from([(), ("query",)]))),
                 max_size=3, unique_by=lambda m: m[0]).map(
            lambda ms: T.Service([(n, T.Func(a, (), m)) for n, (a, m) in ms])),
    )


principals = st.binary(max_size=29).map(Principal)


def _f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def value_strategy(t, depth=3):
    """Values of type ``t`` (recursive types are cut off at ``depth``)."""
    t = t.resolve()
    code = t.code
    if code in (T.NULL, T.RESERVED):
        return st.none()
    if code == T.BOOL:
        return st.booleans()
    if code == T.NAT:
        return st.one_of(st.integers(0, 300), st.integers(0, 2**130))
    if code == T.INT:
        return st.one_of(st.integers(-300, 300), st.integers(-2**130, 2**130))
    if code in T.FIXED_INTS:
        bits, signed = T.FIXED_INTS[code]
        if signed:
            return st.integers(-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
        return st.integers(0, (1 << bits) - 1)
    if code == T.FLOAT64:
        return st.floats(allow_nan=False, allow_infinity=False)
    if code == T.FLOAT32:
        return st.floats(width=32, allow_nan=False, allow_infinity=False).map(_f32)
    if code == T.TEXT:
        return st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
    if code in (T.PRINCIPAL, T.SERVICE):
        return principals
    if code == T.FUNC:
        return st.tuples(principals, names)
    if code == T.OPT:
        if depth <= 0 or not _inhabited(t.inner):
            return st.none()
        inner = t.inner
        return st.one_of(st.none(), st.deferred(lambda: value_strategy(inner, depth - 1)).map(
            lambda v: wrap_opt(inner, v)))
    if code == T.VEC:
        if t.inner.resolve() is T.Nat8:
            return st.binary(max_size=12)
        if depth <= 0 or not _inhabited(t.inner):
            return st.just([])
        return st.lists(st.deferred(lambda: value_strategy(t.inner, depth - 1)), max_size=3)
    if code == T.RECORD:
        parts = [value_strategy(f.type, depth - 1) for f in t.fields]
        if t.is_tuple:
            return st.tuples(*parts)
        return st.tuples(*parts).map(lambda vs: {f.label: v for f, v in zip(t.fields, vs)})
    if code == T.VARIANT:
        options = [f for f in t.fields if _inhabited(f.type)]
        return st.one_of(*[value_strategy(f.type, depth - 1).map(
            lambda v, f=f: {f.label: v}) for f in options])
    raise ValueError(f"no values for {t}")


@st.composite
def interfaces(draw):
    """``(did_text, arg_types, values)``: a service with one method ``m`` taking the args."""
    env = []
    defs = []
    for i in range(draw(st.integers(0, 3))):
        ref = T.Rec(f"t{i}")
        ref.define(draw(type_strategy(list(env), 2)))
        env.append(ref)
        defs.append(ref)
    if draw(st.booleans()):
        ref = T.Rec("list")
        elem = draw(type_strategy(list(env), 1))
        ref.define(T.Opt(T.Record({"head": elem, "tail": ref})))
        env.append(ref)
        defs.append(ref)
    args = draw(st.lists(type_strategy(env, 3).filter(_inhabited), min_size=1, max_size=3))
    values = [draw(value_strategy(t)) for t in args]
    lines = [f"type {ref.name} = {format_type(ref.target)};" for ref in defs]
    lines.append("service : { m : " + format_func(T.Func(args, ())) + " }")
    return "\n".join(lines), args, values


__all__ = ["interfaces", "value_strategy", "type_strategy", "Some", "format_label"]
