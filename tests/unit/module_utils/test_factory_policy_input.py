"""ic_factory_policy's input pass (validation 'ic_factory_policy') refuses, before any call, a policy
mapping whose own fields break a factory rule, and leaves to the plan (after the queries) what
depends on the factory's current record. The rule texts are held against the canister in
tests/templates/test_factory_policy_rules.py."""
import pytest

from ansible_collections.icp.canister_factory.plugins.module_utils import _validation as validation
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import InputError


@pytest.mark.parametrize("params,message", [
    ({"template_policies": {"user": {"autoscale": True, "scale_at": None}}},
     "template_policies.user.scale_at: must be set (1-100) when autoscale is on"),
    ({"template_policies": {"user": {"autoscale": "yes", "scale_at": "none"}}},
     "template_policies.user.scale_at: must be set (1-100) when autoscale is on"),
    ({"template_policies": {"user": {"autoscale": True, "max_shards": 1}}},
     "template_policies.user.max_shards: must be at least 2 when autoscale is on (the first canister counts)"),
    ({"template_policies": {"gallery": {"scale_at": "150"}}},
     "template_policies.gallery.scale_at: a percent of the wasm_memory_limit, between 1 and 100 (or none)"),
    ({"template_policies": {"user": {"max_per_owner": 3}}},
     "template_policies.user.max_per_owner: the user template is one per owner (set 1)"),
    ({"policy": {"pool_size": 2, "pool_canister_cycles": 0}},
     "policy.pool_canister_cycles: must be above 0 when pool_size > 0"),
    ({"policy": {"log_capacity": 5}}, "policy.log_capacity: must be between 10 and 100000"),
    ({"admins": [], "allow_lockout": True},
     "admins: at least one admin is required; list the principals that administer the factory"),
    ({"backup_controllers": ["2vxsx-fae"]},
     "backup_controllers: the anonymous principal cannot be a controller; remove 2vxsx-fae"),
    ({"template_policies": ["user"]}, "template_policies: must be a mapping of template name to policy fields"),
])
def test_input_pass_refuses_what_the_given_fields_decide(params, message):
    with pytest.raises(InputError) as raised:
        validation.check("ic_factory_policy", params)
    assert str(raised.value) == message


@pytest.mark.parametrize("params", [
    {"template_policies": {"user": {"autoscale": True}}},  # scale_at may already be set on the factory
    {"template_policies": {"user": {"band_min": 5}}},  # band_target is the factory's
    {"template_policies": {"memory": {"autoscale": True, "scale_at": 80, "max_shards": 3}}},
    {"policy": {"pool_size": 2}, "admins": ["aaaaa-aa"]},
])
def test_input_pass_leaves_what_depends_on_the_factory(params):
    validation.check("ic_factory_policy", params)


class FakeFactory:
    """Answers the queries plan() sends: one registered template, user, with the defaults."""

    DEFAULT = {"initial_cycles": 10, "band_min": 3, "band_target": 10, "max_per_owner": 1, "self_service": True,
               "scale_at": None, "max_shards": 1, "autoscale": False}

    def __init__(self):
        self.updates = []

    def query(self, method, *args):
        if method == "get_template_policy":
            return dict(self.DEFAULT) if args[0] == "user" else None
        if method == "default_template_policy":
            return dict(self.DEFAULT)
        raise AssertionError(method)


@pytest.fixture(name="planner")
def fixture_planner(monkeypatch):
    from ansible_collections.icp.canister_factory.plugins.module_utils import _factory_policy
    monkeypatch.setattr(_factory_policy, "optional_fields", lambda *_: {"scale_at", "max_shards", "autoscale"})
    return _factory_policy.plan


def test_plan_refuses_what_the_merged_record_breaks(planner):
    with pytest.raises(InputError) as raised:
        planner(FakeFactory(), {"template_policies": {"user": {"autoscale": True}}}, "aaaaa-aa")
    assert str(raised.value) == "template_policies.user.scale_at: must be set (1-100) when autoscale is on"


def test_plan_refuses_an_unknown_template_unless_the_play_registers_it(planner):
    wanted = {"template_policies": {"gallery": {"band_min": 5}}}
    with pytest.raises(InputError) as raised:
        planner(FakeFactory(), wanted, "aaaaa-aa")
    assert str(raised.value).startswith("template_policies.gallery: the factory has no template 'gallery'")
    (change,) = planner(FakeFactory(), wanted, "aaaaa-aa", pending_templates={"gallery"})
    assert change.key == "template_policies.gallery" and change.before is None and change.after["band_min"] == 5
