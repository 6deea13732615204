"""One behaviour, two paths: every test runs provision.yml on the batch path (ic_fleet, one
module run) and on the per-host path (the template roles, ``-e icp_batch=false``). Both run the
same module_utils classes, so they must agree on what they create, record, predict and skip."""
import _registry_audit as audit_log
from factory.harness import BOTH_PATHS, Factory, own_factory, principal_for, users

CREATE = "provisional_create_canister_with_cycles"


def creations(net):
    """Provisional creations localnet has run so far."""
    return net.metrics()["by_method"].get(f"aaaaa-aa.{CREATE}", 0)


def one_canister(factory, name, batch):
    """Provision one user canister ``name``; returns (owner, canister id, cycles balance)."""
    owner = principal_for(name)
    inventory = factory.inventory("inventory.yml", {name: ("user", {"owner": owner})})
    run = factory.provision(inventory, batch)
    assert run.rc == 0, run.explain()
    cid = factory.entries()[name]["canister_id"]
    return owner, cid, {c["id"]: c for c in factory.canisters()}[cid]["cycles"]


def band_above(balance):
    """Extra vars of a user canister's cycles band above ``balance``: a top-up to its target."""
    return {"user_canister_cycles_min": balance + 10**12, "user_canister_cycles_target": balance + 2 * 10**12}


@BOTH_PATHS
def test_converge_record_and_rerun_without_update_calls(net, tmp_path, batch):
    """Check mode predicts the creations and changes nothing; the run creates, installs and
    records every canister, one each, although the reply of one creation call is lost after it
    ran (the run learns its outcome, never creates again); the rerun finds every canister,
    changes nothing, makes no update call and leaves the registry file as it was."""
    factory = Factory(net, tmp_path)
    hosts = users(2, prefix="p")
    hosts["p_arg"] = ("user", {"owner": principal_for("p_arg"),
                               "init_arg": f'(record {{ owner = principal "{principal_for("p_arg")}" }})'})
    inventory = factory.inventory("inventory.yml", hosts)

    calls = factory.update_calls()
    predicted = factory.provision(inventory, batch, "--check")
    assert predicted.rc == 0, predicted.explain()
    assert predicted.total("changed") >= 1, predicted.stats
    assert factory.update_calls() == calls and factory.entries() == {}, "check mode must change nothing"

    made = creations(net)
    net.faults({"match": {"method": CREATE}, "action": "drop_response"})
    try:
        first = factory.provision(inventory, batch)
        unused = net.admin("GET", "faults")
    finally:
        net.faults(clear=True)
    assert unused == [], f"no creation reply was dropped: {unused}"
    assert first.rc == 0, first.explain()
    assert creations(net) - made == len(hosts), "the lost reply made the run create again"
    entries = factory.entries()
    live = {c["id"]: c for c in factory.canisters()}
    assert set(entries) == set(hosts)
    for name, (template, hostvars) in hosts.items():
        entry = entries[name]
        assert entry["status"] == "active" and entry["template"] == template
        assert entry["owner"] == hostvars["owner"]
        assert entry["module_hash"] == live[entry["canister_id"]]["module_hash"]
        # The template's default argument is not recorded; the same text given explicitly is the
        # default too (it equals what the template would pass).
        assert entry.get("init_arg") is None and entry.get("init_value") is None, entry
        assert {e["action"] for e in entry["events"]} >= {"create", "install"}, entry["events"]
        assert live[entry["canister_id"]]["cycles"] >= 3 * 10**11
        # Every event the entry holds is in the registry's audit log, once, on both paths.
        audited = audit_log.read(factory.registry, name=name)
        assert [(r["time"], r["event"], r["result"]) for r in audited] == [
            (e["time"], e["action"], e["result"]) for e in entry["events"]]
        # (The creation's "started" event is recorded before the canister has an id.)
        assert {r["canister_id"] for r in audited if r["result"] != "started"} == {entry["canister_id"]}
    audit_lines = audit_log.read(factory.registry)

    calls = factory.update_calls()
    with open(factory.registry, encoding="utf-8") as handle:
        before = handle.read()
    again = factory.provision(inventory, batch)
    assert again.rc == 0, again.explain()
    assert again.total("changed") == 0, again.stats
    assert factory.update_calls() == calls, "a converged fleet must make no update call"
    with open(factory.registry, encoding="utf-8") as handle:
        assert handle.read() == before
    assert audit_log.read(factory.registry) == audit_lines


@BOTH_PATHS
def test_band_settings_and_argument_change_as_predicted(net, tmp_path, batch):
    """A raised cycles band, a changed setting and a new text of the same init argument value:
    check mode with --diff predicts a change and makes no call; the run tops up through ic_cycles'
    code, converges the setting and records the argument; the rerun changes nothing and calls
    nothing. (An inverted band is bad input: test_bad_input, cycles-band-inverted and
    fleet-band-inverted.)"""
    factory = Factory(net, tmp_path)
    owner, cid, balance = one_canister(factory, "band", batch)
    arg = f'(record {{ owner = principal "{owner}"; }})'
    changed = factory.inventory("changed.yml", {"band": ("user", {
        "owner": owner, "init_arg": arg, "settings": {"freezing_threshold": 1234567}})})
    raised = band_above(balance)
    calls = factory.update_calls()
    predicted = factory.provision(changed, batch, "--check", "--diff", **raised)
    assert predicted.rc == 0 and predicted.total("changed") >= 1, predicted.explain()
    assert "+++ after" in predicted.stdout, "--diff shows no before/after"
    assert factory.update_calls() == calls, "check mode must make no update call"

    run = factory.provision(changed, batch, **raised)
    assert run.rc == 0, run.explain()
    after = {c["id"]: c for c in factory.canisters()}[cid]["cycles"]
    assert after >= balance + 10**12
    entry = factory.entries()["band"]
    # Recorded right after the top-up; the canister has burnt a little since.
    assert "top_up" in {e["action"] for e in entry["events"]} and entry["cycles_balance"] >= after
    assert entry["init_arg"] == arg, entry
    assert factory.canister_status(cid)["settings"]["freezing_threshold"] == 1234567

    calls = factory.update_calls()
    again = factory.provision(changed, batch, **raised)
    assert again.rc == 0 and again.total("changed") == 0, again.explain()
    assert factory.update_calls() == calls, "a converged canister must make no update call"


@BOTH_PATHS
def test_a_band_paid_from_the_cycles_ledger_is_refused_until_the_balance_pays(net, tmp_path, batch):
    """Top-ups from the cycles ledger (canister_cycles_source): with an empty ledger account the
    run is refused before any update call, naming the source; once the account can pay, the same
    run tops up from it (the amount and the ledger's fee leave the account)."""
    factory = own_factory(net, tmp_path)
    owner, cid, balance = one_canister(factory, "ledger", batch)
    paid = factory.inventory("paid.yml", {"ledger": ("user", {"owner": owner,
                                                              "canister_cycles_source": "cycles_ledger"})})
    band = band_above(balance)

    calls = factory.update_calls()
    refused = factory.provision(paid, batch, **band)
    assert refused.rc != 0, refused.explain()
    assert any("cycles ledger balance of" in m and "source" in m for m in refused.messages()), refused.explain()
    assert factory.update_calls() == calls, "the refusal must come before any update call"

    def account():
        return net.admin("GET", f"balance?owner={factory.principal}")["balance"]

    net.mint(factory.principal, 10**13)
    run = factory.provision(paid, batch, **band)
    assert run.rc == 0, run.explain()
    after = {c["id"]: c for c in factory.canisters()}[cid]["cycles"]
    assert after >= balance + 10**12
    spent = 10**13 - account()
    assert spent > after - balance, "the top-up did not come from the ledger account"


@BOTH_PATHS
def test_failed_first_install_is_rolled_back_and_recorded(net, tmp_path, batch):
    """The canister whose first install failed is deleted after its cycles went back to the
    operator's cycles-ledger account, and its entry is marked failed without id; the other
    canister converges. (test_factory_rollback: a failed drain, keep_failed, the next run.)"""
    factory = own_factory(net, tmp_path)
    good, broken = principal_for("good"), principal_for("broken")
    inventory = factory.inventory("inventory.yml", {
        "good": ("user", {"owner": good}),
        # Well typed, so it passes the checks made before any call; the template's init traps on
        # the anonymous owner, so only the install fails (after the creation) and is rolled back.
        "broken": ("user", {"owner": broken, "init_arg": '(record { owner = principal "2vxsx-fae" })'}),
    })
    before = {c["id"] for c in factory.canisters()}
    run = factory.provision(inventory, batch)
    assert run.rc != 0 and run.failed_hosts() == ["broken"], run.explain()
    entries = factory.entries()
    assert entries["good"]["status"] == "active"
    assert entries["broken"]["status"] == "failed", entries["broken"]
    assert entries["broken"].get("canister_id") is None, "the new canister must be deleted"
    assert {c["id"] for c in factory.canisters()} - before == {entries["good"]["canister_id"]}
    reclaimed = net.admin("GET", f"balance?owner={factory.principal}")["balance"]
    assert reclaimed > 5 * 10 ** 11, "the deleted canister's cycles did not come back"
