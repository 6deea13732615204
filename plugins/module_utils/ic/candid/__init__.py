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

    from ic.candid import encode, decode, parse_did, parse_args_text, format_args
    did = parse_did(open("ic.did").read())
    arg = encode(did.arg_types("canister_status"), [{"canister_id": principal}])
    reply, = decode(reply_bytes, did.ret_types("canister_status"))
"""
from . import types
from .decoder import decode, decode_typed
from .did import DidFile, parse_did
from .encoder import encode
from .printer import format_args, format_type, format_value
from .pyvalues import from_python, to_json
from .textvalue import parse_args_text, parse_value_text
from .types import (Bool, Empty, Field, Float32, Float64, Func, Int, Int8, Int16, Int32,
                    Int64, Nat, Nat8, Nat16, Nat32, Nat64, Null, Opt, Principal_, Rec,
                    Record, Reserved, Service, Text, Type, Variant, Vec, idl_hash)
from .values import Some

__all__ = [
    "types", "decode", "decode_typed", "DidFile", "parse_did", "encode", "format_args",
    "format_type", "format_value", "from_python", "to_json", "parse_args_text",
    "parse_value_text", "encode_text", "decode_to_text", "parse_types", "Some", "idl_hash",
    "Bool", "Empty", "Field", "Float32", "Float64", "Func", "Int", "Int8", "Int16", "Int32",
    "Int64", "Nat", "Nat8", "Nat16", "Nat32", "Nat64", "Null", "Opt", "Principal_", "Rec",
    "Record", "Reserved", "Service", "Text", "Type", "Variant", "Vec",
]


def encode_text(text, types=None, env=None):
    """Encode Candid text arguments such as ``(record { a = 1 : nat })``.

    ``types`` (a list of types) types the values; without it each value gets its default type
    (numbers without annotation are ``int``).
    """
    arg_types, values = parse_args_text(text, types, env)
    return encode(arg_types, values)


def decode_to_text(data, types=None):
    """Decode a Candid message to Candid text (at ``types`` if given, else its own types)."""
    arg_types, values = decode_typed(data, types)
    return format_args(arg_types, values)


def parse_types(text, env=None):
    """Parse a parenthesised type list such as ``(nat, opt text)``; ``env``: name -> type."""
    from .lexer import Tokens
    from .typeparser import TypeParser
    tk = Tokens(text)
    items, _ = TypeParser(tk, env or {}).tuple()
    if tk.peek()[0] != "eof":
        raise tk.error("unexpected text after the types")
    return items
