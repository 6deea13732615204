"""One rule for "near the limit" on every collection-side path: the EDA source fleet_events,
ic_monitor (monitor.yml) and scale.yml (through ic_canister_info) all judge a canister by the
larger of its Wasm memory against wasm_memory_limit and its template's capacity counter.

Two user canisters: ``nl_cap`` is 80 % full by its own counter (4 of max_preferences 5) with its
memory at ~2 % of the limit; ``nl_mem`` is the reverse, its counter at 0 of 100 and its memory
above 80 % of a 6 MiB wasm_memory_limit."""
import os

import pytest

from factory.canister_client import TemplateClient
from factory.harness import Factory
from localnet.testing import LocalnetProcess
from test_ops_events import events
from test_ops_scale import registry_inventory

SMALL_LIMIT = 6 * 1024 * 1024


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    with LocalnetProcess() as net:
        factory = Factory(net, tmp_path_factory.mktemp("near"))
        owner = factory.principal
        capped = f'(record {{ owner = principal "{owner}"; max_preferences = opt 5 }})'
        inventory = factory.inventory("fleet.yml", {
            "nl_cap": ("user", {"owner": owner, "init_arg": capped}),
            "nl_mem": ("user", {"owner": owner, "settings": {"wasm_memory_limit": SMALL_LIMIT}})})
        run = factory.play("provision.yml", inventory, forks=2)
        assert run.rc == 0, run.explain()
        client = TemplateClient(net, factory.identity)
        cap = factory.entries()["nl_cap"]["canister_id"]
        for index in range(4):
            assert "ok" in client.update(cap, "set_preference", f'("k{index}", "v")')
        yield factory


def near_limit_events(factory, **args):
    """``{host: details}`` of the near_limit events of one round of the EDA source."""
    return {e["host"]: e["details"] for e in events(factory, min_cycles=0, **args) if e["type"] == "near_limit"}


def test_eda_source_reports_capacity_and_memory_alike(fleet):
    found = near_limit_events(fleet, near_limit=0.8)
    assert sorted(found) == ["nl_cap", "nl_mem"], found
    assert found["nl_cap"]["by"] == "capacity" and found["nl_cap"]["fullness"] == 0.8
    assert found["nl_cap"]["capacity"] == {"used": 4, "limit": 5, "unit": "preferences"}
    assert found["nl_cap"]["memory_ratio"] < 0.1
    assert found["nl_mem"]["by"] == "memory" and found["nl_mem"]["fullness"] >= 0.8
    assert found["nl_mem"]["capacity_ratio"] == 0 and found["nl_mem"]["wasm_memory_limit"] == SMALL_LIMIT
    assert near_limit_events(fleet, near_limit=0.99) == {}


def test_monitor_alerts_on_capacity_and_memory_alike(fleet):
    paths = {"monitor_db": os.path.join(fleet.workdir, "mon.sqlite"), "prom_file": os.path.join(fleet.workdir, "icp.prom"),
             "monitor_near_limit_above": 0.8}
    calls = fleet.update_calls()
    run = fleet.play("monitor.yml", extra_vars=paths)
    assert run.rc == 0, run.explain()
    assert fleet.update_calls() == calls
    assert "nl_cap: 80% full by its template's capacity (4 of 5 preferences)" in run.stdout, run.stdout[-3000:]
    assert "nl_mem: " in run.stdout and "full by memory (of its wasm_memory_limit)" in run.stdout, run.stdout[-3000:]
    quiet = fleet.play("monitor.yml", extra_vars=dict(paths, monitor_near_limit_above=0.99, monitor_min_interval=0))
    assert quiet.rc == 0 and "full by" not in quiet.stdout, quiet.explain()


def test_scale_adds_a_shard_on_capacity_and_on_memory(fleet):
    inventory = registry_inventory(fleet)
    policy = {"target": "user_canisters", "scale_policy": {"user": {"scale_at": 95, "max_shards": 2}}}
    calls = fleet.update_calls()
    below = fleet.play("scale.yml", inventory, extra_vars=policy)
    assert below.rc == 0 and below.total("changed") == 0, below.explain()
    assert fleet.update_calls() == calls
    policy["scale_policy"]["user"]["scale_at"] = 80
    over = fleet.play("scale.yml", inventory, extra_vars=policy)
    assert over.rc == 0, over.explain()
    entries = fleet.entries()
    assert entries["nl_cap_shard1"]["shard_of"] == "nl_cap" and entries["nl_mem_shard1"]["shard_of"] == "nl_mem"
