"""The management canister's Candid interface: ic.did plus what current clients need.

icp-cli cannot decode a canister_status reply without ``settings.log_memory_limit`` and
``memory_metrics.log_memory_store_size`` (fields newer than ic.did), and sends
``log_memory_limit`` in settings; the interface text is extended with them before parsing.
"""
from ic import candid
from ic.errors import CandidError
from ic.management_did import IC_DID

from ..errors import reject

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


def decode_args(method, arg):
    """The decoded first argument of ``method`` (None for methods without one); IC0408."""
    types = DID.arg_types(method)
    try:
        values = candid.decode(arg, types)
    except (CandidError, ValueError, RecursionError):
        raise reject("IC0408", f"Failed to decode payload for ic00 method: {method}") from None
    return values[0] if values else None


def encode_reply(method, value):
    """The Candid reply of ``method`` (``value`` is its single result, or None for ``()``)."""
    types = DID.ret_types(method)
    return candid.encode(types, [value] if types else [])


def is_query(method):
    """True when ic.did marks the method ``query``."""
    return DID.method(method).is_query
