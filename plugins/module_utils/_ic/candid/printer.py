"""Candid text output: types (``.did`` syntax) and typed values (``(record { a = 1 : nat })``)."""
import math
import re

from ..errors import CandidError
from . import types as T
from .lexer import KEYWORDS
from .values import Some

_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_RESERVED_WORDS = KEYWORDS | {"true", "false"}
_PRINTABLE = set(range(0x20, 0x7F)) - {0x22, 0x5C}


def format_label(label):
    """A field label or method name as Candid text (quoted when it is not an identifier)."""
    if isinstance(label, int):
        return str(label)
    if _ID.match(label) and label not in _RESERVED_WORDS and label not in T.PRIMITIVES:
        return label
    return format_text(label)


def format_text(s):
    """A Candid text literal."""
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{{{code:x}}}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def format_blob(data):
    """A ``blob "..."`` literal."""
    return 'blob "' + "".join(chr(b) if b in _PRINTABLE else f"\\{b:02x}" for b in data) + '"'


def format_type(t):
    """A type in ``.did`` syntax (named types by name)."""
    code = t.code
    if code == T.REC:
        return t.name
    if code in T.PRIMITIVE_BY_CODE:
        return t.name
    if code == T.OPT:
        return "opt " + format_type(t.inner)
    if code == T.VEC:
        if t.inner is T.Nat8:
            return "blob"
        return "vec " + format_type(t.inner)
    if code == T.RECORD:
        if not t.fields:
            return "record {}"
        if t.is_tuple:
            return "record { " + "; ".join(format_type(f.type) for f in t.fields) + " }"
        return "record { " + "; ".join(
            f"{format_label(f.label)} : {format_type(f.type)}" for f in t.fields) + " }"
    if code == T.VARIANT:
        if not t.fields:
            return "variant {}"
        return "variant { " + "; ".join(
            format_label(f.label) if f.type is T.Null
            else f"{format_label(f.label)} : {format_type(f.type)}" for f in t.fields) + " }"
    if code == T.FUNC:
        return "func " + format_func(t)
    if code == T.SERVICE:
        return "service " + format_service(t)
    return str(t)


def format_func(f):
    """``(args) -> (rets) modes`` of a ``Func``."""
    def tup(types, names):
        """``(name : type, ...)``."""
        return "(" + ", ".join(
            (f"{format_label(n)} : " if n else "") + format_type(t)
            for t, n in zip(types, names)) + ")"
    text = tup(f.args, f.arg_names) + " -> " + tup(f.rets, f.ret_names)
    if f.modes:
        text += " " + " ".join(f.modes)
    return text


def format_service(s):
    """``{ method : (..) -> (..); ... }`` of a ``Service``."""
    if not s.methods:
        return "{}"
    parts = []
    for name, mtype in s.methods:
        body = mtype.name if mtype.code == T.REC else format_func(mtype)
        parts.append(f"{format_label(name)} : {body}")
    return "{ " + "; ".join(parts) + " }"


def format_value(t, v):
    """One typed value as Candid text."""
    t = t.resolve()
    code = t.code
    if code == T.NULL:
        return "null"
    if code == T.RESERVED:
        return "null : reserved"
    if code == T.BOOL:
        return "true" if v else "false"
    if code in (T.NAT, T.INT) or code in T.FIXED_INTS:
        return f"{v} : {t.name}"
    if code in (T.FLOAT32, T.FLOAT64):
        return f"{_float(v)} : {t.name}"
    if code == T.TEXT:
        return format_text(v)
    if code == T.PRINCIPAL:
        return f'principal "{_principal_text(v)}"'
    if code == T.SERVICE:
        return f'service "{_principal_text(v)}"'
    if code == T.FUNC:
        return f'func "{_principal_text(v[0])}".{format_label(v[1])}'
    if code == T.OPT:
        if v is None:
            return "null"
        if isinstance(v, Some):
            v = v.value
        inner = format_value(t.inner, v)
        return f"opt ({inner})" if " : " in inner and not inner.startswith(
            ("record", "variant", "vec", "opt")) else f"opt {inner}"
    if code == T.VEC:
        if t.inner.resolve() is T.Nat8:
            return format_blob(bytes(v))
        if not v:
            return "vec {}"
        return "vec { " + "; ".join(format_value(t.inner, x) for x in v) + " }"
    if code == T.RECORD:
        return _format_record(t, v)
    if code == T.VARIANT:
        (tag, inner), = v.items()
        hit = t.field_by_label().get(tag) or t.field_by_id().get(tag)
        if hit is None:
            raise CandidError(str(tag), "is not a tag of the variant")
        f = hit[1]
        if f.type.resolve() is T.Null:
            return f"variant {{ {format_label(f.label)} }}"
        return f"variant {{ {format_label(f.label)} = {format_value(f.type, inner)} }}"
    raise CandidError("", f"cannot print a value of type {t}")


def _format_record(t, v):
    if not t.fields:
        return "record {}"
    if isinstance(v, (tuple, list)):
        items = list(zip(t.fields, v))
    else:
        items = [(f, v[f.label] if f.label in v else v.get(f.id)) for f in t.fields]
    if t.is_tuple:
        return "record { " + "; ".join(format_value(f.type, x) for f, x in items) + " }"
    return "record { " + "; ".join(
        f"{format_label(f.label)} = {format_value(f.type, x)}" for f, x in items) + " }"


def _float(v):
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    text = repr(float(v))
    if "e" in text and "." not in text.split("e")[0]:
        mantissa, exp = text.split("e")
        text = f"{mantissa}.0e{exp}"
    return text


def _principal_text(p):
    return p.to_text() if hasattr(p, "to_text") else str(p)


def format_args(types, values):
    """A whole argument list as Candid text: ``(v1, v2)``."""
    return "(" + ", ".join(format_value(t, v) for t, v in zip(types, values)) + ")"
