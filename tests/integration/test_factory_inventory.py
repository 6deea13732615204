"""The registry inventory plugin: hosts and groups from a registry written by the playbooks,
filters, tombstones hidden, constructed groups, live state from the network and its cache."""
import json
import os
import subprocess

import pytest
import yaml

from factory.harness import BIN, ROOT, Factory, principal_for
from localnet.testing import LocalnetProcess


@pytest.fixture(scope="module")
def provisioned(tmp_path_factory):
    with LocalnetProcess() as net:
        factory = Factory(net, tmp_path_factory.mktemp("inventory"))
        alice, bob = principal_for("alice"), principal_for("bob")
        inventory = factory.inventory("fleet.yml", {
            "alice-user": ("user", {"owner": alice}),
            "alice-spare": ("user", {"owner": alice}),
            "bob-user": ("user", {"owner": bob}),
        })
        run = factory.play("provision.yml", inventory, forks=3)
        assert run.rc == 0, run.explain()
        gone = factory.play("decommission.yml", inventory, extra_vars={"target": "alice-spare"})
        assert gone.rc == 0, gone.explain()
        yield factory, alice, bob


def inventory(factory, config, *args):
    """``ansible-inventory --list`` of a plugin configuration written into the work directory."""
    path = os.path.join(factory.workdir, "test.icp_registry.yml")
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(dict({"plugin": "icp.canister_factory.registry", "registries": ["registry.yml"]}, **config),
                       handle)
    env = factory.env()
    proc = subprocess.run([os.path.join(BIN, "ansible-inventory"), "-i", path, "--list", *args],
                          cwd=factory.workdir, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout, object_hook=plain)


def plain(obj):
    """Values a plugin sets are untrusted (never templated); --list shows them wrapped."""
    return obj["__ansible_unsafe"] if set(obj) == {"__ansible_unsafe"} else obj


def hosts_of(listing, group):
    return sorted(listing.get(group, {}).get("hosts", []))


def test_hosts_groups_and_vars_follow_the_registry(provisioned):
    factory, alice, _ = provisioned
    listing = inventory(factory, {})
    assert hosts_of(listing, "canisters") == ["alice-user", "bob-user"], "the tombstone must be hidden"
    assert hosts_of(listing, "user_canisters") == ["alice-user", "bob-user"]
    hostvars = listing["_meta"]["hostvars"]["alice-user"]
    entry = factory.entries()["alice-user"]
    assert hostvars["canister_id"] == entry["canister_id"]
    assert (hostvars["owner"], hostvars["status"], hostvars["ansible_connection"]) == (alice, "active", "local")


@pytest.mark.parametrize("config", [{"keyed_groups": [{"key": "owner", "prefix": "owner"}]}, {"group_by": ["owner"]}],
                         ids=["keyed_groups", "group_by"])
def test_owner_group_is_the_canisters_of_one_user(provisioned, config):
    factory, alice, _ = provisioned
    listing = inventory(factory, config)
    assert hosts_of(listing, "owner_" + alice.replace("-", "_")) == ["alice-user"]


def test_filters_and_tombstones_on_request(provisioned):
    factory, _, bob = provisioned
    assert hosts_of(inventory(factory, {"owners": [bob]}), "canisters") == ["bob-user"]
    assert hosts_of(inventory(factory, {"statuses": ["deleted"]}), "canisters") == ["alice-spare"]
    assert hosts_of(inventory(factory, {"templates": ["gallery"]}), "canisters") == []


def test_live_state_groups_and_cache(provisioned):
    factory, _, _ = provisioned
    cache_dir = os.path.join(factory.workdir, "inventory-cache")
    config = {"live": True, "network": factory.net.url, "root_key": factory.net.root_key_hex,
              "identity": factory.identity, "cache": True, "cache_plugin": "ansible.builtin.jsonfile",
              "cache_connection": cache_dir, "cache_timeout": 600,
              "groups": {"cycles_low": "cycles_balance < 1e15"},
              "keyed_groups": [{"key": "canister_status", "prefix": "running"}]}
    listing = inventory(factory, config)
    hostvars = listing["_meta"]["hostvars"]["bob-user"]
    assert hostvars["canister_status"] == "running" and hostvars["live_error"] is None
    assert hostvars["cycles_balance"] > 0 and hostvars["memory_size"] > 0
    assert hosts_of(listing, "cycles_low") == ["alice-user", "bob-user"]
    assert hosts_of(listing, "running_running") == ["alice-user", "bob-user"]

    asked = factory.net.metrics()
    cached = inventory(factory, config)
    assert cached["_meta"]["hostvars"]["bob-user"]["cycles_balance"] == hostvars["cycles_balance"]
    assert factory.net.metrics() == asked, "a cached inventory must not ask the network"
    inventory(factory, config, "--flush-cache")
    assert factory.net.metrics() != asked
