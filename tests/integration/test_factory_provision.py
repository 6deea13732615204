"""provision.yml and the on-demand playbooks against a localnet of this module's own.

The example inventory (all four templates) becomes canisters with active registry entries; a
second run changes nothing and makes no update call; create_user_canister.yml and
create_feature_canister.yml add one canister each and are idempotent; bad input fails before
anything is created.
"""
import os

import yaml

from factory.harness import ROOT, Factory, principal_for

EXAMPLES = os.path.join(ROOT, "examples", "inventory.yml")


def example_hosts():
    """Host name -> template group of examples/inventory.yml."""
    with open(EXAMPLES, encoding="utf-8") as handle:
        groups = yaml.safe_load(handle)["all"]["children"]["canisters"]["children"]
    return {host: group[: -len("_canisters")] for group, body in groups.items() for host in body["hosts"]}


def test_provision_twice_second_run_changes_and_calls_nothing(net, tmp_path):
    factory = Factory(net, tmp_path)
    first = factory.play("provision.yml", EXAMPLES, forks=10)
    assert first.rc == 0, first.explain()
    hosts = example_hosts()
    entries = factory.entries()
    assert set(entries) == set(hosts)
    for name, template in hosts.items():
        assert entries[name]["status"] == "active", entries[name]
        assert entries[name]["template"] == template
        assert entries[name]["module_hash"]
    live = {c["id"]: c for c in factory.canisters()}
    assert {e["canister_id"] for e in entries.values()} <= set(live)
    assert all(live[e["canister_id"]]["module_hash"] == e["module_hash"] for e in entries.values())

    calls = factory.update_calls()
    with open(factory.registry, encoding="utf-8") as handle:
        registry_before = handle.read()
    second = factory.play("provision.yml", EXAMPLES, forks=10)
    assert second.rc == 0, second.explain()
    assert second.total("changed") == 0, second.stats
    assert factory.update_calls() == calls
    with open(factory.registry, encoding="utf-8") as handle:
        assert handle.read() == registry_before


def test_create_user_canister_on_demand_is_idempotent(net, tmp_path):
    factory = Factory(net, tmp_path)
    owner = principal_for("on-demand")
    first = factory.play("create_user_canister.yml", extra_vars={"owner": owner})
    assert first.rc == 0, first.explain()
    name = "user-" + "-".join(owner.split("-")[:2])
    entry = factory.entries()[name]
    assert (entry["status"], entry["template"], entry["owner"]) == ("active", "user", owner)
    calls = factory.update_calls()
    again = factory.play("create_user_canister.yml", extra_vars={"owner": owner})
    assert again.rc == 0 and again.total("changed") == 0, again.explain()
    assert factory.update_calls() == calls


def test_create_feature_canister_with_its_own_init_arg(net, tmp_path):
    factory = Factory(net, tmp_path)
    owner = principal_for("feature-owner")
    init_arg = f'(record {{ owner = principal "{owner}"; max_readers = opt (3 : nat) }})'
    run = factory.play("create_feature_canister.yml",
                       extra_vars={"feature": "gallery", "owner": owner, "name": "feature-gallery",
                                   "init_arg": init_arg})
    assert run.rc == 0, run.explain()
    entry = factory.entries()["feature-gallery"]
    assert (entry["status"], entry["template"]) == ("active", "gallery")
    assert entry["init_arg"] == init_arg


def test_bad_input_fails_before_any_update_call(net, tmp_path):
    factory = Factory(net, tmp_path)
    calls = factory.update_calls()
    bad_feature = factory.play("create_feature_canister.yml",
                               extra_vars={"feature": "printer", "owner": principal_for("x")})
    assert bad_feature.rc != 0
    bad_owner = factory.play("create_user_canister.yml", extra_vars={"owner": "not-a-principal"})
    assert bad_owner.rc != 0
    assert any("owner" in m for m in bad_owner.messages()), bad_owner.explain()
    inventory = factory.inventory("two-groups.yml", {"x1": ("user", {"owner": principal_for("x1")})})
    with open(inventory, encoding="utf-8") as handle:
        doc = yaml.safe_load(handle)
    doc["all"]["children"]["canisters"]["children"]["gallery_canisters"] = {"hosts": {"x1": None}}
    with open(inventory, "w", encoding="utf-8") as handle:
        yaml.safe_dump(doc, handle)
    two_templates = factory.play("provision.yml", inventory)
    assert two_templates.rc != 0
    assert any("exactly one" in m for m in two_templates.messages()), two_templates.explain()
    assert factory.update_calls() == calls
    assert factory.entries() == {}
