"""The collection operates the factory canister (issue 11), end to end on one localnet:
deploy from nothing, idle rerun (zero update calls through /_/metrics), a non-admin user's own
canister through the factory, the factory as an inventory source, a new template version rolled
out both ways (direct and on-chain), an upgrade of the factory that keeps everything, bad template
input that changes nothing, the fleet playbooks and the report on factory children.

The tests run in file order and share one factory (module fixture): each step builds on the last.
"""
import json
import os
import subprocess
import sys

import pytest
import yaml

from factory.harness import BIN, ROOT, Factory, principal_for, write_identity

USER_SEED = b"\x0b" * 32


def manifest(out):
    """The shipped module ``out`` of wasm/manifest.json."""
    with open(os.path.join(ROOT, "wasm", "manifest.json"), encoding="utf-8") as handle:
        return next(t for t in json.load(handle)["templates"] if t["out"] == out)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Localnet, an operator (admin) and a user identity that is no admin."""
    from localnet.testing import LocalnetProcess

    with LocalnetProcess() as net:
        base = tmp_path_factory.mktemp("factory-ops")
        operator = Factory(net, base)
        user_pem = str(base / "user.pem")
        user = write_identity(user_pem, USER_SEED)
        yield {"net": net, "op": operator, "user": user, "user_pem": user_pem, "state": {}}


def plain(obj):
    """Values an inventory plugin sets are shown wrapped by --list."""
    return obj["__ansible_unsafe"] if set(obj) == {"__ansible_unsafe"} else obj


def factory_inventory(op, **config):
    """Path of a registry inventory configuration that also reads the factory."""
    path = os.path.join(op.workdir, "fleet.icp_registry.yml")
    doc = {"plugin": "icp.canister_factory.registry", "registries": ["registry.yml"], "factory": "factory",
           "network": op.net.url, "root_key": op.net.root_key_hex, "identity": op.identity,
           "keyed_groups": [{"key": "owner", "prefix": "owner"}]}
    doc.update(config)
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(doc, handle)
    return path


def listing(op, **config):
    """``ansible-inventory --list`` of the factory inventory."""
    proc = subprocess.run([os.path.join(BIN, "ansible-inventory"), "-i", factory_inventory(op, **config), "--list"],
                          cwd=op.workdir, env=op.env(), capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout, object_hook=plain)


def idle(op, playbook, inventory=None, extra_vars=None):
    """Run ``playbook``; assert it succeeded, changed nothing and made no update call."""
    before = op.update_calls()
    run = op.play(playbook, inventory, extra_vars)
    assert run.rc == 0, run.explain()
    assert run.total("changed") == 0, run.stdout[-3000:]
    assert op.update_calls() == before, "a converged run must make no update call"
    return run


def test_deploy_from_nothing_then_rerun_is_idle(world):
    op = world["op"]
    first = op.play("deploy_factory.yml", extra_vars={"factory_templates": ["user-0.1.0", "gallery"]})
    assert first.rc == 0, first.explain()
    assert first.total("changed") > 0
    entry = op.entries()["factory"]
    assert (entry["template"], entry["status"], entry["owner"]) == ("factory", "active", op.principal)
    world["state"]["factory"] = entry["canister_id"]
    run = idle(op, "deploy_factory.yml", extra_vars={"factory_templates": ["user-0.1.0", "gallery"]})
    # argument spec, two asserts and the probe; every other task skipped
    assert run.stats["localhost"]["ok"] == 4 and run.stats["localhost"]["skipped"] == 3, run.stats


def test_check_mode_predicts_changes_exactly(world):
    op = world["op"]
    before = op.update_calls()
    converged = subprocess.run(op.command("deploy_factory.yml", extra_vars={"factory_templates": ["user-0.1.0", "gallery"]})
                               + ["--check"], cwd=op.workdir, env=op.env(), capture_output=True, text=True, check=False)
    assert converged.returncode == 0 and "changed=0" in converged.stdout, converged.stdout[-2000:]
    pending = subprocess.run(op.command("deploy_factory.yml", extra_vars={"factory_templates": ["user-0.1.0", "gallery", "memory"],
                                                                          "factory_policy": {"pool_size": 1}})
                             + ["--check", "--diff"], cwd=op.workdir, env=op.env(), capture_output=True, text=True, check=False)
    assert pending.returncode == 0, pending.stdout[-3000:]
    assert "changed=2" in pending.stdout, pending.stdout[-3000:]
    assert "pool_size" in pending.stdout
    assert op.update_calls() == before, "check mode must not change the factory"


def test_bad_template_input_fails_in_one_line_and_changes_nothing(world, tmp_path):
    op = world["op"]
    not_wasm = tmp_path / "not.wasm"
    not_wasm.write_text("plain text\n")
    cases = {
        "unknown": ({"factory_templates": ["nope"]}, "factory_templates: unknown template nope"),
        "not wasm": ({"factory_templates": [{"template": "user", "version": "9.0.0", "wasm": str(not_wasm)}]}, "wasm: "),
        "wrong hash": ({"factory_templates": [{"template": "user", "version": "9.0.0",
                                               "wasm": os.path.join(ROOT, "wasm", "user.wasm.gz"),
                                               "wasm_sha256": "00" * 32}]}, "wasm_sha256: "),
    }
    for label, (extra, message) in cases.items():
        before = op.update_calls()
        run = op.play("deploy_factory.yml", extra_vars=extra)
        assert run.rc != 0, label
        msgs = run.messages()
        assert len(msgs) == 1 and message in msgs[0] and "\n" not in msgs[0], (label, msgs)
        assert op.update_calls() == before, f"{label}: nothing may change"


def test_a_user_creates_its_own_canister_through_the_factory(world):
    op, user = world["op"], world["user"]
    as_user = {"via": "factory", "owner": user, "icp_identity": world["user_pem"]}
    run = op.play("create_user_canister.yml", extra_vars=as_user)
    assert run.rc == 0, run.explain()
    assert run.total("changed") == 1
    idle(op, "create_user_canister.yml", extra_vars=as_user)
    hosts = listing(op)["_meta"]["hostvars"]
    mine = [h for h, v in hosts.items() if v.get("owner") == user]
    assert len(mine) == 1 and mine[0].startswith("user-")
    world["state"]["child1"] = hosts[mine[0]]["canister_id"]


def test_inventory_lists_factory_children_like_registry_canisters(world):
    op, user = world["op"], world["user"]
    other = principal_for("second-user")
    run = op.play("create_user_canister.yml", extra_vars={"via": "factory", "owner": other})
    assert run.rc == 0, run.explain()
    found = listing(op)
    hostvars = found["_meta"]["hostvars"]
    child = hostvars[f"user-{world['state']['child1']}"]
    assert child["source"] == "factory" and child["template"] == "user" and child["status"] == "active"
    assert child["owner"] == user and child["created_by"] == user
    assert child["wasm_version"] == manifest("user-0.1.0")["version"]
    assert child["module_hash"] == manifest("user-0.1.0")["module_hash"]
    assert child["cycles_balance"] > 0 and child["created_at"].endswith("Z")
    assert f"user-{world['state']['child1']}" in found["user_canisters"]["hosts"]
    assert "factory" in found["canisters"]["hosts"] and "factory" in found["factory_canisters"]["hosts"]
    assert found["owner_" + user.replace("-", "_")]["hosts"] == [f"user-{world['state']['child1']}"]
    second = [h for h, v in hostvars.items() if v.get("owner") == other]
    assert len(second) == 1
    world["state"]["child2"] = hostvars[second[0]]["canister_id"]


def test_new_template_version_rolls_out_both_ways(world):
    op = world["op"]
    run = op.play("deploy_factory.yml")  # every template's current version: user 0.2.0 becomes current
    assert run.rc == 0, run.explain()
    idle(op, "deploy_factory.yml")
    inventory = factory_inventory(op)
    direct = op.play("upgrade.yml", inventory, {"target": f"user-{world['state']['child1']}"})
    assert direct.rc == 0, direct.explain()
    hosts = listing(op)["_meta"]["hostvars"]
    assert hosts[f"user-{world['state']['child1']}"]["module_hash"] == manifest("user")["module_hash"]
    on_chain = op.play("upgrade.yml", extra_vars={"via": "factory", "template": "user"})
    assert on_chain.rc == 0, on_chain.explain()
    assert "1 children were not on" in on_chain.stdout, on_chain.stdout[-2000:]
    hosts = listing(op)["_meta"]["hostvars"]
    for key in ("child1", "child2"):
        child = hosts[f"user-{world['state'][key]}"]
        assert (child["wasm_version"], child["module_hash"]) == (manifest("user")["version"], manifest("user")["module_hash"])
    idle(op, "upgrade.yml", extra_vars={"via": "factory", "template": "user"})


def test_upgrading_the_factory_keeps_children_templates_and_policy(world, tmp_path):
    op = world["op"]
    playbook = tmp_path / "force_upgrade.yml"
    playbook.write_text(yaml.safe_dump([{
        "hosts": "localhost", "connection": "local", "gather_facts": False,
        "vars": {"ansible_python_interpreter": sys.executable},
        "roles": ["icp.canister_factory.connection"],
        "tasks": [{"name": "Upgrade the factory in place", "icp.canister_factory.ic_code": {
            "network": "{{ icp_network }}", "identity": "{{ icp_identity }}", "root_key": "{{ icp_root_key }}",
            "name": "factory", "registry": "{{ icp_registry }}", "wasm": os.path.join(ROOT, "wasm", "factory.wasm.gz"),
            "mode": "upgrade", "force": True, "arg": "{{ _entry.init_arg }}"},
            "vars": {"_entry": "{{ (lookup('file', icp_registry) | from_yaml).all.children.canisters.hosts.factory }}"}}],
    }]))
    before = listing(op)["_meta"]["hostvars"]
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", str(playbook)], cwd=op.workdir,
                          env=op.env(), capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and "changed=1" in proc.stdout, proc.stdout[-3000:]
    after = listing(op)["_meta"]["hostvars"]
    children = {h: (v["canister_id"], v["owner"], v["wasm_version"]) for h, v in after.items() if v.get("source") == "factory"}
    assert children == {h: (v["canister_id"], v["owner"], v["wasm_version"]) for h, v in before.items()
                        if v.get("source") == "factory"}
    assert len(children) == 2
    idle(op, "deploy_factory.yml")  # templates, admins and policy all kept


def test_fleet_playbooks_work_on_factory_children(world):
    op = world["op"]
    inventory = factory_inventory(op)
    child = f"user-{world['state']['child2']}"
    topped = op.play("topup.yml", inventory, {"target": child, "min_cycles": 10**15, "target_cycles": 10**15})
    assert topped.rc == 0 and topped.total("changed") == 1, topped.explain()
    backup = op.play("backup.yml", inventory, {"target": child})
    assert backup.rc == 0 and backup.total("changed") == 1, backup.explain()
    gone = op.play("decommission.yml", inventory, {"target": child})
    assert gone.rc == 0, gone.explain()
    hosts = listing(op)["_meta"]["hostvars"]
    assert child not in hosts, "a child the factory deleted is hidden like a tombstone"
    assert child in listing(op, statuses=["deleted"])["_meta"]["hostvars"]
    assert world["state"]["child2"] not in [c["id"] for c in op.net.canisters()]


def test_report_shows_the_factory_and_its_children(world):
    op = world["op"]
    path = os.path.join(op.workdir, "report.html")
    run = op.play("report.yml", extra_vars={"report_path": path})
    assert run.rc == 0, run.explain()
    with open(path, encoding="utf-8") as handle:
        page = handle.read()
    assert 'id="factory"' in page and world["state"]["factory"] in page
    assert 'id="factory-pool"' in page and 'id="factory-events"' in page
    assert world["state"]["child1"] in page, "the factory's children join the fleet tables"
