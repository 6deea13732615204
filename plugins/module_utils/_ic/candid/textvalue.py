"""Candid text values: ``(record { owner = principal "aaaaa-aa"; n = 5 : nat })``.

Parsing gives untyped nodes (tuples); ``annotate`` types a node at a given type (as DFINITY's
reference implementation does for parsed text: numbers take the expected type, missing
``opt``/``null``/``reserved`` record fields are null, extra record fields are ignored) and
``infer`` gives a node its default type (a number without annotation is an ``int``).
"""
import struct

from ..errors import CandidError
from ..principal import Principal
from . import types as T
from .lexer import Tokens, decode_utf8
from .typeparser import TypeParser
from .values import wrap_opt

_F32 = struct.Struct("<f")


def parse_args_text(text, types=None, env=None):
    """Parse Candid text arguments ``(v1, v2, ...)``; return ``(types, values)``.

    Without ``types`` each value gets its default type; with ``types`` the values are typed
    by them. ``env`` (name -> type) resolves type names used in ``: type`` annotations.
    """
    try:
        return _parse_args(text, types, env)
    except RecursionError:
        raise CandidError("args", "value is nested too deeply") from None


def _parse_args(text, types, env):
    tk = Tokens(text)
    nodes = []
    if tk.is_punct("("):
        tk.next()
        while not tk.accept(")"):
            nodes.append(_annval(tk, env))
            if not tk.accept(","):
                tk.expect(")")
                break
    else:
        nodes.append(_annval(tk, env))
    if tk.peek()[0] != "eof":
        raise tk.error("unexpected text after the arguments")
    if types is None:
        inferred = [infer(node, f"args[{i}]") for i, node in enumerate(nodes)]
        return [t for t, _v in inferred], [v for _t, v in inferred]
    types = list(types)
    if len(nodes) > len(types):
        raise CandidError("args", f"got {len(nodes)} values for {len(types)} argument types")
    values = [annotate(node, t, f"args[{i}]") for i, (node, t) in enumerate(zip(nodes, types))]
    for i, t in enumerate(types[len(nodes):], len(nodes)):
        if not T.is_opt_like(t):
            raise CandidError(f"args[{i}]", f"missing value of type {t}")
        values.append(None)
    return types, values


def parse_value_text(text, type_, env=None):
    """Parse one Candid text value (no parentheses needed) typed by ``type_``."""
    tk = Tokens(text)
    node = _annval(tk, env)
    if tk.peek()[0] != "eof":
        raise tk.error("unexpected text after the value")
    return annotate(node, type_, "")


def _annval(tk, env):
    node = _arg(tk, env)
    if tk.accept(":"):
        start = tk.peek()
        t = TypeParser(tk, env or {}).typ()
        try:
            node = ("typed", t, annotate(node, t, ""))
        except CandidError as err:
            raise tk.error(str(err).rstrip(), start) from None
    return node


# Far above any nat128 (39 digits), below Python's int-string limit (4300 digits).
MAX_DIGITS = 1000


def _number(tk, sign):
    tok = tk.next()
    kind, value = tok[0], tok[1]
    neg = sign == "-"
    if kind in ("dec", "hex") and len(value) > MAX_DIGITS:
        raise tk.error(f"number has {len(value)} digits; at most {MAX_DIGITS} (no Candid value "
                       "needs more)", tok)
    if kind == "dec":
        n = int(value)
    elif kind == "hex":
        n = int(value[2:], 16)
    elif kind == "float":
        f = float(value)
        return ("float", -f if neg else f)
    else:
        raise tk.error("expected a number after the sign", tok)
    return ("num", -n if neg else n)


def _principal(tk):
    tok = tk.next()
    if tok[0] != "text":
        raise tk.error("expected principal text in quotes", tok)
    try:
        return Principal.from_text(decode_utf8(tk, tok))
    except CandidError:
        raise
    except ValueError as err:
        raise tk.error(f"bad principal ({err})", tok) from None


def _label(tk, tok):
    kind = tok[0]
    if kind in ("dec", "hex"):
        if len(tok[1]) > 12:
            raise tk.error("field id is out of the u32 range", tok)
        n = int(tok[1], 16) if kind == "hex" else int(tok[1])
        if n > T.MAX_FIELD_ID:
            raise tk.error("field id is out of the u32 range", tok)
        return n
    if kind == "id":
        return tok[1]
    if kind == "text":
        return decode_utf8(tk, tok)
    raise tk.error("expected a field name", tok)


def _label_id(label):
    return label if isinstance(label, int) else T.idl_hash(label)


def _arg(tk, env):
    tok = tk.next()
    kind, value = tok[0], tok[1]
    if kind == "bool":
        return ("bool", value)
    if kind in ("dec", "hex", "float"):
        tk.i -= 1
        return _number(tk, "+")
    if kind == "sign":
        return _number(tk, value)
    if kind == "text":
        return ("text", decode_utf8(tk, tok))
    if kind == "punct" and value == "(":
        node = _annval(tk, env)
        tk.expect(")")
        return node
    if kind != "kw":
        raise tk.error("expected a value", tok)
    if value == "null":
        return ("null",)
    if value == "opt":
        return ("opt", _arg(tk, env))
    if value == "blob":
        btok = tk.next()
        if btok[0] != "text":
            raise tk.error("expected a text literal after blob", btok)
        return ("blob", btok[1])
    if value == "vec":
        tk.expect("{")
        items = []
        while not tk.accept("}"):
            items.append(_annval(tk, env))
            if not tk.accept(";"):
                tk.expect("}")
                break
        return ("vec", items)
    if value == "record":
        return _record(tk, env, tok)
    if value == "variant":
        tk.expect("{")
        ftok = tk.next()
        label = _label(tk, ftok)
        node = _annval(tk, env) if tk.accept("=") else ("null",)
        tk.accept(";")
        tk.expect("}")
        return ("variant", label, node)
    if value == "principal":
        return ("principal", _principal(tk))
    if value == "service":
        return ("service", _principal(tk))
    if value == "func":
        p = _principal(tk)
        tk.expect(".")
        return ("func", p, tk.name())
    raise tk.error("expected a value", tok)


def _record(tk, env, start):
    tk.expect("{")
    fields = []
    next_id = 0
    while not tk.accept("}"):
        tok = tk.peek()
        if tok[0] in ("dec", "hex", "id", "text") and tk.is_punct("=", 1):
            tk.next()
            tk.next()
            label = _label(tk, tok)
        else:
            label = next_id
        fields.append((label, _annval(tk, env)))
        next_id = _label_id(label) + 1
        if not tk.accept(";"):
            tk.expect("}")
            break
    ids = [_label_id(label) for label, _value in fields]
    if len(set(ids)) != len(ids):
        raise tk.error("duplicate field in record", start)
    return ("record", fields)


def _describe(node):
    kind = node[0]
    if kind in ("num", "float", "bool"):
        return f"{kind} {node[1]!r}"
    if kind == "typed":
        return f"value of type {node[1]}"
    return kind


def annotate(node, t, path):
    """Type the parsed value ``node`` at type ``t``; errors name ``path``."""
    t = t.resolve()
    code = t.code
    kind = node[0]
    if code == T.RESERVED:
        return None
    if kind == "typed":
        return _retype(node, t, path)
    if kind == "num":
        return _num(node[1], t, path)
    if kind == "float" and code in (T.FLOAT32, T.FLOAT64):
        return _f32(node[1]) if code == T.FLOAT32 else node[1]
    if kind == "bool" and code == T.BOOL:
        return node[1]
    if kind == "text" and code == T.TEXT:
        return node[1]
    if kind == "null" and code in (T.NULL, T.OPT):
        return None
    if code == T.OPT and kind == "opt":
        return wrap_opt(t.inner, annotate(node[1], t.inner, path))
    if code == T.VEC:
        if t.inner.resolve() is T.Nat8 and kind in ("blob", "vec"):
            return _blob(node, path)
        if kind == "vec":
            return [annotate(item, t.inner, f"{path}[{i}]") for i, item in enumerate(node[1])]
    if code == T.RECORD and kind == "record":
        return _annotate_record(node, t, path)
    if code == T.VARIANT and kind == "variant":
        hit = t.field_by_id().get(_label_id(node[1]))
        if hit is None:
            raise CandidError(path, f"variant tag {node[1]!r} is not in {t}")
        f = hit[1]
        return {f.label: annotate(node[2], f.type, _join(path, f.label))}
    if code == T.PRINCIPAL and kind == "principal":
        return node[1]
    if code == T.SERVICE and kind == "service":
        return node[1]
    if code == T.FUNC and kind == "func":
        return (node[1], node[2])
    raise CandidError(path, f"type mismatch: {_describe(node)} cannot be of type {t}")


def _join(path, label):
    return f"{path}.{label}" if path else str(label)


def _annotate_record(node, t, path):
    given = {_label_id(label): value for label, value in node[1]}
    out = {}
    for f in t.fields:
        sub = given.get(f.id)
        if sub is None:
            if not T.is_opt_like(f.type):
                raise CandidError(_join(path, f.label), f"record field of type {f.type} is "
                                  "missing")
            out[f.label] = None
        else:
            out[f.label] = annotate(sub, f.type, _join(path, f.label))
    if t.is_tuple:
        return tuple(out[f.label] for f in t.fields)
    return out


def _retype(node, t, path):
    t2 = node[1].resolve()
    if t2 == t or (t2.code == T.NAT and t.code == T.INT):
        return node[2]
    if t.code == T.OPT and t2.code in (T.NULL, T.RESERVED):
        return None
    raise CandidError(path, f"type mismatch: value of type {t2} cannot be of type {t}")


def _num(n, t, path):
    code = t.code
    if code == T.NAT:
        if n < 0:
            raise CandidError(path, f"{n} is negative; nat must be >= 0")
        return n
    if code == T.INT:
        return n
    if code in T.FIXED_INTS:
        lo, hi = T.INT_RANGES[code]
        if not lo <= n <= hi:
            raise CandidError(path, f"{n} is out of range for {t.name} ({lo}..{hi})")
        return n
    if code == T.FLOAT64:
        return float(n)
    if code == T.FLOAT32:
        return _f32(float(n))
    raise CandidError(path, f"type mismatch: number {n} cannot be of type {t}")


def _f32(f):
    try:
        return _F32.unpack(_F32.pack(f))[0]
    except OverflowError:
        return float("inf") if f > 0 else float("-inf")


def _blob(node, path):
    if node[0] == "blob":
        return node[1]
    out = bytearray()
    for i, item in enumerate(node[1]):
        v = annotate(item, T.Nat8, f"{path}[{i}]")
        out.append(v)
    return bytes(out)


def infer(node, path=""):
    """Give an untyped node its default type; return ``(type, value)``."""
    kind = node[0]
    if kind == "typed":
        return node[1], node[2]
    if kind == "num":
        return T.Int, node[1]
    if kind == "float":
        return T.Float64, node[1]
    if kind == "bool":
        return T.Bool, node[1]
    if kind == "text":
        return T.Text, node[1]
    if kind == "null":
        return T.Null, None
    if kind == "blob":
        return T.Vec(T.Nat8), node[1]
    if kind == "principal":
        return T.Principal_, node[1]
    if kind == "service":
        return T.Service({}), node[1]
    if kind == "func":
        return T.Func(), (node[1], node[2])
    if kind == "opt":
        t, v = infer(node[1], path)
        return T.Opt(t), wrap_opt(t, v)
    if kind == "vec":
        if not node[1]:
            return T.Vec(T.Empty), []
        t, _value = infer(node[1][0], f"{path}[0]")
        return T.Vec(t), annotate(node, T.Vec(t), path)
    if kind == "record":
        typed = [(label, infer(sub, _join(path, label))) for label, sub in node[1]]
        rt = T.Record([T.Field(label, t) for label, (t, _value) in typed])
        values = {label: v for label, (_t, v) in typed}
        if rt.is_tuple:
            return rt, tuple(values[f.label] for f in rt.fields)
        return rt, {f.label: values[f.label] for f in rt.fields}
    if kind == "variant":
        t, v = infer(node[2], _join(path, node[1]))
        return T.Variant({node[1]: t}), {node[1]: v}
    raise CandidError(path, f"cannot infer the type of {kind}")
