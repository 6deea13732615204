"""upgrade.yml (role fleet_upgrade) on a fleet of user canisters that hold data, on both paths:
the batch path (one ic_fleet run per batch, the default) and the per-host path (``-e icp_batch=false``).

An upgrade whose new module traps while migrating is rolled back to the snapshot: the data is
intact, the canister runs the old module, the registry records the failure, and the rollout
stops after the first batch. A good upgrade then goes through everywhere with the data
migrated, and running it again skips every canister without a call.
"""
import json
import os
import subprocess

import pytest

from factory.canister_client import TemplateClient
from factory.harness import ROOT, Factory, PlaybookRun
from localnet.testing import LocalnetProcess

REGISTRY_INVENTORY = os.path.join(ROOT, "examples", "registry.icp_registry.yml")
WASM = os.path.join(ROOT, "wasm")


def manifest(out):
    with open(os.path.join(WASM, "manifest.json"), encoding="utf-8") as handle:
        return next(t for t in json.load(handle)["templates"] if t["out"] == out)


@pytest.fixture(scope="module")
def net():
    with LocalnetProcess() as process:
        yield process


def upgrade(factory, icp_batch, *options, **extra):
    """upgrade.yml on the registry inventory, on the batch path or the per-host one; ``options``
    are further ansible-playbook arguments. The batch path runs with -v: its one task's result
    holds the outcome of each canister."""
    command = factory.command("upgrade.yml", REGISTRY_INVENTORY, dict(extra, icp_batch=icp_batch)) + list(options)
    return PlaybookRun(subprocess.run(command + (["-v"] if icp_batch else []), cwd=factory.workdir, env=factory.env(),
                                      capture_output=True, text=True, timeout=900, check=False))


def changed(run, icp_batch):
    """The canisters that the run changed (and did not fail): per host, the recap's; on the batch path, those its one
    ic_fleet task reports changed (the recap counts that one task once, on the play's first host)."""
    if not icp_batch:
        return {h for h, s in run.stats.items() if s.get("changed")}
    results = [json.loads(line.split(" => ", 1)[1]) for line in run.stdout.splitlines()
               if line.startswith(("changed: [", "ok: [")) and '"canisters": [' in line]
    assert len(results) <= 1, "one ic_fleet task on the batch path"
    assert run.total("changed") == (1 if any(r["changed"] for r in results) else 0), run.stats
    return {c["name"] for r in results for c in r["canisters"] if c["changed"] and not c["failed"]}


def old_fleet(net, workdir, names, poisoned=()):
    """User canisters ``names`` on 0.1.0, owned by the operator, each holding a preference
    (and the ``poisoned`` ones a preference user-picky cannot migrate)."""
    factory = Factory(net, workdir)
    inventory = factory.inventory("fleet.yml", {name: ("user", {"owner": factory.principal}) for name in names})
    run = factory.play("provision.yml", inventory, forks=4, extra_vars={
        "user_canister_wasm": os.path.join(WASM, "user-0.1.0.wasm.gz"), "user_canister_version": "0.1.0"})
    assert run.rc == 0, run.explain()
    client = TemplateClient(net, factory.identity)
    for name, entry in factory.entries().items():
        assert "ok" in client.update(entry["canister_id"], "set_preference", f'("color", "blue-{name}")')
        if name in poisoned:
            assert "ok" in client.update(entry["canister_id"], "set_preference", '("poison", "x")')
    return factory, client


@pytest.fixture(scope="module", params=[True, False], ids=["batch", "per_host"])
def fleet(net, tmp_path_factory, request):
    """Four user canisters on 0.1.0, each holding one preference; and the path under test."""
    factory, client = old_fleet(net, tmp_path_factory.mktemp("upgrade"), [f"up{i}" for i in range(4)])
    return factory, client, request.param  # True: the batch path


def preferences(factory, client):
    return {n: client.query(e["canister_id"], "get_preference", '("color")') for n, e in factory.entries().items()}


def test_trap_in_migration_rolls_back_with_data_and_stops_the_rollout(fleet):
    factory, client, path = fleet
    before = preferences(factory, client)
    old_hash = manifest("user-0.1.0")["module_hash"]
    run = upgrade(factory, path, target="user_canisters", wasm=os.path.join(WASM, "test", "user-broken.wasm.gz"),
                  version="0.2.0", batch=2)
    assert run.rc != 0
    assert run.failed_hosts() == ["up0", "up1"], run.explain()
    entries = factory.entries()
    for name, entry in entries.items():
        assert client.module_hash(entry["canister_id"]) == old_hash
        assert entry["status"] == "active" and entry["module_hash"] == old_hash
    assert preferences(factory, client) == before
    for name in ("up0", "up1"):
        assert "rolled back" in entries[name]["last_error"]
        assert any(e["action"] == "rollback" for e in entries[name]["events"])
    for name in ("up2", "up3"):
        assert not any(e["action"] in ("upgrade", "rollback") for e in entries[name]["events"]), \
            "the rollout went on after the failed batch"
        assert "last_error" not in entries[name]
    if path:  # the failures say why the other hosts were not attempted
        assert not changed(run, path) & {"up2", "up3"}, run.stats
        assert "2 not attempted: the rollout halted after batch 1 (2 of 2 failed" in run.stdout, run.explain()


def test_good_upgrade_everywhere_then_nothing_to_do(fleet):
    factory, client, path = fleet
    before = preferences(factory, client)
    shipped = manifest("user")
    calls = factory.update_calls()
    predicted = upgrade(factory, path, "--check", target="user_canisters", batch=2)
    assert predicted.rc == 0 and changed(predicted, path) == set(factory.entries()), predicted.explain()
    assert factory.update_calls() == calls, "check mode must make no update call"
    run = upgrade(factory, path, target="user_canisters", batch="50%" if path else 2)
    assert run.rc == 0, run.explain()
    assert changed(run, path) == set(factory.entries()), run.stats
    for name, entry in factory.entries().items():
        assert client.module_hash(entry["canister_id"]) == shipped["module_hash"]
        assert (entry["module_hash"], entry["wasm_version"]) == (shipped["module_hash"], shipped["version"])
        assert client.query(entry["canister_id"], "version") == f'("{shipped["version"]}")'
    assert preferences(factory, client) == before

    calls = factory.update_calls()
    again = upgrade(factory, path, target="user_canisters")
    assert again.rc == 0 and again.total("changed") == 0, again.explain()
    assert factory.update_calls() == calls


@pytest.fixture(scope="module", params=[True, False], ids=["batch", "per_host"])
def mixed(net, tmp_path_factory, request):
    """Six user canisters on 0.1.0; mx1 holds a preference that user-picky's migration traps on."""
    factory, client = old_fleet(net, tmp_path_factory.mktemp("mixed"), [f"mx{i}" for i in range(6)], poisoned=["mx1"])
    return factory, client, request.param  # True: the batch path


def test_a_run_that_cannot_start_fails_every_host_it_reaches_and_changes_nothing(mixed):
    factory, _client, path = mixed
    before, calls = factory.entries(), factory.update_calls()
    run = upgrade(factory, path, target="user_canisters", batch=3, icp_identity="/nonexistent/operator.pem")
    # The batch path's one module run is every host's; the per-host path halts after the first batch.
    reached = [f"mx{i}" for i in range(6 if path else 3)]
    assert run.rc != 0 and run.failed_hosts() == reached, run.explain()
    assert "identity: no file /nonexistent/operator.pem" in run.stdout, run.explain()
    assert factory.entries() == before and factory.update_calls() == calls


def test_one_failure_in_a_batch_is_rolled_back_while_the_rest_upgrade_and_the_rollout_halts(mixed):
    factory, client, path = mixed
    picky, old = manifest("test/user-picky"), manifest("user-0.1.0")
    wasm = os.path.join(WASM, "test", "user-picky.wasm.gz")
    before = preferences(factory, client)
    poison = client.query(factory.entries()["mx1"]["canister_id"], "get_preference", '("poison")')
    assert "x" in poison, poison
    run = upgrade(factory, path, target="user_canisters", wasm=wasm, batch=3)
    assert run.rc != 0 and run.failed_hosts() == ["mx1"], run.explain()
    assert changed(run, path) == {"mx0", "mx2"}, run.stats
    entries = factory.entries()
    for name in ("mx0", "mx2"):  # the failure's batch mates are upgraded, their data migrated
        assert client.module_hash(entries[name]["canister_id"]) == picky["module_hash"]
        assert (entries[name]["module_hash"], entries[name]["wasm_version"]) == (picky["module_hash"], "0.2.0")
    failed = entries["mx1"]
    assert client.module_hash(failed["canister_id"]) == old["module_hash"]
    assert failed["status"] == "active" and failed["module_hash"] == old["module_hash"]
    assert "rolled back" in failed["last_error"]
    assert [e["result"] for e in failed["events"] if e["action"] == "rollback"] == ["rolled back"]
    assert client.query(failed["canister_id"], "get_preference", '("poison")') == poison
    for name in ("mx3", "mx4", "mx5"):  # halted: beyond max_fail_percentage 0 no further batch starts
        assert client.module_hash(entries[name]["canister_id"]) == old["module_hash"]
        assert not any(e["action"] in ("upgrade", "rollback") for e in entries[name]["events"])
    assert preferences(factory, client) == before, "every canister keeps its data"

    # The rest, with a failure budget: check mode predicts exactly the three changes, then they happen.
    rest = {"target": "user_canisters:!mx1", "wasm": wasm, "batch": 3}
    calls = factory.update_calls()
    predicted = upgrade(factory, path, "--check", **rest)
    assert predicted.rc == 0, predicted.explain()
    assert changed(predicted, path) == {"mx3", "mx4", "mx5"}, predicted.stats
    assert factory.update_calls() == calls
    done = upgrade(factory, path, **rest)
    assert done.rc == 0, done.explain()
    assert changed(done, path) == {"mx3", "mx4", "mx5"}, done.stats
    assert all(client.module_hash(e["canister_id"]) == picky["module_hash"]
               for n, e in factory.entries().items() if n != "mx1")

    calls = factory.update_calls()
    again = upgrade(factory, path, **rest)
    assert again.rc == 0 and again.total("changed") == 0, again.explain()
    assert factory.update_calls() == calls, "a rerun on upgraded canisters makes no update call"
