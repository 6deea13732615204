"""YAML/JSON data <-> typed Candid values (the Python value model).

``from_python`` checks and converts loosely typed data (as Ansible hands it over: numbers
as text, principals as text, blobs as hex text) into the value model, with errors that name
the path (``settings.controllers[1]: not a principal ...``). ``to_json`` goes the other way.
"""
import math
import re

from ..errors import CandidError, InputError
from ..principal import Principal
from . import types as T
from .values import Some, wrap_opt

_HEX = re.compile(r"(?:[0-9a-fA-F]{2})*\Z")
_INT = re.compile(r"[+-]?[0-9][0-9_]*\Z")


def _join(path, label):
    return f"{path}.{label}" if path else str(label)


def _kind(v):
    return "null" if v is None else type(v).__name__


def from_python(t, value, path=""):
    """Convert YAML/JSON-like ``value`` to the value model of type ``t``."""
    t = t.resolve()
    conv = _FROM.get(t.code)
    if conv is None:
        raise CandidError(path, f"values of type {t} cannot be given")
    return conv(t, value, path)


def _to_int(t, v, path):
    if isinstance(v, bool):
        raise CandidError(path, f"not a {t.name}: expected a whole number, got a bool")
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    elif isinstance(v, str) and _INT.match(v.strip()):
        v = int(v.strip().replace("_", ""))
    if not isinstance(v, int):
        raise CandidError(path, f"not a {t.name}: expected a whole number, got {_kind(v)} "
                          f"{v!r}")
    code = t.code
    if code == T.NAT and v < 0:
        raise CandidError(path, f"not a nat: {v} is negative")
    if code in T.FIXED_INTS:
        lo, hi = T.INT_RANGES[code]
        if not lo <= v <= hi:
            raise CandidError(path, f"{v} is out of range for {t.name}; use {lo}..{hi}")
    return v


def _to_float(t, v, path):
    if isinstance(v, bool):
        raise CandidError(path, f"not a {t.name}: expected a number, got a bool")
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.replace("_", ""))
        except ValueError:
            pass
    raise CandidError(path, f"not a {t.name}: expected a number, got {_kind(v)} {v!r}")


def _to_bool(t, v, path):
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.lower() in ("true", "false"):
        return v.lower() == "true"
    raise CandidError(path, f"not a bool: expected true or false, got {_kind(v)} {v!r}")


def _to_text(t, v, path):
    if isinstance(v, str):
        return v
    raise CandidError(path, f"not text: expected a string, got {_kind(v)}; quote it in YAML")


def _to_null(t, v, path):
    if v is None:
        return None
    raise CandidError(path, f"expected null, got {_kind(v)}")


def _to_reserved(t, v, path):
    return None


def _to_empty(t, v, path):
    raise CandidError(path, "type empty has no values; this field cannot be given")


def _to_principal(t, v, path):
    if isinstance(v, Principal):
        return v
    if not isinstance(v, (str, bytes, bytearray)):
        raise CandidError(path, f"not a principal: expected text such as 'aaaaa-aa', got "
                          f"{_kind(v)}")
    try:
        return Principal.coerce(v, field=path)
    except InputError as err:
        raise CandidError(path, f"not a principal: {err.message}") from None


def _to_opt(t, v, path):
    if v is None:
        return None
    if isinstance(v, Some):
        v = v.value
    return wrap_opt(t.inner, from_python(t.inner, v, path))


def _to_vec(t, v, path):
    inner = t.inner.resolve()
    if inner is T.Nat8:
        if isinstance(v, (bytes, bytearray, memoryview)):
            return bytes(v)
        if isinstance(v, str):
            if _HEX.match(v):
                return bytes.fromhex(v)
            raise CandidError(path, "not a blob: give hex text (e.g. 'deadbeef') or a list "
                              "of byte values")
    if not isinstance(v, (list, tuple)):
        raise CandidError(path, f"not a list: expected a list for {t}, got {_kind(v)}")
    items = [from_python(inner, item, f"{path}[{i}]") for i, item in enumerate(v)]
    return bytes(items) if inner is T.Nat8 else items


def _field_for_key(t, key):
    """The record field or variant tag that a dict key names (name, id, or id as text)."""
    for f in t.fields:
        if key == f.label or (isinstance(key, int) and not isinstance(key, bool)
                              and key == f.id):
            return f
        if isinstance(key, str) and key.isdigit() and int(key) in (f.id, f.label):
            return f
    return None


def _to_record(t, v, path):
    if isinstance(v, (list, tuple)) and t.is_tuple:
        if len(v) != len(t.fields):
            raise CandidError(path, f"expected {len(t.fields)} values for {t}, got {len(v)}")
        return tuple(from_python(f.type, x, f"{path}[{i}]")
                     for i, (f, x) in enumerate(zip(t.fields, v)))
    if not isinstance(v, dict):
        raise CandidError(path, f"not a record: expected a mapping for {t}, got {_kind(v)}")
    given = {}
    for key, x in v.items():
        f = _field_for_key(t, key)
        if f is None:
            known = ", ".join(str(f.label) for f in t.fields) or "none"
            raise CandidError(_join(path, key), f"not a field of the record; known fields: "
                              f"{known}")
        given[f.id] = x
    out = {}
    for f in t.fields:
        sub = _join(path, f.label)
        if f.id in given:
            out[f.label] = from_python(f.type, given[f.id], sub)
        elif T.is_opt_like(f.type):
            out[f.label] = None
        else:
            raise CandidError(sub, f"missing required field (type {f.type})")
    if t.is_tuple:
        return tuple(out[f.label] for f in t.fields)
    return out


def _to_variant(t, v, path):
    if isinstance(v, str):
        v = {v: None}
    if not isinstance(v, dict) or len(v) != 1:
        tags = ", ".join(str(f.label) for f in t.fields)
        raise CandidError(path, f"not a variant: expected one of {tags} as a tag name or a "
                          "one-key mapping {tag: value}")
    (key, x), = v.items()
    f = _field_for_key(t, key)
    if f is None:
        tags = ", ".join(str(f.label) for f in t.fields)
        raise CandidError(_join(path, key), f"not a tag of the variant; use one of: {tags}")
    return {f.label: from_python(f.type, x, _join(path, f.label))}


def _to_func(t, v, path):
    if isinstance(v, dict) and set(v) == {"principal", "method"}:
        v = (v["principal"], v["method"])
    if not isinstance(v, (list, tuple)) or len(v) != 2 or not isinstance(v[1], str):
        raise CandidError(path, "not a func: expected [principal, method name]")
    return (_to_principal(T.Principal_, v[0], f"{path}[0]"), v[1])


_FROM = {
    T.NULL: _to_null, T.RESERVED: _to_reserved, T.EMPTY: _to_empty, T.BOOL: _to_bool,
    T.NAT: _to_int, T.INT: _to_int, T.FLOAT32: _to_float, T.FLOAT64: _to_float,
    T.TEXT: _to_text, T.PRINCIPAL: _to_principal, T.OPT: _to_opt, T.VEC: _to_vec,
    T.RECORD: _to_record, T.VARIANT: _to_variant, T.FUNC: _to_func, T.SERVICE: _to_principal,
}
for _code in T.FIXED_INTS:
    _FROM[_code] = _to_int


def to_json(types, values):
    """JSON-friendly data for typed values: principals as text, blobs as hex, tuples as
    lists, record keys as text, ``Some(v)`` as ``v``."""
    return [_json(t, v) for t, v in zip(types, values)]


def _json(t, v):
    t = t.resolve()
    code = t.code
    if v is None:
        return None
    if code in (T.PRINCIPAL, T.SERVICE):
        return v.to_text()
    if code == T.FUNC:
        return [v[0].to_text(), v[1]]
    if code in (T.FLOAT32, T.FLOAT64):
        return v if math.isfinite(v) else str(v)
    if code == T.OPT:
        return _json(t.inner, v.value if isinstance(v, Some) else v)
    if code == T.VEC:
        if isinstance(v, (bytes, bytearray)):
            return bytes(v).hex()
        return [_json(t.inner, x) for x in v]
    if code == T.RECORD:
        if isinstance(v, tuple):
            return [_json(f.type, x) for f, x in zip(t.fields, v)]
        return {str(f.label): _json(f.type, v.get(f.label)) for f in t.fields}
    if code == T.VARIANT:
        (tag, x), = v.items()
        hit = t.field_by_label().get(tag)
        return {str(tag): _json(hit[1].type, x) if hit else x}
    return v
