"""YAML/JSON data to typed values (from_python) and back (to_json)."""
import json

import pytest

from _ic.candid import (Int8, Nat, Opt, Record, Some, Text, decode, encode, from_python,
                       parse_did, parse_types, to_json)
from _ic.errors import CandidError
from _ic.principal import Principal

IC = parse_did(open("/work/shared/reference/ic.did", encoding="utf-8").read())
CREATE = IC.arg_types("create_canister")[0]


def test_yaml_settings_become_typed_values():
    data = {"settings": {"controllers": ["aaaaa-aa", "2vxsx-fae"], "freezing_threshold": "100",
                         "compute_allocation": 1.0, "log_visibility": "controllers"}}
    value = from_python(CREATE, data)
    settings = value["settings"]
    assert settings["controllers"] == [Principal.management(), Principal.anonymous()]
    assert settings["freezing_threshold"] == 100 and settings["compute_allocation"] == 1
    assert settings["log_visibility"] == {"controllers": None}
    assert settings["memory_allocation"] is None and value["sender_canister_version"] is None
    assert decode(encode([CREATE], [value]), [CREATE]) == [value]


@pytest.mark.parametrize("data,message", [
    ({"settings": {"controllers": ["aaaaa-aa", 5]}},
     "settings.controllers[1]: not a principal"),
    ({"settings": {"controllers": ["aaaaa-aa", "bad!"]}},
     "settings.controllers[1]: not a principal"),
    ({"settings": {"freezing_threshold": -1}}, "settings.freezing_threshold: not a nat"),
    ({"settings": {"freezing_threshold": "ten"}}, "settings.freezing_threshold: not a nat"),
    ({"settings": {"colour": 1}}, "settings.colour: not a field of the record"),
    ({"settings": {"log_visibility": "everyone"}},
     "settings.log_visibility.everyone: not a tag of the variant"),
    ({"settings": {"log_visibility": {"a": 1, "b": 2}}}, "settings.log_visibility: not a variant"),
    ({"settings": []}, "settings: not a record"),
    ({"settings": {"controllers": "aaaaa-aa"}}, "settings.controllers: not a list"),
])
def test_errors_name_the_path(data, message):
    with pytest.raises(CandidError) as info:
        from_python(CREATE, data)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_scalars_and_special_cases():
    assert from_python(Int8, "-5") == -5
    with pytest.raises(CandidError, match="out of range for int8"):
        from_python(Int8, 200)
    with pytest.raises(CandidError, match="x: missing required field"):
        from_python(Record({"x": Nat}), {})
    with pytest.raises(CandidError, match="not text"):
        from_python(Text, 5)
    assert from_python(Opt(Opt(Nat)), 5) == Some(5)
    blob = parse_types("(blob)")[0]
    assert from_python(blob, "deadbeef") == b"\xde\xad\xbe\xef"
    assert from_python(blob, [1, 2]) == b"\x01\x02"
    with pytest.raises(CandidError, match="hex"):
        from_python(blob, "xyz")
    pair = parse_types("(record { nat; text })")[0]
    assert from_python(pair, [1, "a"]) == (1, "a")
    assert from_python(pair, {"0": 1, "1": "a"}) == (1, "a")


def test_to_json_is_json_friendly():
    types = parse_types("(record { id : principal; hash : opt blob; pair : record { nat; text };"
                        " mode : variant { a; b : opt opt nat }; 5 : float64 })")
    value = {"id": Principal.anonymous(), "hash": b"\x01\x02", "pair": (1, "x"),
             "mode": {"b": Some(7)}, 5: 0.5}
    out = to_json(types, [value])
    assert json.loads(json.dumps(out)) == [
        {"id": "2vxsx-fae", "hash": "0102", "pair": [1, "x"], "mode": {"b": 7}, "5": 0.5}]
    # and the JSON form converts back to the same typed value
    assert from_python(types[0], out[0]) == value
