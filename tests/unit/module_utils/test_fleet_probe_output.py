"""The controller probe's result is the module's: no_log values masked, JSON's plain types."""
import datetime

from ansible.module_utils.common.parameters import remove_values

from ansible_collections.icp.canister_factory.plugins.module_utils._fleet_probe import _masked


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
