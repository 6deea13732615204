"""Principal text/bytes conversion, classes of principals and error messages."""
import hashlib

import pytest
from hypothesis import given, strategies as st

from _ic.errors import InputError
from _ic.principal import Principal

VECTORS = [
    ("abcd01", "em77e-bvlzu-aq"),
    ("", "aaaaa-aa"),
    ("04", "2vxsx-fae"),
    ("00000000000000000101", "rwlgt-iiaaa-aaaaa-aaaaa-cai"),
    ("00000000000000010101", "rrkah-fqaaa-aaaaa-aaaaq-cai"),
    ("00000000000000020101", "ryjl3-tyaaa-aaaaa-aaaba-cai"),
    ("00000000000000040101", "rkp4c-7iaaa-aaaaa-aaaca-cai"),
]


@pytest.mark.parametrize("hexraw,text", VECTORS)
def test_spec_vectors(hexraw, text):
    p = Principal(bytes.fromhex(hexraw))
    assert p.to_text() == text and str(p) == text
    assert Principal.from_text(text) == p
    assert Principal.from_text(text.upper()) == p


def test_special_principals():
    assert Principal.anonymous().to_text() == "2vxsx-fae"
    assert Principal.anonymous().is_anonymous
    assert Principal.management().raw == b""
    assert not Principal.management().is_anonymous


def test_self_authenticating():
    p = Principal.self_authenticating(b"\x30\x01")
    assert p.raw == hashlib.sha224(b"\x30\x01").digest() + b"\x02"
    assert p.is_self_authenticating and len(p.raw) == 29
    mainnet_root = bytes.fromhex(
        "308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100814c0e6e"
        "c71fab583b08bd81373c255c3c371b2e84863c98a4f1e08b74235d14fb5d9c0cd546d9685f913a0c0b"
        "2cc5341583bf4b4392e467db96d65b9bb4cb717112f8472e0d5a4d14505ffd7484b01291091c5f87b9"
        "8883463f98091a0baaae")
    assert Principal.self_authenticating(mainnet_root).to_text() == \
        "tdb26-jop6k-aogll-7ltgs-eruif-6kk7m-qpktf-gdiqx-mxtrf-vb5e6-eqe"


def test_canister_index_roundtrip():
    assert Principal.from_canister_index(2).to_text() == "ryjl3-tyaaa-aaaaa-aaaba-cai"
    assert Principal.from_text("ryjl3-tyaaa-aaaaa-aaaba-cai").canister_index() == 2
    assert Principal.anonymous().canister_index() is None
    top = Principal.from_canister_index(2 ** 64 - 1)
    assert top.canister_index() == 2 ** 64 - 1
    for bad in (-1, 2 ** 64, "3", True):
        with pytest.raises(InputError, match="canister_index"):
            Principal.from_canister_index(bad)


@given(st.binary(max_size=29))
def test_text_roundtrip(raw):
    p = Principal(raw)
    assert Principal.from_text(p.to_text()) == p
    assert len(p.to_text()) <= 63


def test_ordering_hash_immutability():
    a, b = Principal(b"\x01"), Principal(b"\x02")
    assert a < b and sorted([b, a]) == [a, b]
    assert {a: 1}[Principal(b"\x01")] == 1
    with pytest.raises(AttributeError):
        a.foo = 1
    assert a != b"\x01"


def test_too_long():
    with pytest.raises(InputError, match="at most 29"):
        Principal(b"\x00" * 30)
    long_text = Principal(b"\x00" * 29).to_text() + "-aaaaa"
    with pytest.raises(InputError):
        Principal.from_text(long_text)


def test_bad_character_is_named():
    with pytest.raises(InputError, match=r"invalid character '1' at position 26"):
        Principal.from_text("ryjl3-tyaaa-aaaaa-aaaba-ca1")
    with pytest.raises(InputError, match="invalid character '_'"):
        Principal.from_text("ryjl3_tyaaa-aaaaa-aaaba-cai")


def test_checksum_mismatch():
    # Flip one data character: the grouping stays valid but the CRC no longer matches.
    with pytest.raises(InputError, match="checksum mismatch"):
        Principal.from_text("ryjl3-tyaaa-aaaaa-aaaca-cai")


def test_bad_grouping():
    for text in ("ryjl3tyaaa-aaaaa-aaaba-cai", "ryjl3-tyaaa-aaaaa-aaaba-cai-",
                 "ryjl3--tyaaa-aaaaa-aaaba-cai", "ryjl-3tyaaa-aaaaa-aaaba-cai"):
        with pytest.raises(InputError, match="grouping"):
            Principal.from_text(text)


def test_empty_and_wrong_type():
    with pytest.raises(InputError, match="empty"):
        Principal.from_text("  ")
    with pytest.raises(InputError, match="expected principal text"):
        Principal.from_text(5)
    with pytest.raises(InputError):
        Principal("aaaaa-aa")


def test_coerce():
    p = Principal.from_canister_index(7)
    assert Principal.coerce(p) is p
    assert Principal.coerce(p.to_text()) == p
    assert Principal.coerce(p.raw) == p
    with pytest.raises(InputError) as info:
        Principal.coerce(12, field="settings.controllers[1]")
    assert str(info.value).startswith("settings.controllers[1]: not a principal")
    with pytest.raises(InputError, match="^controllers: invalid character"):
        Principal.coerce("xx!", field="controllers")
