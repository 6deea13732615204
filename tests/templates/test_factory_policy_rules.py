"""The collection's copy of the factory's policy rules (module_utils/_factory_policy_rules.py) says
what the canister says: every record the Python rules refuse, the factory canister refuses with
the same text, and a record they pass, it takes. (ic_factory_policy refuses them before any update
call, in check mode too; its integration target shows that part.)"""
import pytest

import _factory_policy_rules as rules
from _ic.principal import Principal
from factory_support import Factory, err

T = 10 ** 12
TEMPLATE_CASES = {
    "autoscale without scale_at": {"autoscale": True, "scale_at": None, "max_shards": 4},
    "autoscale with one shard": {"autoscale": True, "scale_at": 80, "max_shards": 1},
    "scale_at above 100": {"scale_at": 101},
    "scale_at 0": {"scale_at": 0},
    "too many shards": {"max_shards": 101},
    "no shards": {"max_shards": 0},
    "band_min above band_target": {"band_min": 5 * T, "band_target": T},
    "band_min without band_target": {"band_min": T, "band_target": 0},
    "no initial cycles": {"initial_cycles": 0},
    "max_per_owner 0": {"max_per_owner": 0},
    "user more than one per owner": {"max_per_owner": 2},
}
GLOBAL_CASES = {
    "rate limit window 0": {"rate_limit_window_seconds": 0},
    "maintenance every 0 s": {"maintenance_interval_seconds": 0},
    "maintenance every 2 days": {"maintenance_interval_seconds": 172_800},
    "tiny log": {"log_capacity": 9},
    "huge pool": {"pool_size": 101},
    "pool without cycles": {"pool_size": 2, "pool_canister_cycles": 0},
}


@pytest.fixture(scope="module")
def factory(callers):
    f = Factory(callers)
    f.register("user")
    return f


def plain(record):
    """A policy record as the module holds it (opt fields as None or their value)."""
    return {k: (v[0] if v else None) if isinstance(v, list) else v for k, v in record.items()}


@pytest.mark.parametrize("case", sorted(TEMPLATE_CASES))
def test_template_rules_match_the_canister(factory, case):
    record = dict(plain(factory.admin("get_template_policy", "user")), **TEMPLATE_CASES[case])
    refused = err(factory.admin("set_template_policy", "user", record))["InvalidArgument"]
    with pytest.raises(rules.InputError) as raised:
        rules.check_template("user", record, "template_policies.user")
    assert str(raised.value) == f"template_policies.user.{refused}"


@pytest.mark.parametrize("case", sorted(GLOBAL_CASES))
def test_global_rules_match_the_canister(factory, case):
    record = dict(factory.admin("get_policy"), **GLOBAL_CASES[case])
    refused = err(factory.admin("set_policy", record))["InvalidArgument"]
    with pytest.raises(rules.InputError) as raised:
        rules.check_global(record)
    assert str(raised.value) == f"policy.{refused}"


def test_a_record_the_rules_pass_the_canister_takes(factory):
    record = dict(plain(factory.admin("get_template_policy", "user")), autoscale=True, scale_at=80, max_shards=2)
    rules.check_template("user", record, "template_policies.user")
    assert factory.admin("set_template_policy", "user", record) == {"Ok": None}
    policy = dict(factory.admin("get_policy"), pool_size=1, pool_canister_cycles=T)
    rules.check_global(policy)
    policy["pool_size"] = 0
    assert factory.admin("set_policy", policy) == {"Ok": None}


@pytest.mark.parametrize("method,bad", [
    ("set_admins", []), ("set_admins", ["2vxsx-fae"]), ("set_backup_controllers", ["2vxsx-fae"]),
    ("set_backup_controllers", [str(Principal.from_canister_index(900 + i)) for i in range(10)])])
def test_admin_list_rules_match_the_canister(factory, method, bad):
    """The canister's text, then the fix (the collection adds what to do)."""
    refused = err(factory.admin(method, [Principal.from_text(p) for p in bad]))["InvalidArgument"]
    with pytest.raises(rules.InputError) as raised:
        if method == "set_admins":
            rules.check_admins(bad, allow_lockout=True)
        else:
            rules.check_backup_controllers(bad, str(factory.id))
    assert str(raised.value).startswith(refused.split(" (")[0]), (str(raised.value), refused)
