"""One behaviour, two paths: every test runs provision.yml on the batch path (ic_fleet, one
module run) and on the per-host path (the template roles, ``-e icp_batch=false``). Both run the
same module_utils classes, so they must agree on what they create, record, predict and skip."""
import subprocess

import pytest

import _registry_audit as audit_log

from factory.harness import Factory, PlaybookRun, principal_for, users
from localnet.testing import LocalnetProcess

PATHS = pytest.mark.parametrize("batch", [True, False], ids=["batch", "per_host"])


@pytest.fixture(scope="module")
def net():
    with LocalnetProcess() as process:
        yield process


def provision(factory, inventory, batch, *options, **extra):
    """provision.yml on one path; ``options`` are further ansible-playbook arguments."""
    command = factory.command("provision.yml", inventory, dict(extra, icp_batch=batch), forks=4) + list(options)
    return PlaybookRun(subprocess.run(command, cwd=factory.workdir, env=factory.env(), capture_output=True,
                                      text=True, timeout=900, check=False))


@PATHS
def test_converge_record_and_rerun_without_update_calls(net, tmp_path, batch):
    factory = Factory(net, tmp_path)
    hosts = users(2, prefix="p")
    hosts["p_arg"] = ("user", {"owner": principal_for("p_arg"),
                               "init_arg": f'(record {{ owner = principal "{principal_for("p_arg")}" }})'})
    inventory = factory.inventory("inventory.yml", hosts)

    calls = factory.update_calls()
    predicted = provision(factory, inventory, batch, "--check")
    assert predicted.rc == 0, predicted.explain()
    assert predicted.total("changed") >= 1, predicted.stats
    assert factory.update_calls() == calls and factory.entries() == {}, "check mode must change nothing"

    first = provision(factory, inventory, batch)
    assert first.rc == 0, first.explain()
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
    again = provision(factory, inventory, batch)
    assert again.rc == 0, again.explain()
    assert again.total("changed") == 0, again.stats
    assert factory.update_calls() == calls, "a converged fleet must make no update call"
    with open(factory.registry, encoding="utf-8") as handle:
        assert handle.read() == before
    assert audit_log.read(factory.registry) == audit_lines


@PATHS
def test_cycles_band_and_changed_argument(net, tmp_path, batch):
    factory = Factory(net, tmp_path)
    owner = principal_for("band")
    inventory = factory.inventory("inventory.yml", {"band": ("user", {"owner": owner})})
    assert provision(factory, inventory, batch).rc == 0
    cid = factory.entries()["band"]["canister_id"]
    balance = {c["id"]: c for c in factory.canisters()}[cid]["cycles"]

    # A band above the balance tops up to its target, on both paths through ic_cycles' code.
    raised = {"user_canister_cycles_min": balance + 10**12, "user_canister_cycles_target": balance + 2 * 10**12}
    run = provision(factory, inventory, batch, **raised)
    assert run.rc == 0, run.explain()
    after = {c["id"]: c for c in factory.canisters()}[cid]["cycles"]
    assert after >= balance + 10**12
    entry = factory.entries()["band"]
    # Recorded right after the top-up; the canister has burnt a little since.
    assert entry["events"][-1]["action"] == "top_up" and entry["cycles_balance"] >= after

    # A band whose target is below its minimum is refused, naming the option.
    bad = provision(factory, inventory, batch, user_canister_cycles_min=after + 10**12,
                    user_canister_cycles_target=1)
    assert bad.rc != 0
    assert any("cycles_target" in m or "target_cycles" in m for m in bad.messages()), bad.explain()


@PATHS
def test_failed_first_install_is_rolled_back_and_recorded(net, tmp_path, batch):
    factory = Factory(net, tmp_path)
    good, broken = principal_for("good"), principal_for("broken")
    inventory = factory.inventory("inventory.yml", {
        "good": ("user", {"owner": good}),
        # Well typed, so it passes the checks made before any call; the template's init traps on
        # the anonymous owner, so only the install fails (after the creation) and is rolled back.
        "broken": ("user", {"owner": broken, "init_arg": '(record { owner = principal "2vxsx-fae" })'}),
    })
    before = {c["id"] for c in factory.canisters()}
    run = provision(factory, inventory, batch)
    assert run.rc != 0 and run.failed_hosts() == ["broken"], run.explain()
    entries = factory.entries()
    assert entries["good"]["status"] == "active"
    assert entries["broken"]["status"] == "failed", entries["broken"]
    assert entries["broken"].get("canister_id") is None, "the new canister must be deleted"
    assert {c["id"] for c in factory.canisters()} - before == {entries["good"]["canister_id"]}
