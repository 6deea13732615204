"""Binary codec: the Python value model, subtyping, bad input and bounded work."""
import time

import pytest

from _ic.candid import (Bool, Empty, Float32, Func, Int, Nat, Nat8, Nat64, Null, Opt, Principal_,
                       Rec, Record, Reserved, Service, Some, Text, Variant, Vec, decode,
                       decode_typed, encode, parse_types)
from _ic.leb128 import leb, sleb
from _ic.errors import CandidError
from _ic.principal import Principal

P = Principal.from_text("rwlgt-iiaaa-aaaaa-aaaaa-cai")


@pytest.mark.parametrize("t,value", [
    (Nat, 2**200), (Int, -2**100), (Nat64, 2**64 - 1), (Float32, 0.5), (Text, "héllo"),
    (Bool, False), (Null, None), (Principal_, P), (Vec(Nat8), b"\x00\x01"),
    (Opt(Nat), None), (Opt(Nat), 3), (Opt(Opt(Nat)), Some(None)), (Opt(Opt(Nat)), Some(4)),
    (Opt(Null), Some(None)), (Record([Nat, Text]), (1, "a")), (Record({}), {}),
    (Record({"a": Nat, 7: Text}), {"a": 1, 7: "x"}), (Variant({"ok": Nat, "err": Null}),
                                                       {"err": None}),
    (Func([Nat], [], ["query"]), (P, "m")), (Service({}), P),
])
def test_value_model_round_trips(t, value):
    assert decode(encode([t], [value]), [t]) == [value]


def test_encoder_conveniences():
    blob = Vec(Nat8)
    assert encode([blob], [[1, 2]]) == encode([blob], [b"\x01\x02"])
    pair = Record([Nat, Text])
    assert encode([pair], [[1, "a"]]) == encode([pair], [{0: 1, 1: "a"}]) == \
        encode([pair], [(1, "a")])
    mode = Variant({"install": Null, "upgrade": Opt(Bool)})
    assert encode([mode], ["install"]) == encode([mode], [{"install": None}])
    assert encode([Opt(Nat)], [Some(5)]) == encode([Opt(Nat)], [5])
    assert encode([Principal_], ["aaaaa-aa"]) == encode([Principal_], [Principal.management()])
    # missing opt record fields and trailing opt arguments are null
    r = Record({"a": Opt(Nat), "b": Nat})
    assert encode([r, Opt(Text)], [{"b": 1}]) == encode([r, Opt(Text)], [{"a": None, "b": 1},
                                                                          None])


@pytest.mark.parametrize("types,values,message", [
    ([Record({"s": Record({"c": Vec(Principal_)})})], [{"s": {"c": [P, 5]}}],
     "args[0].s.c[1]: not a principal"),
    ([Nat], [-1], "args[0]: nat cannot be negative"),
    ([Nat8], [256], "out of range for nat8"),
    ([Record({"a": Nat})], [{"a": 1, "b": 2}], "args[0].b: is not a field"),
    ([Record({"a": Nat})], [{}], "args[0].a: missing record field"),
    ([Variant({"x": Null})], [{"y": None}], "args[0].y: is not a tag"),
    ([Bool], [1], "expected a bool"),
    ([Text], [b"x"], "expected text"),
    ([Empty], [None], "type empty has no values"),
    ([Nat], [], "args[0]: missing value of type nat"),
    ([Nat], [1, 2], "got 2 values for 1 types"),
])
def test_encode_errors_name_the_path(types, values, message):
    with pytest.raises(CandidError) as info:
        encode(types, values)
    assert message in str(info.value)


def test_subtyping_on_decode():
    old = Record({"a": Nat, "gone": Text, "v": Variant({"x": Nat, "y": Null})})
    new = Record({"a": Int, "added": Opt(Text), "v": Variant({"x": Nat, "y": Null, "z": Null})})
    data = encode([old, Nat], [{"a": 1, "gone": "g", "v": {"y": None}}, 9])
    assert decode(data, [new]) == [{"a": 1, "added": None, "v": {"y": None}}]
    assert decode(data, [new, Nat, Opt(Text)]) == [{"a": 1, "added": None, "v": {"y": None}},
                                                    9, None]
    # a value that does not fit an opt becomes null; outside an opt it is an error
    assert decode(encode([Opt(Text)], ["x"]), [Opt(Nat)]) == [None]
    with pytest.raises(CandidError, match="cannot be read as nat"):
        decode(encode([Text], ["x"]), [Nat])
    assert decode(encode([Nat], [1]), [Reserved]) == [None]


def test_recursive_types():
    lst = Rec("list")
    lst.define(Opt(Record({"head": Nat, "tail": lst})))
    value = None
    for i in range(50):
        value = {"head": i, "tail": value}
    data = encode([lst], [value])
    assert decode(data, [lst]) == [value]
    types, values = decode_typed(data)
    assert encode(types, values) == data


@pytest.mark.parametrize("data,message", [
    (b"", "not a Candid message"),
    (b"DIDL\x00\x01\x7e\x02", "byte 7: bool must be 0 or 1"),
    (b"DIDL\x00\x01\x71\x05ab", "byte 7: length 5 is larger than the rest"),
    (b"DIDL\x00\x01\x7d\x80", "message ends too early"),
    (b"DIDL\x00\x01\x7d\x01\x00", "1 unexpected bytes after the last value"),
    (b"DIDL\x01\x6d\x7f\x01\x00" + leb(10**9), "too much work"),
    (b"DIDL\x01\x6d\x7e\x01\x00" + leb(10**9), "larger than the rest of the message"),
    (b"DIDL\x01\x6e\x05\x01\x00\x00", "type index 5 is out of range"),
    (b"DIDL\x00\x01\x71\x02\xff\xfe", "not valid UTF-8"),
])
def test_bad_messages_name_the_byte(data, message):
    with pytest.raises(CandidError) as info:
        decode(data, None)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_deep_nesting_is_refused_not_crashing():
    nested = Rec("n")
    nested.define(Opt(nested))
    data = b"DIDL\x01\x6e\x00\x01\x00" + b"\x01" * 5000 + b"\x00"
    with pytest.raises(CandidError, match="nested too deeply"):
        decode(data, [nested])


def test_leb128_edges():
    assert leb(0) == b"\x00" and leb(127) == b"\x7f" and leb(128) == b"\x80\x01"
    assert sleb(-1) == b"\x7f" and sleb(63) == b"\x3f" and sleb(64) == b"\xc0\x00"
    assert sleb(-65) == b"\xbf\x7f"
    for n in (0, 1, 63, 64, -64, -65, 2**70, -2**70):
        assert decode(encode([Int], [n]), [Int]) == [n]


def test_large_messages_decode_in_linear_time():
    """A 10,000-entry reply and a 2 MB blob decode quickly (no quadratic work)."""
    entry = parse_types("(record { id : principal; name : text; cycles : nat; "
                        "tags : vec text; hash : opt blob })")[0]
    small = [{"id": P, "name": f"c{i}", "cycles": i * 10**12, "tags": ["a", "b"],
              "hash": bytes(32)} for i in range(1_000)]
    big = small * 10
    t_small = _time(lambda: decode(encode([Vec(entry)], [small]), [Vec(entry)]))
    t_big = _time(lambda: decode(encode([Vec(entry)], [big]), [Vec(entry)]))
    assert t_big < 25 * t_small + 0.05  # 10x the data: about 10x the time, not 100x
    blob = bytes(2_000_000)
    start = time.perf_counter()
    assert decode(encode([Vec(Nat8)], [blob]), [Vec(Nat8)]) == [blob]
    assert time.perf_counter() - start < 1.0


def _time(fn):
    # CPU time of this process, so other processes on the machine do not skew the ratio
    start = time.process_time()
    fn()
    return time.process_time() - start


def test_a_header_read_before_is_matched_by_its_bytes_and_nothing_else():
    """Replies of one type share their header: a message that starts with a known header is read
    with its cached types (the header is self-delimiting), values and bad tails as ever."""
    from _ic.candid import wire

    t = Record({"a": Nat, "b": Vec(Text), "c": Opt(Principal_)})
    first = encode([t], [{"a": 1, "b": ["x"], "c": P}])
    assert decode(first, [t]) == [{"a": 1, "b": ["x"], "c": P}]
    assert any(first.startswith(key, 4) for key, _args, _sizes in wire._RECENT_HEADERS)
    second = encode([t], [{"a": 2**70, "b": [], "c": None}])
    assert decode(second, [t]) == [{"a": 2**70, "b": [], "c": None}]
    assert decode_typed(second)[0][0].resolve().code == decode_typed(first)[0][0].resolve().code
    with pytest.raises(CandidError):
        decode(second[:-1], [t])
    with pytest.raises(CandidError):
        decode(second + b"\x00", [t])
    other = encode([Record({"a": Nat})], [{"a": 5}])
    assert decode(other, [Record({"a": Nat})]) == [{"a": 5}]
