"""The fleet_events source for ansible-rulebook: a canister low on cycles makes the example
rulebook run topup.yml (ansible-rulebook 1.3 with Java 17, against localnet); the source also
reports a canister near its limit and a failed upgrade from the registry's audit log."""
import asyncio
import importlib.util
import os
import subprocess

import pytest
import yaml

from factory.harness import BIN, ROOT, Factory
from localnet.testing import LocalnetProcess
from _registry import Registry, add_event

RULEBOOK = os.path.join(ROOT, "extensions", "eda", "rulebooks", "fleet.yml")
SOURCE = os.path.join(ROOT, "extensions", "eda", "plugins", "event_source", "fleet_events.py")


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    with LocalnetProcess() as net:
        factory = Factory(net, tmp_path_factory.mktemp("events"))
        inventory = factory.inventory("fleet.yml", {h: ("user", {"owner": factory.principal}) for h in ("ev_a", "ev_b")})
        run = factory.play("provision.yml", inventory, forks=2)
        assert run.rc == 0, run.explain()
        yield factory, inventory


def events(factory, **args):
    """One round of the source, run in-process like ansible-rulebook runs it."""
    spec = importlib.util.spec_from_file_location("fleet_events", SOURCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    queue = asyncio.Queue()
    env = factory.env()
    asyncio.run(module.main(queue, dict({"registry": factory.registry, "network": env["ICP_NETWORK"],
                                         "root_key": env["ICP_ROOT_KEY"], "identity": env["ICP_IDENTITY"],
                                         "once": True}, **args)))
    found = []
    while not queue.empty():
        found.append(queue.get_nowait()["icp"])
    return found


def test_rulebook_tops_up_a_canister_low_on_cycles(fleet):
    factory, inventory = fleet
    raised = factory.play("topup.yml", inventory, extra_vars={"target": "ev_b", "min_cycles": 5 * 10 ** 12,
                                                   "target_cycles": 5 * 10 ** 12})
    assert raised.rc == 0, raised.explain()
    before = {h: e["cycles_balance"] for h, e in factory.entries().items()}
    band = before["ev_a"] + 10 ** 12
    assert before["ev_b"] > band
    config = os.path.join(factory.workdir, "fleet.icp_registry.yml")
    with open(config, "w", encoding="utf-8") as handle:
        yaml.safe_dump({"plugin": "icp.canister_factory.registry", "registries": [factory.registry]}, handle)
    rulebook_vars = os.path.join(factory.workdir, "rulebook-vars.yml")
    with open(rulebook_vars, "w", encoding="utf-8") as handle:
        yaml.safe_dump({"registry": factory.registry, "min_cycles": band, "target_cycles": band + 10 ** 12,
                        "once": True}, handle)
    proc = subprocess.run([os.path.join(BIN, "ansible-rulebook"), "-r", RULEBOOK, "-i", config, "--vars", rulebook_vars],
                          cwd=factory.workdir, env=factory.env(), capture_output=True, text=True, timeout=600,
                          check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "PLAY [Top up ev_a]" in proc.stdout and "PLAY [Top up ev_b]" not in proc.stdout, proc.stdout[-3000:]
    after = factory.entries()
    assert after["ev_a"]["cycles_balance"] >= band
    assert after["ev_b"]["cycles_balance"] == before["ev_b"]


def test_source_reports_memory_pressure_and_failed_upgrades(fleet):
    factory, _ = fleet
    with Registry(factory.registry).transaction() as data:
        entry = data.get("ev_b")
        add_event(entry, "upgrade", "failed", error="install_code trapped")
        data.put("ev_b", entry)
    found = events(factory, min_cycles=0, near_limit=0.0001)
    kinds = {(e["host"], e["type"]) for e in found}
    assert kinds == {("ev_a", "near_limit"), ("ev_b", "near_limit"), ("ev_b", "failed_upgrade")}
    memory = next(e for e in found if e["type"] == "near_limit")
    assert memory["details"]["memory_bytes"] > 0 and memory["details"]["wasm_memory_limit"] > 0
    assert memory["canister_id"] == factory.entries()[memory["host"]]["canister_id"]
    # the former argument name still works
    assert events(factory, min_cycles=0, memory_ratio=0.99) == [
        e for e in found if e["type"] == "failed_upgrade"]
