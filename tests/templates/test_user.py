"""User template on localnet: profile and preferences, sharing, limits, and the upgrade from
0.1.0 to 0.2.0 (data migrated), plus a failing upgrade that leaves everything as it was."""
import pytest

from template_canister import TemplateCanister, err, ok


@pytest.fixture(scope="module")
def user(callers):
    return TemplateCanister(callers, "user", max_preferences=3, max_value_bytes=16)


def test_owner_writes_and_reads(user, callers):
    owner = callers.owner
    assert user.call(owner, "version") == "0.2.0"
    assert user.call(owner, "whoami") == owner.sender
    ok(user.call(owner, "set_profile", {"display_name": "Ada", "bio": "maths"}))
    profile = user.call(owner, "get_profile")
    assert (profile["display_name"], profile["bio"]) == ("Ada", "maths") and profile["updated_at"] > 0
    ok(user.call(owner, "set_preference", "theme", "dark"))
    ok(user.call(owner, "set_preference", "lang", "en"))
    assert user.call(owner, "get_preference", "theme") == "dark"
    listed = {p["key"]: p["value"] for p in user.call(owner, "list_preferences")}
    assert listed == {"theme": "dark", "lang": "en"}
    assert user.call(owner, "delete_preference", "lang") is True
    assert user.call(owner, "delete_preference", "lang") is False
    assert user.call(owner, "get_preference", "lang") is None
    counts = dict(user.call(owner, "get_info")["counts"])
    assert counts["preferences"] == 1 and counts["profile"] == 1


def test_sizes_and_quotas_are_checked(user, callers):
    owner = callers.owner
    assert "limit is 16" in err(user.call(owner, "set_preference", "long", "x" * 17))
    assert "must not be empty" in err(user.call(owner, "set_preference", "", "x"))
    assert "limit is 64" in err(user.call(owner, "set_preference", "k" * 65, "x"))
    for key in ("a", "b", "c"):
        user.call(owner, "set_preference", key, "v")
    assert "max_preferences = 3" in err(user.call(owner, "set_preference", "d", "v"))
    assert user.call(owner, "get_info")["capacity"] == {"used": 3, "limit": 3, "unit": "preferences"}
    ok(user.call(owner, "set_preference", "a", "changed"))  # replacing needs no new room
    assert "limit is 8192" in err(user.call(owner, "set_profile", {"display_name": "x" * 9000, "bio": ""}))
    for key in ("a", "b", "c"):
        user.call(owner, "delete_preference", key)


def test_only_the_owner_writes_and_granted_readers_read(user, callers):
    owner, reader, stranger = callers.owner, callers.reader, callers.stranger
    anonymous = callers.anonymous
    for who in (reader, stranger, anonymous, callers.operator):
        reject = user.rejects(who, "set_preference", "theme", "light")
        assert reject.reject_code == 4 and "may not change preferences" in reject.reject_message
    assert "anonymous" in user.rejects(anonymous, "get_profile").reject_message
    user.rejects(reader, "get_preference", "theme")

    ok(user.call(owner, "grant", reader.sender))
    assert user.call(owner, "list_readers") == [reader.sender]
    assert user.call(reader, "get_preference", "theme") == "dark"
    assert user.call(reader, "get_profile")["display_name"] == "Ada"
    assert user.call(reader, "get_info")["owner"] == owner.sender
    user.rejects(reader, "grant", stranger.sender)
    user.rejects(reader, "list_readers")
    user.rejects(stranger, "get_preference", "theme")

    assert "anonymous" in err(user.call(owner, "grant", anonymous.sender))
    assert "owner" in err(user.call(owner, "grant", owner.sender))
    assert user.call(owner, "revoke", reader.sender) is True
    user.rejects(reader, "get_preference", "theme")


def test_controllers_maintain_but_cannot_read_private_data(user, callers):
    operator, owner = callers.operator, callers.owner
    stats = user.call(operator, "admin_stats")
    assert dict(stats["limits"])["max_preferences"] == 3 and stats["info"]["template"] == "user"
    info = user.call(operator, "get_info")
    assert info["version"] == "0.2.0" and info["cycles"] > 0 and info["memory_bytes"] > 0
    for method, args in (("get_profile", ()), ("get_preference", ("theme",)), ("list_preferences", ())):
        user.rejects(operator, method, *args)
    ok(user.call(operator, "admin_set_limit", "max_preferences", 5))
    assert "between 1 and 10000" in err(user.call(operator, "admin_set_limit", "max_preferences", 0))
    assert "unknown limit" in err(user.call(operator, "admin_set_limit", "nope", 1))
    assert "controllers only" in user.rejects(owner, "admin_stats").reject_message
    user.rejects(owner, "admin_set_limit", "max_preferences", 100)


def test_upgrade_from_0_1_0_migrates_preferences_and_keeps_everything(callers):
    owner, reader = callers.owner, callers.reader
    user = TemplateCanister(callers, "user-0.1.0")
    assert user.call(owner, "version") == "0.1.0"
    ok(user.call(owner, "set_profile", {"display_name": "Grace", "bio": "compilers"}))
    ok(user.call(owner, "set_preference", "theme", "dark"))
    ok(user.call(owner, "grant", reader.sender))
    assert user.call(owner, "list_preferences") == [{"key": "theme", "value": "dark"}]

    user.upgrade("user")
    assert user.call(owner, "version") == "0.2.0"
    (entry,) = user.call(reader, "list_preferences")
    assert (entry["key"], entry["value"]) == ("theme", "dark") and entry["updated_at"] > 0
    assert user.call(reader, "get_profile")["display_name"] == "Grace"

    report = user.call(owner, "get_info")
    assert report["capacity"] == {"used": 1, "limit": 100, "unit": "preferences"} and report["state_version"] >= 1
    user.upgrade("user")  # again: the migration finds nothing left to move
    assert user.call(owner, "get_preference", "theme") == "dark"
    assert user.call(owner, "get_info")["state_version"] == report["state_version"] + 1  # kept, and raised


def test_failed_upgrade_changes_nothing(callers):
    owner = callers.owner
    user = TemplateCanister(callers, "user-0.1.0")
    ok(user.call(owner, "set_preference", "theme", "dark"))
    failure = pytest.raises(Exception, user.upgrade, "test/user-broken")
    assert "fails on purpose" in str(failure.value)
    user.out = "user-0.1.0"
    assert user.call(owner, "version") == "0.1.0"
    assert user.call(owner, "get_preference", "theme") == "dark"


def test_bad_init_arguments_are_refused(callers):
    with pytest.raises(Exception, match="owner must not be the anonymous principal"):
        TemplateCanister(callers, "user", owner=callers.anonymous.sender)
    with pytest.raises(Exception, match="max_preferences must be between 1 and 10000"):
        TemplateCanister(callers, "user", max_preferences=0)
    user = TemplateCanister(callers, "user")
    with pytest.raises(Exception, match="owner cannot change on upgrade"):
        user.upgrade("user", owner=callers.stranger.sender)
    assert user.call(callers.owner, "whoami") == callers.owner.sender
