"""The .did parser: the project's reference interfaces, syntax features and bad input."""
import pytest

from _ic.candid import Nat, Opt, Record, Text, Vec, encode, decode, parse_did, types as T
from _ic.errors import CandidError
from _ic.principal import Principal

REF = "/work/shared/reference"


def _load(name):
    with open(f"{REF}/{name}", encoding="utf-8") as f:
        return parse_did(f.read())


@pytest.mark.parametrize("name,methods", [("ic.did", 40), ("cmc.did", 5),
                                          ("cycles-ledger.did", 10), ("proxy.did", 1)])
def test_reference_interfaces_parse(name, methods):
    did = _load(name)
    assert len(did.service) >= methods
    for func in did.service.values():
        assert func.code == T.FUNC


def test_management_calls_encode_and_decode():
    ic = _load("ic.did")
    cid = Principal.from_text("rwlgt-iiaaa-aaaaa-aaaaa-cai")
    arg = encode(ic.arg_types("canister_status"), [{"canister_id": cid}])
    assert decode(arg, ic.arg_types("canister_status")) == [{"canister_id": cid}]
    create = ic.arg_types("create_canister")
    value = {"settings": {"controllers": [cid], "freezing_threshold": 100},
             "sender_canister_version": None}
    data = encode(create, [value])
    back, = decode(data, create)
    assert back["settings"]["controllers"] == [cid]
    assert back["settings"]["freezing_threshold"] == 100
    assert back["settings"]["compute_allocation"] is None
    assert ic.method("raw_rand").modes == () and ic.method("canister_status").is_query


def test_class_services_have_init_args():
    cmc = _load("cmc.did")
    ledger = _load("cycles-ledger.did")
    assert cmc.init_args is not None and len(cmc.init_args) == 1
    assert ledger.init_args is not None
    assert _load("ic.did").init_args is None


def test_annotations_comments_and_named_arguments():
    did = parse_did("""
        // line comment
        /* block /* nested */ comment */
        type list = opt record { head : nat; tail : list };
        type s = service { get : () -> (list) query };
        type s_func = func () -> ();
        service : (init : record { owner : principal }) -> {
          q : (list) -> (nat) query;
          cq : () -> () composite_query;
          ow : (text) -> () oneway;
          "quoted name" : (x : nat, y : text) -> (vec nat);
          f : s_func;
        };
    """)
    assert did.method("q").modes == ("query",) and did.method("q").is_query
    assert did.method("cq").modes == ("composite_query",)
    assert did.method("ow").modes == ("oneway",)
    assert did.method("quoted name").arg_names == ("x", "y")
    assert did.method("f").code == T.FUNC
    assert did.init_args[0].resolve().fields[0].label == "owner"
    lst = did.types["list"]
    assert lst.resolve().inner.resolve().field_by_id()[T.idl_hash("tail")].type is lst


def test_record_shorthands():
    did = parse_did("type t = record { nat; text; 5 : bool; 0x10 : null }; "
                    "type v = variant { a; 3; b : nat }; type b = blob;")
    t = did.types["t"].resolve()
    assert [f.label for f in t.fields] == [0, 1, 5, 16]
    v = did.types["v"].resolve()
    assert {f.label for f in v.fields} == {"a", 3, "b"}
    assert did.types["b"].resolve() == Vec(T.Nat8)
    assert Record([Nat, Text]).is_tuple and not Record({"a": Opt(Nat)}).is_tuple


@pytest.mark.parametrize("src,message", [
    ('import "other.did";', "import is not supported"),
    ("type a = b;", "line 1 column 10: type 'b' is not defined"),
    ("type a = nat; type a = text;", "defined twice"),
    ("type a = b; type b = a;", "cyclic"),
    ("service : { m : nat }", "not a function type"),
    ("type a = record { x : nat; x : text };", "duplicate field"),
    ("service : { m : () -> () query query }", "at most one"),
    ("service : { m : () -> (nat) oneway }", "oneway"),
    ("type a = record { 4294967296 : nat };", "u32"),
    ("type a = nat\nservice : { m : (nat) -> (nat) } junk", "line 2 column 34"),
    ('type a = record { "unclosed : nat };', "not closed"),
    ("/* unclosed", "comment is not closed"),
    ("type a = vec;", "expected a type"),
    ("service : {}; type a = nat;", "expected 'type', 'service' or the end"),
])
def test_bad_files_name_the_problem(src, message):
    with pytest.raises(CandidError) as info:
        parse_did(src)
    text = str(info.value)
    assert message in text
    assert "\n" not in text


def test_lookup_of_unknown_method_lists_known_ones():
    did = parse_did("service : { a : () -> (); b : () -> () }")
    with pytest.raises(CandidError, match="known methods: a, b"):
        did.method("c")
    with pytest.raises(CandidError, match="not defined"):
        did.type("nothing")
