"""ic_fleet in check mode notices drift: a canister whose code was changed outside Ansible is
predicted to change, although its registry entry still says the wanted module is active."""

import pytest

from factory.harness import Factory, principal_for
from _ic.agent import Agent
from _ic.identity import load_identity_file
from _ic.management import Management
from localnet.testing import LocalnetProcess
from test_fleet_module import run_fleet, spec

# The smallest valid Wasm module: other code than the template's.
EMPTY_MODULE = b"\x00asm\x01\x00\x00\x00"


@pytest.fixture(scope="module")
def net():
    with LocalnetProcess() as process:
        yield process


def test_check_mode_reports_code_changed_outside_ansible(net, tmp_path):
    factory = Factory(net, tmp_path)
    specs = [spec("drift", principal_for("drift"))]
    _, created = run_fleet(factory, specs)
    assert not created.get("failed") and created["counts"]["installed"] == 1, created
    entry = factory.entries()["drift"]
    canister_id = entry["canister_id"]

    agent = Agent(net.url, identity=load_identity_file(factory.identity),
                  root_key_der=net.root_key_der)
    Management(agent).install_code(canister_id, EMPTY_MODULE, mode="reinstall")
    live = {c["id"]: c for c in factory.canisters()}[canister_id]
    assert live["module_hash"] != entry["module_hash"]

    calls = factory.update_calls()
    with open(factory.registry, encoding="utf-8") as handle:
        registry_before = handle.read()
    _, predicted = run_fleet(factory, specs, check=True)
    assert not predicted.get("failed"), predicted
    assert predicted["changed"], "check mode reported a drifted canister as converged"
    item = predicted["canisters"][0]
    assert item["changed"] and item["mode"] != "none", item
    assert factory.update_calls() == calls, "check mode made an update call"
    with open(factory.registry, encoding="utf-8") as handle:
        assert handle.read() == registry_before
