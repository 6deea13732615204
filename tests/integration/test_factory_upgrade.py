"""upgrade.yml (role fleet_upgrade) on a fleet of user canisters that hold data.

An upgrade whose new module traps while migrating is rolled back to the snapshot: the data is
intact, the canister runs the old module, the registry records the failure, and the rollout
stops after the first batch. A good upgrade then goes through everywhere with the data
migrated, and running it again skips every canister without a call.
"""
import json
import os

import pytest

from factory.canister_client import TemplateClient
from factory.harness import ROOT, Factory
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


@pytest.fixture(scope="module")
def fleet(net, tmp_path_factory):
    """Four user canisters on 0.1.0, owned by the operator, each holding one preference."""
    factory = Factory(net, tmp_path_factory.mktemp("upgrade"))
    hosts = {f"up{i}": ("user", {"owner": factory.principal}) for i in range(4)}
    inventory = factory.inventory("fleet.yml", hosts)
    run = factory.play("provision.yml", inventory, forks=4, extra_vars={
        "user_canister_wasm": os.path.join(WASM, "user-0.1.0.wasm.gz"), "user_canister_version": "0.1.0"})
    assert run.rc == 0, run.explain()
    client = TemplateClient(net, factory.identity)
    for name, entry in factory.entries().items():
        assert "ok" in client.update(entry["canister_id"], "set_preference", f'("color", "blue-{name}")')
    return factory, client


def preferences(factory, client):
    return {n: client.query(e["canister_id"], "get_preference", '("color")') for n, e in factory.entries().items()}


def test_trap_in_migration_rolls_back_with_data_and_stops_the_rollout(fleet):
    factory, client = fleet
    before = preferences(factory, client)
    old_hash = manifest("user-0.1.0")["module_hash"]
    run = factory.play("upgrade.yml", REGISTRY_INVENTORY, extra_vars={
        "target": "user_canisters", "wasm": os.path.join(WASM, "test", "user-broken.wasm.gz"),
        "version": "0.2.0", "batch": 2})
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


def test_good_upgrade_everywhere_then_nothing_to_do(fleet):
    factory, client = fleet
    before = preferences(factory, client)
    shipped = manifest("user")
    run = factory.play("upgrade.yml", REGISTRY_INVENTORY, extra_vars={"target": "user_canisters", "batch": 2})
    assert run.rc == 0, run.explain()
    for name, entry in factory.entries().items():
        assert client.module_hash(entry["canister_id"]) == shipped["module_hash"]
        assert (entry["module_hash"], entry["wasm_version"]) == (shipped["module_hash"], shipped["version"])
        assert client.query(entry["canister_id"], "version") == f'("{shipped["version"]}")'
    assert preferences(factory, client) == before

    calls = factory.update_calls()
    again = factory.play("upgrade.yml", REGISTRY_INVENTORY, extra_vars={"target": "user_canisters"})
    assert again.rc == 0 and again.total("changed") == 0, again.explain()
    assert factory.update_calls() == calls
