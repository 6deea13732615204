"""The factory canister on localnet through the project's client: access rules, idempotent and
race-free creation, no orphans or leaked cycles, templates, policy, pool, cycles band, log,
metrics, and an upgrade of the factory itself. The fleet upgrade is in test_factory_fleet.py."""
import concurrent.futures
import hashlib

import pytest

from template_canister import TemplateCanister  # noqa: F401  (skips without localnet/client)
from factory_support import CREATION_FEE, Factory, err, ok
from _ic.errors import Reject
from _ic.identity import Ed25519Identity
from localnet.testing import wait_until
from template_artifacts import read

T = 10**12


@pytest.fixture(scope="module")
def factory(callers):
    f = Factory(callers)
    f.register("user")
    f.register("gallery")
    f.register("memory")
    return f


def child(callers, canister_id, out="user"):
    """A child canister created by the factory, called through its template's interface."""
    c = TemplateCanister.__new__(TemplateCanister)
    c.callers, c.id, c.out = callers, canister_id, out
    return c


def live_ids(net):
    """Texts of the canisters on the network."""
    return {c["id"] for c in net.canisters()}


def status_of(callers, canister_id):
    return callers.management().canister_status(canister_id)


def test_a_user_creates_its_own_canister_and_owns_it(factory, callers):
    alice = Ed25519Identity.generate()
    made = ok(factory.call(alice, "create_user_canister", alice.sender))
    assert factory.call(alice, "create_user_canister", alice.sender) == {"Ok": made}

    info = factory.call(alice, "get_canister_info", made)
    assert info["owner"] == alice.sender and info["created_by"] == alice.sender
    assert info["status"] == {"Active": None} and info["canister_type"] == "user"
    assert info["version"] == "0.2.0"
    assert info["module_hash"] == hashlib.sha256(read("user.wasm.gz")).digest()
    assert [i["canister_id"] for i in factory.call(alice, "list_user_canisters", alice.sender)] == [made]

    # The owner uses its canister; nobody else reads it, through the child or the factory.
    user = child(callers, made)
    assert user.call(alice, "get_info")["owner"] == alice.sender
    assert "may not" in str(user.rejects(callers.stranger, "get_info"))
    assert factory.call(callers.stranger, "get_canister_info", made) is None
    assert "only its own" in str(factory.rejects(callers.stranger, "list_user_canisters", alice.sender))

    # The factory and the backup controllers control it; the owner does not.
    controllers = status_of(callers, made)["settings"]["controllers"]
    assert set(controllers) == {factory.id, callers.operator.sender}
    assert alice.sender not in controllers


def test_callers_act_only_for_themselves(factory, callers):
    bob = Ed25519Identity.generate()
    assert err(factory.call(bob, "create_user_canister", callers.stranger.sender)) == {"NotAuthorized": None}
    assert err(factory.call(callers.anonymous, "create_user_canister", callers.anonymous.sender)) == {"NotAuthorized": None}
    assert "anonymous" in str(factory.rejects(callers.anonymous, "list_user_canisters", bob.sender))
    mine = ok(factory.call(callers.stranger, "create_user_canister", callers.stranger.sender))
    assert err(factory.call(bob, "delete_canister", mine)) == {"NotAuthorized": None}
    assert err(factory.call(bob, "upgrade_canister_to", mine, "0.2.0")) == {"NotAuthorized": None}
    assert "not a factory admin" in str(factory.rejects(bob, "get_metrics"))
    assert "not a factory admin" in str(factory.rejects(bob, "list_canisters", list_args()))
    # An admin may create for anyone.
    theirs = ok(factory.admin("create_user_canister", bob.sender))
    assert factory.call(bob, "get_canister_info", theirs)["owner"] == bob.sender


def test_concurrent_creations_for_one_owner_make_one_canister(factory, callers, net):
    carol = Ed25519Identity.generate()
    before = live_ids(net)
    with concurrent.futures.ThreadPoolExecutor(5) as pool:
        results = list(pool.map(lambda _: factory.call(carol, "create_user_canister", carol.sender), range(5)))
    made = {r["Ok"] for r in results if "Ok" in r}
    assert len(made) == 1, results
    assert all("Ok" in r or r == {"Err": {"Busy": None}} for r in results), results
    assert live_ids(net) - before == {str(m) for m in made}
    assert len(factory.call(carol, "list_user_canisters", carol.sender)) == 1


def test_a_failing_install_leaves_no_canister_and_no_cycles_behind(factory, callers, net):
    dave = Ed25519Identity.generate()
    before_ids = live_ids(net)
    failures = factory.admin("get_metrics")["creation_failures"]
    before = factory.balance()
    # gallery's init record cannot be decoded from these bytes: its install traps.
    failed = err(factory.call(dave, "create_feature_canister", "gallery", dave.sender, b"DIDL\x00\x01\x71\x03abc"))
    assert "InstallFailed" in failed
    after = factory.balance()
    assert live_ids(net) == before_ids
    # Only the creation fee and a few billion for execution and the drain's own call are gone.
    assert before - CREATION_FEE - 10 * 10**9 < after < before
    (record,) = factory.call(dave, "list_user_canisters", dave.sender)
    assert record["status"] == {"Deleted": None} and "install failed" in record["last_error"]
    assert factory.admin("get_metrics")["creation_failures"] == failures + 1
    with pytest.raises(Reject):
        status_of(callers, record["canister_id"])


def test_delete_returns_the_childs_cycles(factory, callers, net):
    erin = Ed25519Identity.generate()
    made = ok(factory.call(erin, "create_user_canister", erin.sender))
    held = status_of(callers, made)["cycles"]
    assert held > 0.99 * T
    before = factory.balance()
    assert factory.call(erin, "delete_canister", made) == {"Ok": None}
    assert factory.balance() - before > held - 5 * 10**9
    assert str(made) not in live_ids(net)
    assert factory.call(erin, "get_canister_info", made)["status"] == {"Deleted": None}
    assert factory.call(erin, "delete_canister", made) == {"Ok": None}
    # The owner can have a new one afterwards.
    again = ok(factory.call(erin, "create_user_canister", erin.sender))
    assert again != made
    deletes = [e for e in events(factory) if e["action"] == "delete" and e["canister_id"] == made]
    assert deletes and deletes[-1]["outcome"] == {"Ok": None} and "returned" in deletes[-1]["error"]


def events(factory):
    out, start = [], None
    while True:
        page = factory.admin("get_events", start, 100)
        out += page["items"]
        if page["next_from"] is None:
            return out
        start = page["next_from"]


def list_args(**kw):
    args = {"offset": 0, "limit": 100, "canister_type": None, "status": None, "owner": None}
    args.update(kw)
    return args


class Policies:
    """Changes policy for one test and puts the old one back."""

    def __init__(self, factory):
        self.factory = factory

    def __enter__(self):
        self.global_ = self.factory.admin("get_policy")
        self.templates = {t: self.factory.admin("get_template_policy", t) for t in ("user", "gallery", "memory")}
        return self

    def set(self, **changes):
        assert self.factory.admin("set_policy", dict(self.factory.admin("get_policy"), **changes)) == {"Ok": None}

    def set_template(self, template, **changes):
        current = self.factory.admin("get_template_policy", template)
        assert self.factory.admin("set_template_policy", template, dict(current, **changes)) == {"Ok": None}

    def __exit__(self, *exc):
        assert self.factory.admin("set_policy", self.global_) == {"Ok": None}
        for t, p in self.templates.items():
            assert self.factory.admin("set_template_policy", t, p) == {"Ok": None}


def test_cycles_quota_rate_and_self_service_rules(factory, callers, net):
    frank = Ed25519Identity.generate()
    count = len(live_ids(net))
    with Policies(factory) as p:
        p.set_template("memory", initial_cycles=10**18)
        short = err(factory.call(frank, "create_feature_canister", "memory", frank.sender, b""))
        assert short["InsufficientCycles"]["needed"] == 10**18 + CREATION_FEE
        assert short["InsufficientCycles"]["available"] < factory.balance()

        p.set(quota_per_caller=1)
        ok(factory.call(frank, "create_user_canister", frank.sender))
        assert err(factory.call(frank, "create_feature_canister", "gallery", frank.sender, b"")) == {"QuotaExceeded": None}
        p.set(quota_per_caller=10, rate_limit_count=1, rate_limit_window_seconds=3600)
        assert err(factory.call(frank, "create_feature_canister", "gallery", frank.sender, b"")) == {"RateLimited": None}

        assert err(factory.call(frank, "create_feature_canister", "nope", frank.sender, b"")) == {"UnknownTemplate": "nope"}
        p.set(self_service=False)
        grace = Ed25519Identity.generate()
        assert err(factory.call(grace, "create_user_canister", grace.sender)) == {"NotAuthorized": None}
        ok(factory.admin("create_user_canister", grace.sender))

        bad = factory.admin("set_template_policy", "user", dict(factory.admin("get_template_policy", "user"), band_min=5 * T, band_target=T))
        assert "band_min" in bad["Err"]["InvalidArgument"]
        bad = factory.admin("set_policy", dict(factory.admin("get_policy"), maintenance_interval_seconds=0))
        assert "maintenance_interval_seconds" in bad["Err"]["InvalidArgument"]
        assert err(factory.call(frank, "set_policy", factory.admin("get_policy"))) == {"NotAuthorized": None}
    assert len(live_ids(net)) == count + 2


def test_a_feature_canister_is_one_per_owner_and_template_unless_policy_allows_more(factory, callers):
    gus = Ed25519Identity.generate()
    first = ok(factory.call(gus, "create_feature_canister", "gallery", gus.sender, b""))
    assert factory.call(gus, "create_feature_canister", "gallery", gus.sender, b"") == {"Ok": first}
    with Policies(factory) as p:
        p.set_template("gallery", max_per_owner=2)
        second = ok(factory.call(gus, "create_feature_canister", "gallery", gus.sender, b""))
        assert second != first
        assert err(factory.call(gus, "create_feature_canister", "gallery", gus.sender, b"")) == {"QuotaExceeded": None}
    assert child(callers, second, "gallery").call(gus, "get_info")["owner"] == gus.sender


def test_templates_are_verified_before_use(factory, callers):
    data = read("memory.wasm.gz")
    begin = {"template": "memory", "version": "9.9.9", "wasm_sha256": hashlib.sha256(b"other").digest(), "size": len(data)}
    assert factory.admin("template_upload_begin", begin) == {"Ok": None}
    half = len(data) // 2
    assert factory.admin("template_upload_chunk", {"template": "memory", "version": "9.9.9", "offset": 0, "chunk": data[:half]}) == {"Ok": None}
    status = factory.admin("template_upload_status", "memory", "9.9.9")
    assert status["received"] == half and status["missing"] == [(half, len(data) - half)] or status["missing"] == [{"_0": half, "_1": len(data) - half}]
    commit = {"template": "memory", "version": "9.9.9", "set_current": True}
    assert "still missing" in factory.admin("template_upload_commit", commit)["Err"]["InvalidArgument"]
    assert factory.admin("template_upload_chunk", {"template": "memory", "version": "9.9.9", "offset": half, "chunk": data[half:]}) == {"Ok": None}
    assert "wasm_sha256" in factory.admin("template_upload_commit", commit)["Err"]["InvalidArgument"]
    assert factory.admin("get_template", "memory")["current"] == "0.1.0" or "9.9.9" not in [
        v["version"] for v in factory.admin("get_template", "memory")["versions"]]

    junk = b"not a wasm module at all"
    begin = {"template": "memory", "version": "9.9.9", "wasm_sha256": hashlib.sha256(junk).digest(), "size": len(junk)}
    factory.admin("template_upload_begin", begin)
    factory.admin("template_upload_chunk", {"template": "memory", "version": "9.9.9", "offset": 0, "chunk": junk})
    assert "not a Wasm module" in factory.admin("template_upload_commit", commit)["Err"]["InvalidArgument"]
    assert all(v["version"] != "9.9.9" for v in factory.admin("get_template", "memory")["versions"])

    # Uploading the same version again changes nothing; another hash under that name is refused.
    again = factory.register("memory")
    assert again["current"]
    clash = {"template": "memory", "version": again["version"], "wasm_sha256": hashlib.sha256(junk).digest(), "size": 10}
    assert "another hash" in factory.admin("template_upload_begin", clash)["Err"]["InvalidArgument"]
    assert err(factory.call(callers.stranger, "template_upload_begin", begin)) == {"NotAuthorized": None}

    # upgrade_canister takes only a registered version of the child's own template.
    hal = Ed25519Identity.generate()
    made = ok(factory.admin("create_user_canister", hal.sender))
    refused = err(factory.admin("upgrade_canister", made, read("gallery.wasm.gz")))
    assert "not a registered version of template user" in refused["InvalidArgument"]
    assert factory.admin("upgrade_canister", made, read("user.wasm.gz")) == {"Ok": None}


def test_the_pool_serves_sign_ups_once_each(factory, callers, net):
    with Policies(factory) as p:
        p.set(pool_size=2, pool_canister_cycles=T)
        report = ok(factory.admin("run_maintenance"))
        assert report["pool_created"] == 2 and factory.admin("get_metrics")["pool_level"] == 2
        pooled = live_ids(net)
        ids = [ok(factory.call(u, "create_user_canister", u.sender)) for u in (Ed25519Identity.generate(), Ed25519Identity.generate())]
        assert len(set(ids)) == 2 and {str(i) for i in ids} <= pooled
        assert factory.admin("get_metrics")["pool_level"] == 0
        p.set(pool_size=0)


def test_the_timer_keeps_children_in_their_cycles_band(factory, callers):
    ivy = Ed25519Identity.generate()
    made = ok(factory.call(ivy, "create_user_canister", ivy.sender))
    with Policies(factory) as p:
        p.set_template("user", band_min=2 * T, band_target=3 * T)
        p.set(maintenance_interval_seconds=1, low_balance_cycles=10**18)
        wait_until(lambda: status_of(callers, made)["cycles"] >= 3 * T - 10**9, timeout=90, interval=0.5)
        p.set(maintenance_interval_seconds=300)
    log = events(factory)
    assert any(e["action"] == "topup" and e["canister_id"] == made and e["outcome"] == {"Ok": None} for e in log)
    assert any(e["action"] == "low_balance" for e in log)
    assert factory.admin("get_metrics")["topups"] >= 1


def test_log_metrics_and_listing_page(factory, callers):
    kim = Ed25519Identity.generate()
    ok(factory.call(kim, "create_user_canister", kim.sender))
    assert factory.call(kim, "delete_canister", ok(factory.call(kim, "create_feature_canister", "memory", kim.sender, b""))) == {"Ok": None}
    page = factory.admin("get_events", None, 3)
    assert len(page["items"]) == 3 and page["next_from"] == page["items"][-1]["seq"] + 1
    rest = factory.admin("get_events", page["next_from"], 500)
    assert rest["items"][0]["seq"] == page["next_from"]

    everything = factory.admin("list_canisters", list_args(limit=500))
    first = factory.admin("list_canisters", list_args(limit=2))
    assert first["total"] == everything["total"] and first["next_offset"] == 2
    assert first["items"] == everything["items"][:2]
    users = factory.admin("list_canisters", list_args(canister_type="user", status={"Active": None}))
    assert users["items"] and all(i["canister_type"] == "user" and i["status"] == {"Active": None} for i in users["items"])

    metrics = factory.admin("get_metrics")
    counted = sum(c["count"] for c in metrics["children_by_type_and_status"])
    assert counted == metrics["children_total"] == everything["total"]
    assert metrics["creations"] >= 2 and metrics["deletions"] >= 1
    assert metrics["cycles_returned"] > 0 and metrics["cycles_given"] > metrics["cycles_returned"]
    assert metrics["cycles_held_by_children"] > 0 and metrics["version"] == factory.admin("version")


def test_upgrading_the_factory_keeps_everything(factory, callers):
    jo = Ed25519Identity.generate()
    made = ok(factory.call(jo, "create_user_canister", jo.sender))
    factory.admin("set_admins", [callers.operator.sender, callers.reader.sender])
    reads = ("list_templates", "get_policy", "get_metrics", "get_admins", "get_backup_controllers")
    before = {m: factory.admin(m) for m in reads}
    before["list"] = factory.admin("list_canisters", list_args(limit=500))
    before["events"] = factory.admin("get_events", None, 500)
    factory.upgrade_self()
    after = {m: factory.admin(m) for m in reads}
    after["list"] = factory.admin("list_canisters", list_args(limit=500))
    after["events"] = factory.admin("get_events", None, 500)
    for m in ("cycles_balance",):
        before["get_metrics"].pop(m), after["get_metrics"].pop(m)
    assert after == before
    assert factory.call(jo, "create_user_canister", jo.sender) == {"Ok": made}
    assert factory.admin("is_admin", callers.reader.sender)


def test_owners_stop_start_and_refresh_their_children(factory, callers):
    lee = Ed25519Identity.generate()
    made = ok(factory.call(lee, "create_user_canister", lee.sender))
    assert factory.call(lee, "stop_child", made) == {"Ok": None}
    assert status_of(callers, made)["status"] == {"stopped": None}
    assert factory.call(lee, "get_canister_info", made)["status"] == {"Stopped": None}
    assert err(factory.call(callers.stranger, "start_child", made)) == {"NotAuthorized": None}
    assert factory.call(lee, "start_child", made) == {"Ok": None}
    refreshed = factory.call(lee, "refresh_canister", made)
    assert refreshed["status"] == {"Active": None}
    assert refreshed["cycles_balance"] == status_of(callers, made)["cycles"] or refreshed["cycles_balance"] > 0.99 * T
    assert factory.call(callers.stranger, "refresh_canister", made) is None


def test_new_backup_controllers_reach_existing_children(factory, callers):
    mo = Ed25519Identity.generate()
    made = ok(factory.call(mo, "create_user_canister", mo.sender))
    backups = [callers.operator.sender, callers.reader.sender]
    assert factory.admin("set_backup_controllers", backups) == {"Ok": None}
    try:
        newer = ok(factory.admin("create_user_canister", Ed25519Identity.generate().sender))
        assert set(status_of(callers, newer)["settings"]["controllers"]) == {factory.id, *backups}
        total = 0
        while True:
            synced = ok(factory.admin("sync_child_controllers", 20))
            total += synced["updated"]
            if synced["remaining"] == 0:
                break
        assert total >= 1
        assert set(status_of(callers, made)["settings"]["controllers"]) == {factory.id, *backups}
        assert ok(factory.admin("sync_child_controllers", 20)) == {"updated": 0, "remaining": 0}
        assert "anonymous" in factory.admin("set_backup_controllers", [callers.anonymous.sender])["Err"]["InvalidArgument"]
    finally:
        assert factory.admin("set_backup_controllers", [callers.operator.sender]) == {"Ok": None}


def test_a_delete_that_cannot_finish_loses_nothing_and_can_be_retried(factory, callers, net):
    nan = Ed25519Identity.generate()
    made = ok(factory.call(nan, "create_user_canister", nan.sender))
    assert child(callers, made).call(nan, "set_preference", "keep", "me") == {"ok": None}
    # An operator (backup controller) took the factory off the child's controllers by mistake.
    callers.management().update_settings(made, {"controllers": [callers.operator.sender]})
    refused = err(factory.call(nan, "delete_canister", made))
    assert "delete failed" in refused["InvalidArgument"]
    info = factory.call(nan, "get_canister_info", made)
    assert info["status"] == {"Active": None} and "delete failed" in info["last_error"]
    assert str(made) in live_ids(net)
    assert child(callers, made).call(nan, "get_preference", "keep") == "me"
    # Put back, the delete goes through and the cycles come home.
    callers.management().update_settings(made, {"controllers": [factory.id, callers.operator.sender]})
    before = factory.balance()
    assert factory.call(nan, "delete_canister", made) == {"Ok": None}
    assert factory.balance() - before > 0.99 * T - 5 * 10**9
    assert str(made) not in live_ids(net)
