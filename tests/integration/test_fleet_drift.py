"""Check mode notices drift, on both paths of provision.yml: a canister whose code was changed
outside Ansible is predicted to change, although its registry entry still says the wanted module
is active; the prediction makes no update call and leaves the registry as it was."""
from factory.harness import BOTH_PATHS, Factory, principal_for
from _ic.agent import Agent
from _ic.identity import load_identity_file
from _ic.management import Management

# The smallest valid Wasm module: other code than the template's.
EMPTY_MODULE = b"\x00asm\x01\x00\x00\x00"


@BOTH_PATHS
def test_check_mode_reports_code_changed_outside_ansible(net, tmp_path, batch):
    factory = Factory(net, tmp_path)
    inventory = factory.inventory("inventory.yml", {"drift": ("user", {"owner": principal_for("drift")})})
    created = factory.provision(inventory, batch)
    assert created.rc == 0, created.explain()
    entry = factory.entries()["drift"]
    canister_id = entry["canister_id"]

    agent = Agent(net.url, identity=load_identity_file(factory.identity), root_key_der=net.root_key_der)
    try:
        Management(agent).install_code(canister_id, EMPTY_MODULE, mode="reinstall")
    finally:
        agent.close()
    live = {c["id"]: c for c in factory.canisters()}[canister_id]
    assert live["module_hash"] != entry["module_hash"]

    calls = factory.update_calls()
    with open(factory.registry, encoding="utf-8") as handle:
        registry_before = handle.read()
    predicted = factory.provision(inventory, batch, "--check")
    assert predicted.rc == 0, predicted.explain()
    assert predicted.total("changed") >= 1, "check mode reported a drifted canister as converged"
    assert factory.update_calls() == calls, "check mode made an update call"
    with open(factory.registry, encoding="utf-8") as handle:
        assert handle.read() == registry_before
