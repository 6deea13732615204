"""Candid text values: parsing, typing, printing."""
import math

import pytest

from _ic.candid import (Float32, Int, Nat, Nat8, Null, Opt, Principal_, Record, Reserved, Some,
                       Text, Variant, Vec, decode_to_text, encode, encode_text, format_args,
                       parse_args_text, parse_did, parse_types, parse_value_text)
from _ic.errors import CandidError
from _ic.principal import Principal


def test_example_from_the_issue():
    types, values = parse_args_text(
        '(record { owner = principal "aaaaa-aa"; n = 5 : nat })')
    assert values == [{"owner": Principal.management(), "n": 5}]
    assert types == [Record({"owner": Principal_, "n": Nat})]


def test_default_types_without_annotation():
    types, values = parse_args_text('(5, -3, 1.5, "x", true, null, blob "\\01a", vec {1; 2})')
    assert types == [Int, Int, T_float64(), Text, T_bool(), Null, Vec(Nat8), Vec(Int)]
    assert values == [5, -3, 1.5, "x", True, None, b"\x01a", [1, 2]]


def T_float64():
    from _ic.candid import Float64
    return Float64


def T_bool():
    from _ic.candid import Bool
    return Bool


def test_numbers_hex_underscores_and_signs():
    _, values = parse_args_text("(1_000_000, 0xff, 0xff_ff : nat, +7, -0x10)", [Nat, Nat, Nat,
                                                                                   Int, Int])
    assert values == [1_000_000, 255, 0xFFFF, 7, -16]


def test_typed_parsing_applies_candid_rules():
    types = parse_types("(opt nat, record { a : nat; b : opt text; c : null }, reserved, "
                        "vec nat8, variant { x; y : nat }, opt opt nat, float32)")
    _, values = parse_args_text(
        '(null, record { a = 1; extra = "ignored" }, "anything", vec { 1; 2 }, variant { y = 3 },'
        " opt null, 0.1)", types)
    assert values[:6] == [None, {"a": 1, "b": None, "c": None}, None, b"\x01\x02", {"y": 3},
                          Some(None)]
    assert values[6] == pytest.approx(0.1, rel=1e-7) and values[6] != 0.1


def test_text_escapes():
    _, values = parse_args_text(r'("a\n\t\\\"\u{2603}\41", blob "\de\ad")', [Text, Vec(Nat8)])
    assert values == ['a\n\t\\"\u2603A', b"\xde\xad"]
    # didc prints a NUL as \0; "\0a" stays the hex escape 0x0a.
    assert parse_args_text(r'("x\0", "\0a")', [Text, Text])[1] == ["x\x00", "\n"]


def test_func_service_and_labels():
    did = parse_did("type f = func (nat) -> (); service : { m : (f, service {}, "
                    "record { \"a b\" : nat; 7 : text }) -> () }")
    _, values = parse_args_text('(func "aaaaa-aa".go, service "aaaaa-aa", '
                                'record { "a b" = 1; 7 = "x" })', did.arg_types("m"))
    assert values == [(Principal.management(), "go"), Principal.management(),
                      {"a b": 1, 7: "x"}]


@pytest.mark.parametrize("text,types,message", [
    ("(5", [Nat], "line 1 column 3: expected ')'"),
    ("(-1)", [Nat], "args[0]: -1 is negative"),
    ("(256)", [Nat8], "out of range for nat8"),
    ('(record { a = "x" })', [Record({"a": Nat})], "args[0].a: type mismatch"),
    ("(record {})", [Record({"a": Nat})], "args[0].a: record field of type nat is missing"),
    ("(variant { z })", [Variant({"x": Null})], "variant tag 'z'"),
    ('(principal "not-a-principal")', [Principal_], "line 1 column 12"),
    ('("\\q")', [Text], "unknown escape"),
    ("(1, 2)", [Nat], "got 2 values for 1 argument types"),
    ("()", [Nat], "args[0]: missing value of type nat"),
    ("(5 : nat8)", [Nat], "type mismatch: value of type nat8 cannot be of type nat"),
    ("(record { a = 1; a = 2 })", None, "duplicate field"),
    ("(1) extra", None, "unexpected text after the arguments"),
    ("(5 : mytype)", None, "type 'mytype' is not defined"),
])
def test_errors_name_the_place(text, types, message):
    with pytest.raises(CandidError) as info:
        parse_args_text(text, types)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_format_then_parse_round_trips():
    types = parse_types('(record { owner : principal; n : nat; tags : vec text; '
                        'mode : variant { install; upgrade : opt record { skip : opt bool } }; '
                        'data : blob; f : float64; o : opt opt int8; "odd name" : reserved; '
                        'pair : record { int; text } })')
    value = {"owner": Principal.from_text("2vxsx-fae"), "n": 12345678901234567890,
             "tags": ["a", 'q"uote', "\u2603\n"], "mode": {"upgrade": {"skip": True}},
             "data": b"\x00\xffabc", "f": -1.5e300, "o": Some(-5), "odd name": None,
             "pair": (-1, "x")}
    text = format_args(types, [value])
    assert parse_args_text(text, types)[1] == [value]
    # the untyped parse of printed text has the same encoding (annotations carry the types)
    assert encode_text(text, types) == encode(types, [value])


def test_decode_to_text():
    data = encode_text("(record { a = 1 : nat; b = opt \"x\" })")
    assert decode_to_text(data) == '(record { 97 = 1 : nat; 98 = opt "x" })'
    types = parse_types("(record { a : nat; b : opt text })")
    assert decode_to_text(data, types) == '(record { a = 1 : nat; b = opt "x" })'


def test_special_floats_print():
    assert format_args([Float32], [math.inf]) == "(inf : float32)"
    assert parse_value_text("opt (3 : nat)", Opt(Nat)) == 3
    assert parse_value_text("null", Reserved) is None


def test_deep_nesting_is_an_error_not_a_crash():
    with pytest.raises(CandidError, match="nested too deeply"):
        parse_args_text("(" + "opt " * 5000 + "1)")
    with pytest.raises(CandidError, match="nested too deeply"):
        parse_did("type a = " + "opt " * 5000 + "nat;")
