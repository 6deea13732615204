"""``make demo`` against replicas of other versions: scripts/demo itself, once under each of the
``older`` and ``newer`` reply shapes (localnet's ``serve --reply-shape``: management replies
without the 2025-2026 fields, or with extra fields and variant cases).

The demo provisions examples/inventory.yml (provision.yml), deploys the factory canister
(deploy_factory.yml), has a fresh identity that is no admin ask the factory for its own user
canister (create_user_canister.yml via the factory), lists the registry and the factory's children
through the registry inventory plugin, and writes the fleet report. Then its provisioning and the
factory deployment run again: they must change nothing and make no update call.

The module targets run under both shapes in test_targets_older.py / test_targets_newer.py.
"""
import json
import os
import subprocess
import sys
import urllib.request

import pytest
import yaml

from factory.harness import BIN, ROOT, PlaybookRun
from test_factory_provision import example_hosts

SHAPES = ["older", "newer"]


@pytest.fixture(scope="module", params=SHAPES)
def demo(request, tmp_path_factory):
    """scripts/demo run to the end on a localnet of its own in ``DEMO_BUILD``; stopped afterwards."""
    shape = request.param
    build = tmp_path_factory.mktemp(f"demo-{shape}")
    state = build / "demo" / "localnet"
    env = dict(os.environ, DEMO_BUILD=str(build), DEMO_PORT="0", LOCALNET_REPLY_SHAPE=shape,
               PYTHON=sys.executable, ANSIBLE_NOCOLOR="1")
    for name in ("ICP_NETWORK", "ICP_IDENTITY", "ICP_IDENTITY_PEM", "ICP_ROOT_KEY", "ICP_REGISTRY"):
        env.pop(name, None)
    try:
        proc = subprocess.run([os.path.join(ROOT, "scripts", "demo")], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=1800, check=False)
        with open(state / "localnet.json", encoding="utf-8") as handle:
            info = json.load(handle)
        yield {"shape": shape, "build": build, "proc": proc, "url": info["url"],
               "root_key": info["root_key"]}
    finally:
        subprocess.run([sys.executable, "-m", "localnet", "stop", "--state-dir", str(state)], cwd=ROOT,
                       capture_output=True, timeout=60, check=False)


def _entries(build):
    with open(build / "registry.yml", encoding="utf-8") as handle:
        doc = yaml.safe_load(handle) or {}
    return doc["all"]["children"]["canisters"]["hosts"]


def _update_calls(url):
    with urllib.request.urlopen(f"{url}/_/metrics", timeout=30) as reply:
        return json.load(reply)["update_calls"]


def test_demo_runs_to_the_end(demo):
    proc = demo["proc"]
    assert proc.returncode == 0, f"demo under {demo['shape']} failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}"
    entries = _entries(demo["build"])
    for host in [*example_hosts(), "factory"]:
        assert entries[host]["status"] == "active" and entries[host]["canister_id"], (host, entries.get(host))
    # The table of step 4: the app user's canister, made by the factory, is a row of its own.
    table = proc.stdout.split("through the registry inventory plugin", 1)[1]
    factory_rows = [line for line in table.splitlines() if line.rstrip().endswith(" factory")]
    assert factory_rows, table
    assert (demo["build"] / "fleet-report.html").read_text(encoding="utf-8").count("alice-user") >= 1


def test_demo_localnet_answers_in_its_shape(demo):
    """The demo's localnet really imitates that replica: an older one does not send the
    2025-2026 fields (unknown, never 0); a newer one sends them (and more, which is ignored)."""
    from _ic.agent import Agent
    from _ic.identity import load_identity_file
    from _ic.management import Management

    entry = _entries(demo["build"])["alice-user"]
    agent = Agent(demo["url"], load_identity_file(str(demo["build"] / "demo" / "operator.pem")),
                  root_key_der=bytes.fromhex(demo["root_key"]))
    try:
        status = Management(agent).canister_status(entry["canister_id"])
    finally:
        agent.close()
    assert status["status"] == {"running": None}
    if demo["shape"] == "older":
        assert status["version"] is None and status["settings"]["status_visibility"] is None
    else:
        assert isinstance(status["version"], int) and status["settings"]["status_visibility"] is not None


def test_demo_rerun_changes_nothing(demo):
    assert demo["proc"].returncode == 0, "see test_demo_runs_to_the_end"
    build = demo["build"]
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(build / "collections"), ICP_NETWORK=demo["url"],
               ICP_ROOT_KEY=demo["root_key"], ICP_IDENTITY=str(build / "demo" / "operator.pem"),
               ICP_REGISTRY=str(build / "registry.yml"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
               PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    env.pop("ICP_IDENTITY_PEM", None)
    calls = _update_calls(demo["url"])
    for command in (["-f", "10", "-i", "examples/inventory.yml", "playbooks/provision.yml"],
                    ["playbooks/deploy_factory.yml"]):
        run = PlaybookRun(subprocess.run([os.path.join(BIN, "ansible-playbook"), *command], cwd=ROOT, env=env,
                                         capture_output=True, text=True, timeout=900, check=False))
        assert run.rc == 0, run.explain()
        assert run.total("changed") == 0, (command, run.stats)
    assert _update_calls(demo["url"]) == calls
