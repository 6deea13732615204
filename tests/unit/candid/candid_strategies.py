"""Hypothesis strategies: random Candid interfaces (named, recursive and inline types) and
values of them, for the byte-for-byte cross-check against @dfinity/didc.

Types are drawn as small spec trees by static strategies (cheap to draw many of), then
turned into type objects; values are drawn directly inside one composite strategy.
"""
import struct

from hypothesis import strategies as st

from _ic.candid import types as T
from _ic.candid.printer import format_func, format_type
from _ic.candid.values import wrap_opt
from _ic.principal import Principal

PRIMS = [T.Null, T.Bool, T.Nat, T.Int, T.Nat8, T.Nat16, T.Nat32, T.Nat64, T.Int8, T.Int16,
         T.Int32, T.Int64, T.Float32, T.Float64, T.Text, T.Reserved, T.Principal_]

# "_" alone is left out: didc prints a record field named "_" as nothing at all.
names = st.one_of(
    st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True),
    st.sampled_from(["a b", "☃", "type", "nat", "Ok", "Err", "opt", "🐂", "x\"y", "0x", "_x"]),
)
labels = st.one_of(names, st.integers(0, 2**32 - 1), st.integers(0, 5))


def _label_key(label):
    return label if isinstance(label, int) else T.idl_hash(label)


def _fields(inner, min_size):
    return st.lists(st.tuples(labels, inner), min_size=min_size, max_size=4,
                    unique_by=lambda p: _label_key(p[0]))


def _extend(sub):
    return st.one_of(
        st.tuples(st.just("opt"), sub),
        st.tuples(st.just("vec"), sub),
        st.tuples(st.just("record"), _fields(sub, 0)),
        st.tuples(st.just("tuple"), st.lists(sub, min_size=1, max_size=3)),
        st.tuples(st.just("variant"), _fields(st.one_of(sub, st.just(("empty",))), 1)),
        st.tuples(st.just("func"), st.lists(sub, max_size=2), st.lists(sub, max_size=2),
                  st.sampled_from([(), ("query",), ("composite_query",)])),
        st.tuples(st.just("service"), st.lists(
            st.tuples(names, st.lists(sub, max_size=2), st.sampled_from([(), ("query",)])),
            max_size=3, unique_by=lambda m: m[0])),
    )


_leaf = st.one_of(st.tuples(st.just("prim"), st.sampled_from(PRIMS)),
                  st.tuples(st.just("ref"), st.integers(0, 7)),
                  st.just(("blob",)), st.just(("optempty",)))
type_specs = st.recursive(_leaf, _extend, max_leaves=6)


def build(spec, env):
    """Turn a spec tree into a type; ``ref`` leaves pick from the named types ``env``."""
    kind = spec[0]
    if kind == "prim":
        return spec[1]
    if kind == "ref":
        return env[spec[1] % len(env)] if env else T.Nat
    if kind == "blob":
        return T.Vec(T.Nat8)
    if kind == "optempty":
        return T.Opt(T.Empty)
    if kind == "empty":
        return T.Empty
    if kind == "opt":
        return T.Opt(build(spec[1], env))
    if kind == "vec":
        return T.Vec(build(spec[1], env))
    if kind == "record":
        return T.Record([T.Field(k, build(v, env)) for k, v in spec[1]])
    if kind == "tuple":
        return T.Record([build(v, env) for v in spec[1]])
    if kind == "variant":
        return T.Variant([T.Field(k, build(v, env)) for k, v in spec[1]])
    if kind == "func":
        return T.Func([build(v, env) for v in spec[1]], [build(v, env) for v in spec[2]],
                      spec[3])
    if kind == "service":
        return T.Service([(n, T.Func([build(v, env) for v in a], (), m))
                          for n, a, m in spec[1]])
    raise ValueError(kind)


def inhabited(t, seen=()):
    """False for types with no (finite) values, such as empty or record { empty }."""
    t = t.resolve()
    code = t.code
    if code == T.EMPTY or id(t) in seen:
        return False
    if code == T.RECORD:
        return all(inhabited(f.type, seen + (id(t),)) for f in t.fields)
    if code == T.VARIANT:
        return any(inhabited(f.type, seen + (id(t),)) for f in t.fields)
    return True


_small_nat = st.one_of(st.integers(0, 300), st.integers(0, 2**130))
_small_int = st.one_of(st.integers(-300, 300), st.integers(-2**130, 2**130))
_fixed = {code: st.integers(-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed
          else st.integers(0, (1 << bits) - 1)
          for code, (bits, signed) in T.FIXED_INTS.items()}
_f64 = st.floats(allow_nan=False, allow_infinity=False)
_f32 = st.floats(width=32, allow_nan=False, allow_infinity=False).map(
    lambda x: struct.unpack("<f", struct.pack("<f", x))[0])
# No NUL: didc prints it as "\0", which reads as a hex escape when a hex digit follows.
_text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)
principals = st.binary(max_size=29).map(Principal)


def draw_value(draw, t, depth=3):
    """Draw a value of type ``t``; recursive types are cut off at ``depth``."""
    t = t.resolve()
    code = t.code
    if code in (T.NULL, T.RESERVED):
        return None
    if code == T.BOOL:
        return draw(st.booleans())
    if code == T.NAT:
        return draw(_small_nat)
    if code == T.INT:
        return draw(_small_int)
    if code in _fixed:
        return draw(_fixed[code])
    if code == T.FLOAT64:
        return draw(_f64)
    if code == T.FLOAT32:
        return draw(_f32)
    if code == T.TEXT:
        return draw(_text)
    if code in (T.PRINCIPAL, T.SERVICE):
        return draw(principals)
    if code == T.FUNC:
        return (draw(principals), draw(names))
    if code == T.OPT:
        if depth <= 0 or not inhabited(t.inner) or not draw(st.booleans()):
            return None
        return wrap_opt(t.inner, draw_value(draw, t.inner, depth - 1))
    if code == T.VEC:
        if t.inner.resolve() is T.Nat8:
            return draw(st.binary(max_size=12))
        if depth <= 0 or not inhabited(t.inner):
            return []
        return [draw_value(draw, t.inner, depth - 1) for _ in range(draw(st.integers(0, 3)))]
    if code == T.RECORD:
        values = [draw_value(draw, f.type, depth - 1) for f in t.fields]
        if t.is_tuple:
            return tuple(values)
        return {f.label: v for f, v in zip(t.fields, values)}
    if code == T.VARIANT:
        f = draw(st.sampled_from([f for f in t.fields if inhabited(f.type)]))
        return {f.label: draw_value(draw, f.type, depth - 1)}
    raise ValueError(f"no values for {t}")


@st.composite
def interfaces(draw):
    """``(did_text, arg_types, values)``: a service with one method ``m`` taking the args."""
    env = []
    for i in range(draw(st.integers(0, 3))):
        ref = T.Rec(f"t{i}")
        ref.define(build(draw(type_specs), list(env)))
        env.append(ref)
    if draw(st.booleans()):
        ref = T.Rec("list")
        elem = build(draw(type_specs), list(env))
        ref.define(T.Opt(T.Record({"head": elem, "tail": ref})))
        env.append(ref)
    args = [build(spec, env) for spec in draw(st.lists(type_specs, min_size=1, max_size=3))]
    args = [t for t in args if inhabited(t)] or [T.Nat]
    values = [draw_value(draw, t) for t in args]
    lines = [f"type {ref.name} = {format_type(ref.target)};" for ref in env]
    lines.append("service : { m : " + format_func(T.Func(args, ())) + " }")
    return "\n".join(lines), args, values


def draw_mutation(draw, t, depth=3):
    """A type to read ``t``'s values at: often a supertype (upgrade), sometimes not."""
    choice = draw(st.integers(0, 9))
    if depth <= 0 or choice == 0:
        return t
    if choice == 1:
        return T.Reserved if draw(st.booleans()) else T.Opt(draw_mutation(draw, t, depth - 1))
    if choice == 2:
        return build(draw(type_specs), [])
    if t.code == T.REC and choice < 6:
        return t
    r = t.resolve()
    code = r.code
    if code == T.NAT:
        return T.Int
    if code in (T.OPT, T.VEC):
        return type(r)(draw_mutation(draw, r.inner, depth - 1))
    if code in (T.RECORD, T.VARIANT):
        fields = [T.Field(f.label, draw_mutation(draw, f.type, depth - 1)) for f in r.fields
                  if draw(st.integers(0, 4))]
        taken = {f.id for f in fields}
        for label, spec in draw(st.lists(st.tuples(labels, type_specs), max_size=2)):
            ftype = build(spec, [])
            if draw(st.booleans()):
                ftype = T.Opt(ftype)
            field = T.Field(label, ftype)
            if field.id not in taken:
                taken.add(field.id)
                fields.append(field)
        if code == T.VARIANT and not fields:
            return r
        return type(r)(fields)
    return t


@st.composite
def upgrades(draw):
    """``(did_text, old_types, values, new_types)``: values of the old types and a changed
    signature to decode them at (method ``m`` takes the old, ``n`` the new types)."""
    idl, old, values = draw(interfaces())
    new = [draw_mutation(draw, t) for t in old]
    if draw(st.booleans()):
        new = new[:-1] if len(new) > 1 and draw(st.booleans()) else new + [
            T.Opt(build(draw(type_specs), []))]
    head, _, _ = idl.rpartition("\n")
    service = ("service : { m : " + format_func(T.Func(old, ())) + "; n : "
               + format_func(T.Func(new, ())) + " }")
    return (head + "\n" + service if head else service), old, values, new
