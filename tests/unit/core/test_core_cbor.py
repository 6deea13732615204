"""CBOR codec and the representation-independent hash (request ids)."""
import cbor2
import pytest
from hypothesis import given, strategies as st

from _ic import cbor
from _ic.errors import InputError
from _ic.principal import Principal

SPEC_CONTENT = {
    "request_type": "call", "sender": b"\x04", "ingress_expiry": 1685570400000000000,
    "canister_id": bytes.fromhex("00000000000004D2"), "method_name": "hello",
    "arg": b"DIDL\x00\xFD*",
}


def test_spec_request_id():
    assert cbor.request_id(SPEC_CONTENT).hex() == \
        "1d1091364d6bb8a6c16b203ee75467d59ead468f523eb058880ae8ec80e2b101"


def test_old_spec_request_id_without_sender_and_expiry():
    content = {k: v for k, v in SPEC_CONTENT.items() if k not in ("sender", "ingress_expiry")}
    assert cbor.request_id(content).hex() == \
        "8781291c347db32a9d8c10eb62b710fce5a93be676474c42babc74c51858f94b"
    # None means "absent", so it gives the same id.
    assert cbor.request_id(dict(content, nonce=None)) == cbor.request_id(content)


@pytest.mark.parametrize("value,expected", [
    ({"sender": bytes.fromhex("00000000000004D2"), "paths": [[], [b""], [b"hello", b"world"]]},
     "97d6f297aea699aec85d3377c7643ea66db810aba5c4372fbc2082c999f452dc"),
    ({"paths": []}, "99daa8c80a61e87ac1fdf9dd49e39963bfe4dafb2a45095ebf4cad72d916d5be"),
    ({"paths": [[]]}, "ea01a9c3d3830db108e0a87995ea0d4183dc9c6e51324e9818fced5c57aa64f5"),
    ({"foo": {"baz": "hello", "quux": 3}, "bar": b"world"},
     "3d447339cc0c2b894ee215c8141770bf4b86c72b6c37d9873213a786ec7f9f31"),
    ({"x": 3, "y": "hello"}, "f9532efd31fe55f5013d84fa4e1585b9a52e6cf82842adabe22fd3ac359c4143"),
    ({"x": 7000000}, "fe4c9222ee2bffbc3ff7f25510d5b258adfa38a16740050a112ccc98eb886de5"),
])
def test_agent_rs_hash_vectors(value, expected):
    assert cbor.hash_of_map(value).hex() == expected


def test_request_id_independent_of_order_and_principal_type():
    reordered = dict(reversed(list(SPEC_CONTENT.items())))
    reordered["sender"] = Principal.anonymous()
    assert cbor.request_id(reordered) == cbor.request_id(SPEC_CONTENT)


def test_hash_rejects_unhashable_values():
    with pytest.raises(InputError, match="^flag: booleans"):
        cbor.hash_of_map({"flag": True})
    with pytest.raises(InputError, match=r"^a\.b: cannot hash"):
        cbor.hash_of_map({"a": {"b": 1.5}})


def test_leb128():
    assert cbor.uleb128(0) == b"\x00"
    assert cbor.uleb128(624485) == bytes.fromhex("e58e26")
    assert cbor.sleb128(-123456) == bytes.fromhex("c0bb78")
    assert cbor.sleb128(63) == b"\x3f" and cbor.sleb128(64) == b"\xc0\x00"


def test_dumps_self_describe_and_known_bytes():
    assert cbor.dumps({"a": 1}) == bytes.fromhex("d9d9f7a1616101")
    assert cbor.dumps([1, b"\x02"], self_describe=False) == bytes.fromhex("82014102")
    assert cbor.dumps(Principal.anonymous(), self_describe=False) == b"\x41\x04"


json_like = st.recursive(
    st.none() | st.booleans() | st.integers(-(2 ** 80), 2 ** 80) | st.binary(max_size=40)
    | st.text(max_size=20) | st.floats(allow_nan=False),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=30)


@given(json_like)
def test_roundtrip_and_agrees_with_cbor2(value):
    data = cbor.dumps(value)
    assert cbor.loads(data) == value
    assert cbor2.loads(data[3:]) == value
    assert cbor.loads(cbor2.dumps(value)) == value


def test_loads_strips_nested_self_describe_and_keeps_other_tags():
    assert cbor.loads(bytes.fromhex("d9d9f782a0c100")) == [{}, cbor.Tag(1, 0)]
    assert cbor.loads(bytes.fromhex("d9d9f7d9d9f70a")) == 10
    assert cbor.loads(bytes.fromhex("c11a514b67b0")) == cbor.Tag(1, 1363896240)


def test_loads_indefinite_lengths():
    assert cbor.loads(bytes.fromhex("9f0102ff")) == [1, 2]
    assert cbor.loads(bytes.fromhex("bf6161f5ff")) == {"a": True}
    assert cbor.loads(bytes.fromhex("5f42010241 03ff".replace(" ", ""))) == b"\x01\x02\x03"


@pytest.mark.parametrize("hexdata,match", [
    ("", "truncated"),
    ("1a0001", "truncated"),
    ("9b7fffffffffffffff", "exceeds the remaining input"),
    ("bb7fffffffffffffff", "exceeds the remaining input"),
    ("0101", "trailing bytes"),
    ("62c328", "not valid UTF-8"),
    ("1c", "invalid additional information"),
    ("9f01", "unterminated"),
    ("a1810100", "map key is an array"),
    ("f0", "unsupported simple value"),
])
def test_loads_malformed(hexdata, match):
    with pytest.raises(InputError, match=match):
        cbor.loads(bytes.fromhex(hexdata))


def test_loads_refuses_deep_nesting():
    assert cbor.loads(b"\x81" * 100 + b"\x00") is not None
    with pytest.raises(InputError, match="nesting deeper"):
        cbor.loads(b"\x81" * (cbor.MAX_DEPTH + 5) + b"\x00")
    with pytest.raises(InputError):
        cbor.loads("text")


def test_dumps_refuses_unknown_types():
    with pytest.raises(InputError, match="cannot encode a value of type set"):
        cbor.dumps({1, 2})
