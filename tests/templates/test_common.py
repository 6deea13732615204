"""What every template does the same way: init arguments, identity and version queries,
monitoring for controllers, rejects for anonymous and unknown callers, upgrades in place."""
import pytest

from template_artifacts import TEMPLATES, entry
from template_canister import TemplateCanister, err, ok


@pytest.fixture(scope="module")
def canisters(callers):
    return {template: TemplateCanister(callers, template) for template in TEMPLATES}


@pytest.mark.parametrize("template", TEMPLATES)
def test_version_whoami_and_info(canisters, callers, template):
    canister = canisters[template]
    for who in (callers.owner, callers.stranger, callers.anonymous):
        assert canister.call(who, "version") == entry(template)["version"]
        assert canister.call(who, "whoami") == who.sender
    info = canister.call(callers.owner, "get_info")
    assert (info["owner"], info["template"]) == (callers.owner.sender, template)
    assert info["cycles"] > 0 and info["memory_bytes"] >= info["heap_bytes"] > 0


@pytest.mark.parametrize("template", TEMPLATES)
def test_capacity_and_state_version(callers, template):
    """get_info reports the fullest quota against a configured limit, and a state version that
    every update after its access check raises, queries and refused callers do not, and an
    upgrade keeps and raises."""
    canister = TemplateCanister(callers, template)
    info = canister.call(callers.owner, "get_info")
    limits = dict(canister.call(callers.operator, "admin_stats")["limits"])
    capacity = info["capacity"]
    assert capacity["used"] == 0 and capacity["unit"] and capacity["limit"] in limits.values(), capacity
    version = info["state_version"]
    assert version >= 1  # the install counts
    canister.call(callers.owner, "version")
    canister.rejects(callers.stranger, "grant", callers.reader.sender)
    assert canister.call(callers.operator, "get_info")["state_version"] == version
    ok(canister.call(callers.owner, "grant", callers.reader.sender))
    assert canister.call(callers.reader, "get_info")["state_version"] == version + 1
    canister.upgrade(template)
    assert canister.call(callers.owner, "get_info")["state_version"] == version + 2


@pytest.mark.parametrize("template", TEMPLATES)
def test_anonymous_and_strangers_are_rejected(canisters, callers, template):
    canister = canisters[template]
    for method in ("get_info", "admin_stats"):
        assert "anonymous callers may not" in canister.rejects(callers.anonymous, method).reject_message
        assert "may not" in canister.rejects(callers.stranger, method).reject_message
    canister.rejects(callers.anonymous, "grant", callers.stranger.sender)


@pytest.mark.parametrize("template", TEMPLATES)
def test_controllers_adjust_limits(canisters, callers, template):
    canister = canisters[template]
    limits = dict(canister.call(callers.operator, "admin_stats")["limits"])
    name = sorted(limits)[0]
    ok(canister.call(callers.operator, "admin_set_limit", name, limits[name] + 1))
    assert dict(canister.call(callers.operator, "admin_stats")["limits"])[name] == limits[name] + 1
    assert "unknown limit" in err(canister.call(callers.operator, "admin_set_limit", "no_such_limit", 1))
    canister.rejects(callers.owner, "admin_set_limit", name, 1)


@pytest.mark.parametrize("template", TEMPLATES)
def test_upgrade_in_place_keeps_limits_and_can_change_them(canisters, callers, template):
    canister = canisters[template]
    before = dict(canister.call(callers.operator, "admin_stats")["limits"])
    canister.upgrade(template)
    assert dict(canister.call(callers.operator, "admin_stats")["limits"]) == before
    canister.upgrade(template, max_readers=7)
    assert dict(canister.call(callers.operator, "admin_stats")["limits"])["max_readers"] == 7


@pytest.mark.parametrize("template", TEMPLATES)
def test_bad_init_arguments_are_refused(callers, template):
    with pytest.raises(Exception, match="owner must not be the anonymous principal"):
        TemplateCanister(callers, template, owner=callers.anonymous.sender)
    with pytest.raises(Exception, match="max_readers must be between 0 and 1000"):
        TemplateCanister(callers, template, max_readers=5000)
