"""The factory's on-chain autoscaling on localnet: its maintenance timer (driven by advancing
localnet's clock) reads each child's memory, and when the newest canister of an owner's family
of a template is past the template's scale_at, it creates the next shard - exactly one per
index, never past max_shards, nothing below the threshold."""
import concurrent.futures
import json
import os
import subprocess
import sys

import pytest
import yaml

from template_canister import TemplateCanister  # noqa: F401  (skips without localnet/client)
from factory_support import Factory, err, ok
from _ic.identity import Ed25519Identity
from _ic.principal import Principal
from localnet.testing import wait_until

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "integration"))
from factory.harness import BIN, Factory as Operator  # noqa: E402  (identity file and collection path)

INTERVAL = 300  # the factory's default maintenance_interval_seconds


@pytest.fixture(scope="module")
def factory(callers):
    f = Factory(callers)
    f.register("memory")
    return f


def set_template_policy(factory, template, **fields):
    return factory.admin("set_template_policy", template, dict(factory.admin("get_template_policy", template), **fields))


def family(factory, owner):
    """The owner's memory canisters as the factory lists them, oldest first."""
    return factory.admin("list_canisters", {"offset": 0, "limit": 100, "canister_type": "memory",
                                            "status": None, "owner": owner})["items"]


def fill(callers, canister_id, percent):
    """Lower the child's wasm_memory_limit (as a backup controller) so its heap is ``percent`` of it."""
    mgmt = callers.management()
    heap = mgmt.canister_status(canister_id)["memory_metrics"]["wasm_memory_size"]
    mgmt.update_settings(canister_id, {"wasm_memory_limit": heap * 100 // percent})


def tick(net, factory):
    """Advance the clock past the maintenance interval and wait until the timer's run is over."""
    before = factory.admin("get_metrics")["last_maintenance"]
    net.advance_time(INTERVAL + 1)
    wait_until(lambda: factory.admin("get_metrics")["last_maintenance"] != before, timeout=60, interval=0.2)


def test_the_timer_adds_one_shard_per_full_newest_canister_up_to_max_shards(factory, callers, net, tmp_path):
    assert ok(set_template_policy(factory, "memory", scale_at=80, max_shards=3, autoscale=True)) is None
    assert factory.admin("get_template_policy", "memory")["max_shards"] == 3
    alice, bob = Ed25519Identity.generate(), Ed25519Identity.generate()
    first = ok(factory.admin("create_feature_canister", "memory", alice.sender, b""))
    ok(factory.admin("create_feature_canister", "memory", bob.sender, b""))

    # Below the threshold nothing happens.
    fill(callers, first, 50)
    tick(net, factory)
    assert len(family(factory, alice.sender)) == 1

    # Past it: one shard, whatever fires meanwhile (timer and run_maintenance calls together).
    fill(callers, first, 90)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        runs = [pool.submit(factory.admin, "run_maintenance") for _ in range(3)]
        tick(net, factory)
        answers = [r.result() for r in runs]
    assert all("Ok" in a or a == {"Err": {"Busy": None}} for a in answers), answers
    members = family(factory, alice.sender)
    assert len(members) == 2, members
    shard = members[1]
    assert shard["shard_of"] == first and shard["shard_index"] == 1
    assert shard["created_by"] == factory.id and shard["status"] == {"Active": None}
    assert members[0]["shard_of"] is None and members[0]["shard_index"] is None
    assert factory.call(alice, "get_canister_info", shard["canister_id"])["shard_index"] == 1
    made = [e for e in factory.admin("get_events", None, 500)["items"] if e["action"] == "shard_created"]
    assert [(e["canister_id"], e["outcome"]) for e in made] == [(shard["canister_id"], {"Ok": None})]
    assert "shard 1 of " + first.to_text() in made[0]["error"]
    # A sign-up still answers with the owner's first canister, not a shard; bob's stays alone.
    assert factory.admin("create_feature_canister", "memory", alice.sender, b"") == {"Ok": first}
    assert len(family(factory, bob.sender)) == 1

    # Again: the newest member (the new shard) is not full, so nothing more.
    tick(net, factory)
    assert len(family(factory, alice.sender)) == 2

    # The shard fills: shard 2; then the family is at max_shards (3) and stays there.
    fill(callers, shard["canister_id"], 95)
    tick(net, factory)
    members = family(factory, alice.sender)
    assert [(m["shard_of"], m["shard_index"]) for m in members] == [(None, None), (first, 1), (first, 2)]
    fill(callers, members[2]["canister_id"], 95)
    tick(net, factory)
    assert len(family(factory, alice.sender)) == 3
    assert_inventory_groups_the_family(factory, callers, net, tmp_path, alice.sender, [m["canister_id"] for m in members])


def assert_inventory_groups_the_family(factory, callers, net, tmp_path, owner, ids):
    """The registry inventory's factory source puts the family in group memory_shards_<owner>."""
    op = Operator(net, tmp_path)
    assert ok(factory.admin("set_admins", [callers.operator.sender, Principal.from_text(op.principal)])) is None
    config = tmp_path / "fleet.icp_registry.yml"
    config.write_text(yaml.safe_dump({"plugin": "icp.canister_factory.registry", "registries": ["registry.yml"],
                                      "factory": factory.id.to_text(), "network": net.url,
                                      "root_key": net.root_key_hex, "identity": op.identity}))
    proc = subprocess.run([os.path.join(BIN, "ansible-inventory"), "-i", str(config), "--list"], cwd=tmp_path,
                          env=op.env(), capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    found = json.loads(proc.stdout, object_hook=lambda o: o["__ansible_unsafe"] if set(o) == {"__ansible_unsafe"} else o)
    names = [f"memory-{i.to_text()}" for i in ids]
    group = "memory_shards_" + owner.to_text().replace("-", "_")
    assert sorted(found[group]["hosts"]) == sorted(names)
    hostvars = found["_meta"]["hostvars"]
    assert [(hostvars[n].get("shard_of"), hostvars[n].get("shard_index")) for n in names] == [
        (None, None), (names[0], 1), (names[0], 2)]


def test_autoscaling_fields_are_checked(factory):
    refused = [err(set_template_policy(factory, "memory", **fields))["InvalidArgument"] for fields in (
        {"autoscale": True, "scale_at": None},
        {"scale_at": 101},
        {"autoscale": True, "scale_at": 80, "max_shards": 1},
        {"max_shards": 0},
    )]
    assert [r.split(":")[0] for r in refused] == ["scale_at", "scale_at", "max_shards", "max_shards"], refused
    # Left out, the autoscaling fields take their defaults: off.
    ok(set_template_policy(factory, "memory", scale_at=None, max_shards=None, autoscale=None))
    policy = factory.admin("get_template_policy", "memory")
    assert (policy["scale_at"], policy["max_shards"], policy["autoscale"]) == (None, 1, False)
    assert factory.admin("default_template_policy")["autoscale"] is False
