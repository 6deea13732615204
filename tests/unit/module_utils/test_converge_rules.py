"""The init-argument record and the fast path, one rule for the roles (filters) and the fleet."""
import pytest

from ansible_collections.icp.canister_factory.plugins.filter.canister_arg_record import canister_arg_record
from ansible_collections.icp.canister_factory.plugins.filter.canister_converged import canister_converged
from ansible_collections.icp.canister_factory.plugins.module_utils import _fleet as fleet
from ansible_collections.icp.canister_factory.plugins.module_utils._canister_settings import differences, normalize

OWNER = "2vxsx-fae"
SHA = "ab" * 32
DEFAULT = f'(record {{ owner = principal "{OWNER}" }})'


@pytest.mark.parametrize("arg, value, record", [
    (DEFAULT, None, {"init_arg": None, "init_value": None}),
    ("", None, {"init_arg": None, "init_value": None}),
    ("(42 : nat)", None, {"init_arg": "(42 : nat)", "init_value": None}),
    (DEFAULT, {"owner": OWNER}, {"init_arg": None, "init_value": {"owner": OWNER}}),
])
def test_arg_record_is_the_same_on_both_paths(arg, value, record):
    default = DEFAULT if arg != "" else ""
    assert canister_arg_record(arg, value, default) == record
    spec = {"arg": arg, "arg_value": value, "arg_default": default}
    assert fleet._arg_record(spec) == record


def _known(**changes):
    entry = {"status": "active", "module_hash": SHA, "owner": OWNER, "template": "user",
             "init_arg": None, "init_value": None}
    live = {"exists": True, "status": "running", "module_hash": SHA, "cycles": 10**12,
            "settings": {"controllers": [OWNER], "freezing_threshold": 2592000}}
    for key, value in changes.items():
        where, _, field = key.partition("__")
        (entry if where == "entry" else live)[field] = value
    return {"entry": entry, "live": live}


WANTED = {"template": "user", "owner": OWNER, "wasm_sha256": SHA,
          "record": {"init_arg": None, "init_value": None}, "cycles_min": 5 * 10**11,
          "settings": {"freezing_threshold": 2592000}}


@pytest.mark.parametrize("changes, converged", [
    ({}, True),
    ({"entry__status": "failed"}, False),
    ({"entry__module_hash": "cd" * 32}, False),       # the entry says another module
    ({"live__module_hash": "cd" * 32}, False),        # the canister runs another module
    ({"entry__owner": "aaaaa-aa"}, False),
    ({"entry__init_arg": "(1 : nat)"}, False),        # another argument was recorded
    ({"live__status": "stopped"}, False),
    ({"live__exists": False}, False),
    ({"live__cycles": 10}, False),                    # below the band
    ({"live__settings": {"controllers": [OWNER], "freezing_threshold": 1}}, False),
])
def test_fast_path(changes, converged):
    assert canister_converged(_known(**changes), **WANTED) is converged


def test_no_known_state_or_hash_is_never_converged():
    assert canister_converged(None, **WANTED) is False
    assert canister_converged(_known(), **dict(WANTED, wasm_sha256="")) is False


def test_settings_diff_in_normal_form():
    wanted = normalize({"controllers": ["aaaaa-aa", OWNER], "freezing_threshold": 10})
    assert wanted["controllers"] == sorted(["aaaaa-aa", OWNER]) and wanted["freezing_threshold"] == 10
    assert differences(wanted, {"controllers": sorted(["aaaaa-aa", OWNER]), "freezing_threshold": 10}) == {}
    assert differences(wanted, {"controllers": [OWNER], "freezing_threshold": 10}) == {
        "controllers": sorted(["aaaaa-aa", OWNER])}
