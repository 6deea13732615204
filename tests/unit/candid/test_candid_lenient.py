"""Lenient decoding of replies from other replica/ledger versions."""
import pytest

from _ic import candid
from _ic.candid.decoder import UNKNOWN_CASE
from _ic.errors import CandidError

OLD = candid.parse_did("""
type r = record { a : nat; b : variant { x; y : nat; z : text } };
service : { m : () -> (r) }""")
NEW = candid.parse_did("""
type r = record { a : nat; b : variant { x; y : nat }; c : text };
service : { m : () -> (r) }""")


def test_missing_required_field_is_unknown_only_when_lenient():
    data = candid.encode(OLD.ret_types("m"), [{"a": 1, "b": {"x": None}}])
    with pytest.raises(CandidError, match="c"):
        candid.decode(data, NEW.ret_types("m"))
    assert candid.decode(data, NEW.ret_types("m"), lenient=True) == \
        [{"a": 1, "b": {"x": None}, "c": None}]


def test_unknown_variant_case_is_unknown_only_when_lenient():
    data = candid.encode(OLD.ret_types("m"), [{"a": 7, "b": {"z": "later"}}])
    with pytest.raises(CandidError):
        candid.decode(data, NEW.ret_types("m"))
    assert candid.decode(data, NEW.ret_types("m"), lenient=True) == \
        [{"a": 7, "b": {UNKNOWN_CASE: None}, "c": None}]
