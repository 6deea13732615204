"""Candid: types, binary codec, ``.did`` parser, text values and YAML/JSON conversion.

Python value model (every layer of the client uses it; see ``values.py`` for the table):
nat/int of any width -> ``int``; float32/64 -> ``float``; text -> ``str``; bool -> ``bool``;
null and reserved -> ``None``; principal -> ``Principal``; blob / vec nat8 -> ``bytes`` (the
encoder also takes a list of int); vec t -> ``list``; opt t -> ``None`` when absent, else the
value itself, except when t is itself opt, null or reserved, where a present value is
``Some(v)`` (the encoder accepts ``Some(v)`` for any opt); record -> ``dict`` keyed by field
name (``str``) or ``int`` for numeric ids, a tuple type (fields 0..n-1) -> ``tuple`` (the
encoder takes a tuple, list or dict); variant -> one-key ``dict`` ``{tag: value}`` (``None``
for a null payload); func -> ``(Principal, method_name)``; service -> ``Principal``.
Decoded without a type, field and tag names are unknown: their keys are the ``int`` ids.

Main entry points::

    from _ic.candid import encode, decode, parse_did, parse_args_text, format_args
    did = parse_did(open("ic.did").read())
    arg = encode(did.arg_types("canister_status"), [{"canister_id": principal}])
    reply, = decode(reply_bytes, did.ret_types("canister_status"))
"""
import importlib
from typing import TYPE_CHECKING

from . import types
from .types import (Bool, Empty, Field, Float32, Float64, Func, Int, Int8, Int16, Int32,
                    Int64, Nat, Nat8, Nat16, Nat32, Nat64, Null, Opt, Principal_, Rec,
                    Record, Reserved, Service, Text, Type, Variant, Vec, idl_hash)
from .values import Some

# The codec, the parsers and the printer load when first used: a client that only encodes
# and decodes never compiles the text parser or the printer.
_LAZY = {
    "decode": "decoder", "decode_typed": "decoder", "DidFile": "did", "parse_did": "did",
    "encode": "encoder", "format_args": "printer", "format_type": "printer",
    "format_value": "printer", "from_python": "pyvalues", "to_json": "pyvalues",
    "parse_args_text": "textvalue", "parse_value_text": "textvalue",
}
_SUBMODULES = frozenset((
    "decoder", "did", "encoder", "lexer", "printer", "pyvalues", "subtype",
    "textvalue", "typeparser", "types", "values", "wire",
))

if TYPE_CHECKING:
    # Never runs. It names the lazily loaded submodules as static imports, so that packers
    # which follow imports (Ansible's AnsiballZ ships what a module's imports reach) take them.
    from . import (decoder, did, encoder, lexer, printer, pyvalues, subtype,  # noqa: F401 pylint: disable=unused-import
                   textvalue, typeparser, wire)

# Names listed here but not defined yet are the lazy ones, served by __getattr__.
# pylint: disable=undefined-all-variable
__all__ = [
    "types", "decode", "decode_typed", "DidFile", "parse_did", "encode", "format_args",
    "format_type", "format_value", "from_python", "to_json", "parse_args_text",
    "parse_value_text", "encode_text", "decode_to_text", "parse_types", "Some", "idl_hash",
    "Bool", "Empty", "Field", "Float32", "Float64", "Func", "Int", "Int8", "Int16", "Int32",
    "Int64", "Nat", "Nat8", "Nat16", "Nat32", "Nat64", "Null", "Opt", "Principal_", "Rec",
    "Record", "Reserved", "Service", "Text", "Type", "Variant", "Vec",
]
# pylint: enable=undefined-all-variable


def __getattr__(name):
    module = _LAZY.get(name)
    if module is not None:
        value = getattr(importlib.import_module(f".{module}", __name__), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | _SUBMODULES)


def encode_text(text, types=None, env=None):
    """Encode Candid text arguments such as ``(record { a = 1 : nat })``.

    ``types`` (a list of types) types the values; without it each value gets its default type
    (numbers without annotation are ``int``).
    """
    from .encoder import encode
    from .textvalue import parse_args_text
    try:
        arg_types, values = parse_args_text(text, types, env)
        return encode(arg_types, values)
    except RecursionError:
        raise too_deep() from None


def decode_to_text(data, types=None):
    """Decode a Candid message to Candid text (at ``types`` if given, else its own types)."""
    from .decoder import decode_typed
    from .printer import format_args
    try:
        arg_types, values = decode_typed(data, types)
        return format_args(arg_types, values)
    except RecursionError:
        raise too_deep() from None


def too_deep():
    """The error for a value or type nested beyond Python's stack (instead of RecursionError)."""
    from ..errors import CandidError
    return CandidError("value", "nested too deeply for this client; flatten the value or type")


def parse_types(text, env=None):
    """Parse a parenthesised type list such as ``(nat, opt text)``; ``env``: name -> type."""
    from .lexer import Tokens
    from .typeparser import TypeParser
    tk = Tokens(text)
    items, _names = TypeParser(tk, env or {}).tuple()
    if tk.peek()[0] != "eof":
        raise tk.error("unexpected text after the types")
    return items
