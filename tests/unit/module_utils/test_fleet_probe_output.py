"""The controller probe's options and result are the module's: options checked as ArgumentSpecValidator
checks them (items once per shape), no_log values masked, JSON's plain types."""
import copy
import datetime
import json

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values

from ansible_collections.icp.canister_factory.plugins.module_utils._fleet_probe import Undecided, _masked, _validated
from ansible_collections.icp.canister_factory.plugins.modules.ic_fleet import ICFleet


RESULT = {"changed": False, "canisters": [{"name": "a", "cycles": 10, "ok": True, "mode": None}],
          "counts": {"total": 1}, "invocation": {"module_args": {"identity_pem": "SECRET", "names": ("a", "b")}}}


def test_without_no_log_values_the_result_is_remove_values_copy_in_plain_types():
    masked = _masked(RESULT, set())
    assert masked == remove_values(RESULT, set())
    assert masked["invocation"]["module_args"]["names"] == ["a", "b"]
    assert masked["canisters"] is not RESULT["canisters"], "a copy, as remove_values gives"


def test_no_log_values_are_masked():
    masked = _masked(RESULT, {"SECRET"})
    assert masked["invocation"]["module_args"]["identity_pem"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert "SECRET" not in repr(masked)


def test_a_value_json_cannot_say_goes_through_remove_values():
    when = datetime.date(2026, 1, 2)
    assert _masked({"at": when}, set()) == {"at": when}


def _fleet_args(items):
    return {"registry": "/tmp/registry.yml", "network": "http://127.0.0.1:9", "canisters": items}


def _item(label, **extra):
    name = label
    item = {"name": name, "owner": f"owner-{name}", "wasm": "~/user.wasm.gz", "template": "user",
            "arg": f'(record {{ owner = "{name}" }})', "settings": {"freezing_threshold": 2592000,
                                                                 "controllers": ["aaaaa-aa"]}}
    item.update(extra)
    return item


@pytest.mark.parametrize("items", [
    [_item(f"c{i}") for i in range(20)],
    [_item("a"), _item("b", state="stopped"), _item("c", cycles="12"), _item("d", template=None),
     _item("e", settings={"log_visibility": "public"}), _item("f", keep_failed="yes"),
     _item("g", owner=None), _item("h", owner=12345)],  # a number is converted to text
])
def test_items_checked_once_per_shape_give_the_validators_result(items):
    rules = ICFleet.option_rules()
    whole = ArgumentSpecValidator(**rules).validate(copy.deepcopy(_fleet_args(items)))
    assert not whole.error_messages
    validated, params = _validated(rules, copy.deepcopy(_fleet_args(items)))
    assert params == whole.validated_parameters
    assert json.dumps(params) == json.dumps(whole.validated_parameters), "the same order too"
    assert validated._no_log_values == whole._no_log_values
    first, second = params["canisters"][:2]
    assert first["settings"] is not second["settings"], "each item its own containers"


@pytest.mark.parametrize("bad", [
    {"state": "gone"}, {"owner": "DROP"}, {"color": "red"}, {"settings": {"freezing_threshold": "x"}},
    {"cycles": "lots"},
])
def test_an_item_the_validator_refuses_leaves_the_decision_to_the_module(bad):
    items = [_item("a"), _item("b", **bad)]  # noqa
    items[1] = {k: v for k, v in items[1].items() if v != "DROP"}  # a required option left out
    rules = ICFleet.option_rules()
    assert ArgumentSpecValidator(**rules).validate(copy.deepcopy(_fleet_args(items))).error_messages
    with pytest.raises(Undecided):
        _validated(rules, _fleet_args(items))
