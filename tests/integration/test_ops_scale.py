"""scale.yml adds the next shard canister for an owner whose canister passes its template's
scale_at, records shard_of/shard_index, groups the family as <template>_shards_<owner>, and
changes nothing below the threshold or at max_shards."""
import json
import os
import subprocess

import yaml

from factory.canister_client import TemplateClient
from factory.harness import BIN, Factory, principal_for
from localnet.testing import LocalnetProcess


def registry_inventory(factory):
    path = os.path.join(factory.workdir, "fleet.icp_registry.yml")
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump({"plugin": "icp.canister_factory.registry", "registries": [factory.registry]}, handle)
    return path


def groups(factory, inventory):
    proc = subprocess.run([os.path.join(BIN, "ansible-inventory"), "-i", inventory, "--list"], cwd=factory.workdir,
                          env=factory.env(), capture_output=True, text=True, check=True)
    return {g: sorted(v.get("hosts", [])) for g, v in json.loads(proc.stdout).items() if isinstance(v, dict)}


def policy(scale_at, max_shards=3):
    return {"scale_policy": {"user": {"scale_at": scale_at, "max_shards": max_shards}}, "target": "user_canisters"}


def test_scale_adds_shards_over_the_threshold_only(tmp_path):
    with LocalnetProcess() as net:
        factory = Factory(net, tmp_path)
        owners = {"sc_alice": principal_for("alice"), "sc_bob": principal_for("bob")}
        desired = factory.inventory("desired.yml", {h: ("user", {"owner": o}) for h, o in owners.items()})
        assert factory.play("provision.yml", desired, forks=2).rc == 0
        inventory = registry_inventory(factory)

        calls = factory.update_calls()
        below = factory.play("scale.yml", inventory, extra_vars=policy(50))
        assert below.rc == 0 and below.total("changed") == 0, below.explain()
        assert factory.update_calls() == calls and len(factory.canisters()) == 2

        # a fresh user canister uses ~2 % of its 256 MiB wasm_memory_limit
        over = factory.play("scale.yml", inventory, extra_vars=policy(1))
        assert over.rc == 0, over.explain()
        entries = factory.entries()
        for host, owner in owners.items():
            shard = entries[f"{host}_shard1"]
            assert shard["shard_of"] == host and shard["shard_index"] == 1
            assert shard["owner"] == owner and shard["template"] == "user" and shard["status"] == "active"
        assert len(factory.canisters()) == 4
        listing = groups(factory, inventory)
        alice_group = "user_shards_" + owners["sc_alice"].replace("-", "_")
        assert listing[alice_group] == ["sc_alice", "sc_alice_shard1"]

        calls = factory.update_calls()
        again = factory.play("scale.yml", inventory, extra_vars=policy(50))
        assert again.rc == 0 and again.total("changed") == 0, again.explain()
        assert factory.update_calls() == calls

        third = factory.play("scale.yml", inventory, extra_vars=dict(policy(1), target="sc_alice_shard1"))
        assert third.rc == 0, third.explain()
        assert factory.entries()["sc_alice_shard2"]["shard_index"] == 2
        full = factory.play("scale.yml", inventory, extra_vars=dict(policy(1), target="sc_alice*"))
        assert full.rc == 0 and full.total("changed") == 0, full.explain()
        assert "sc_alice_shard3" not in factory.entries() and len(factory.canisters()) == 5


def test_scale_counts_the_templates_own_capacity(tmp_path):
    """A user canister with max_preferences = 5 and 4 preferences is 80 % full by its own counter
    (its memory is ~2 % of wasm_memory_limit): scale.yml adds a shard; the rerun, which reads the
    empty shard, changes nothing and makes no update call."""
    with LocalnetProcess() as net:
        factory = Factory(net, tmp_path)
        owner = factory.principal
        init = f'(record {{ owner = principal "{owner}"; max_preferences = opt 5 }})'
        desired = factory.inventory("desired.yml", {"cap_alice": ("user", {"owner": owner, "init_arg": init})})
        assert factory.play("provision.yml", desired).rc == 0
        inventory = registry_inventory(factory)
        canister = factory.entries()["cap_alice"]["canister_id"]
        client = TemplateClient(net, factory.identity)
        for index in range(3):
            assert "ok" in client.update(canister, "set_preference", f'("k{index}", "v")')
        info = client.query(canister, "get_info")
        assert "capacity = opt record" in info and "used = 3" in info and "limit = 5" in info, info

        below = factory.play("scale.yml", inventory, extra_vars=policy(80))
        assert below.rc == 0 and below.total("changed") == 0, below.explain()
        assert "ok" in client.update(canister, "set_preference", '("k3", "v")')
        over = factory.play("scale.yml", inventory, extra_vars=policy(80))
        assert over.rc == 0 and over.total("changed") > 0, over.explain()
        shard = factory.entries()["cap_alice_shard1"]
        assert shard["shard_of"] == "cap_alice" and shard["shard_index"] == 1 and len(factory.canisters()) == 2

        calls = factory.update_calls()
        again = factory.play("scale.yml", inventory, extra_vars=policy(80))
        assert again.rc == 0 and again.total("changed") == 0, again.explain()
        assert factory.update_calls() == calls and len(factory.canisters()) == 2
