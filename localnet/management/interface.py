"""The management canister's Candid interface: ic.did plus what current clients need.

icp-cli cannot decode a canister_status reply without ``settings.log_memory_limit`` and
``memory_metrics.log_memory_store_size`` (fields newer than ic.did), and sends
``log_memory_limit`` in settings; the interface text is extended with them before parsing.
"""
import threading

from _ic import candid
from _ic.candid import encoder
from _ic.errors import CandidError
from _ic.management_did import IC_DID

from .. import limits
from ..errors import reject
from . import reply_shapes

_PATCHES = (
    ("    environment_variables : opt vec environment_variable;\n};",
     "    environment_variables : opt vec environment_variable;\n"
     "    log_memory_limit : opt nat;\n};"),
    ("    environment_variables : vec environment_variable;\n};",
     "    environment_variables : vec environment_variable;\n    log_memory_limit : nat;\n};"),
    ("        snapshots_size : nat;\n    };",
     "        snapshots_size : nat;\n        log_memory_store_size : nat;\n    };"),
)


def _patched(text):
    for old, new in _PATCHES:
        if text.count(old) != 1:
            raise RuntimeError(f"ic.did changed: cannot extend it at {old.strip()!r}")
        text = text.replace(old, new)
    return text


DID = candid.parse_did(_patched(IC_DID))
METHODS = frozenset(DID.service)
_SHAPED = {"spec": DID}
_SHAPED_LOCK = threading.Lock()


def reply_did(shape):
    """The interface replies are encoded with, for a ``--reply-shape``."""
    found = _SHAPED.get(shape)
    if found is None:
        with _SHAPED_LOCK:
            found = _SHAPED.get(shape)
            if found is None:
                found = _SHAPED[shape] = reply_shapes.shaped_did(_patched(IC_DID), shape)
    return found


_LAST = threading.local()
_HEADERS = {}


# Methods whose ``nat`` cycles amount the replica converts to u128.
CYCLES_FIELDS = {"provisional_create_canister_with_cycles": "amount", "provisional_top_up_canister": "amount"}


def decode_args(method, arg):
    """The decoded first argument of ``method`` (None for methods without one); IC0408.

    One message is checked several times (effective id, ingress filter, execution) with the
    same ``arg`` object, so the last decoding per thread is reused.
    """
    last = getattr(_LAST, "value", None)
    if last is not None and last[0] == method and last[1] is arg:
        return last[2]
    types = DID.arg_types(method)
    try:
        values = candid.decode(arg, types)
    except (CandidError, ValueError, RecursionError):
        raise reject("IC0408", f"Failed to decode payload for ic00 method: {method}") from None
    value = values[0] if values else None
    field = CYCLES_FIELDS.get(method)
    if field is not None and isinstance(value, dict) and (value.get(field) or 0) > limits.MAX_U128:
        # Cycles are u128 in the replica: a nat beyond it does not convert, like a bad payload.
        raise reject("IC0408", f"Failed to decode payload for ic00 method: {method} "
                               f"({field} does not fit in 128 bits)")
    _LAST.value = (method, arg, value)
    return value


def _header(types):
    # The type table of a method's reply never changes; build it once.
    key = tuple(types)
    header = _HEADERS.get(key)
    if header is None:
        header = _table_bytes(types)
        _HEADERS[key] = header
    return header


def _table_bytes(types):
    table = encoder.TypeTable()
    for t in types:
        table.build(t)
    out = bytearray(encoder.MAGIC)
    encoder.write_leb(out, len(table.entries))
    for entry in table.entries:
        out += entry
    encoder.write_leb(out, len(types))
    for t in types:
        table.write_ref(out, t)
    return bytes(out)


def encode_reply(method, value, shape="spec"):
    """The Candid reply of ``method`` (``value`` is its single result, or None for ``()``),
    in the reply shape of an ``older``/``newer`` replica when asked."""
    types = reply_did(shape).ret_types(method)
    if not types:
        return candid.encode(types, [])
    if shape != "spec":
        value = reply_shapes.fit(types[0], value)
    out = bytearray(_header(types))
    encoder.write_value(out, types[0], value)
    return bytes(out)


def is_query(method):
    """True when ic.did marks the method ``query``."""
    return DID.method(method).is_query
