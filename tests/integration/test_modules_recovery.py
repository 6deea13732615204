"""Crash recovery of ic_canister with a registry, its last snapshot on delete, and ansible-doc
rendering of every module.

A crash between "the canister exists" and "the registry knows its id" is simulated by creating
the canister directly and leaving the registry entry in ``creating`` with its dedup key; the
next run must adopt that canister instead of creating a second one.
"""
import os
import subprocess

import pytest
import yaml

from module_runner import BIN, ansible_env, collection_tree, run_playbook, write_identity

MODULES = ("ic_canister", "ic_code", "ic_cycles", "ic_snapshot", "ic_canister_info", "ic_call",
           "ic_registry", "ic_monitor")


def _registry(path, entry):
    doc = {"all": {"children": {"canisters": {"hosts": {"crashed": entry}}}}}
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(doc, handle)


def _converge(tmp_path, net, pem, registry, specified_id=None):
    collections = collection_tree(str(tmp_path / "collections"))
    playbook = tmp_path / "converge.yml"
    task = {"icp.canister_factory.ic_canister": {
        "name": "crashed", "registry": str(registry), "network": net.url,
        "root_key": net.root_key_hex, "identity": pem}}
    if specified_id:
        task["icp.canister_factory.ic_canister"]["specified_id"] = specified_id
    task["register"] = "result"
    check = {"ansible.builtin.copy": {"content": "{{ result | to_json }}",
                                      "dest": str(tmp_path / "result.json"), "mode": "0644"}}
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False,
                                         "tasks": [task, check]}]))
    proc = run_playbook(str(playbook), str(tmp_path), collections, {})
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    return yaml.safe_load((tmp_path / "result.json").read_text())


def test_creating_entry_with_specified_id_adopts_the_canister(net, tmp_path):
    """The canister was created but the run died before recording it: no second canister."""
    from _ic.agent import Agent
    from _ic.identity import load_identity_file
    from _ic.management import Management
    from _ic.principal import Principal

    pem = str(tmp_path / "owner.pem")
    write_identity(pem, bytes(range(7, 39)))
    wanted = Principal.from_canister_index(2 ** 40 + 77).to_text()
    Management(Agent(net.url, load_identity_file(pem), root_key_der=net.root_key_der)) \
        .provisional_create_canister_with_cycles(specified_id=wanted)
    registry = tmp_path / "registry.yml"
    _registry(registry, {"status": "creating", "funding": "provisional", "specified_id": wanted})
    creates = net.metrics()["by_method"].get("aaaaa-aa.provisional_create_canister_with_cycles", 0)
    result = _converge(tmp_path, net, pem, registry)
    after = net.metrics()["by_method"].get("aaaaa-aa.provisional_create_canister_with_cycles", 0)
    entry = yaml.safe_load(registry.read_text())["all"]["children"]["canisters"]["hosts"]["crashed"]
    assert result["canister_id"] == wanted
    assert entry["canister_id"] == wanted and entry["status"] == "active"
    assert after - creates <= 1  # at most the one refused attempt; no new canister exists
    again = _converge(tmp_path, net, pem, registry)
    assert again["changed"] is False and again["canister_id"] == wanted


def test_creating_entry_without_key_refuses(net, tmp_path):
    """An unfinished creation without a dedup key is never guessed at: the task fails clearly."""
    pem = str(tmp_path / "owner.pem")
    write_identity(pem, bytes(range(8, 40)))
    registry = tmp_path / "registry.yml"
    _registry(registry, {"status": "creating", "funding": "provisional"})
    collections = collection_tree(str(tmp_path / "collections"))
    playbook = tmp_path / "fail.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"icp.canister_factory.ic_canister": {
            "name": "crashed", "registry": str(registry), "network": net.url,
            "root_key": net.root_key_hex, "identity": pem}}]}]))
    creates = net.metrics()["by_method"].get("aaaaa-aa.provisional_create_canister_with_cycles", 0)
    proc = run_playbook(str(playbook), str(tmp_path), collections, {})
    assert proc.returncode != 0
    assert "unknown outcome" in proc.stdout
    assert net.metrics()["by_method"].get("aaaaa-aa.provisional_create_canister_with_cycles", 0) == creates


@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_renders(module, tmp_path):
    """ansible-doc renders the module with its options, examples and return values."""
    collections = collection_tree(str(tmp_path / "collections"))
    proc = subprocess.run([os.path.join(BIN, "ansible-doc"), f"icp.canister_factory.{module}"],
                          env=ansible_env(collections), capture_output=True, text=True,
                          check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert not proc.stderr.strip(), proc.stderr
    for heading in ("OPTIONS", "EXAMPLES", "RETURN VALUES"):
        assert heading in proc.stdout


def test_delete_keeps_a_last_snapshot_on_disk(net, tmp_path):
    """state=absent with last_snapshot_dir downloads the module before the canister goes."""
    import hashlib

    from wasm_fixtures import build

    pem = str(tmp_path / "owner.pem")
    write_identity(pem, bytes(range(9, 41)))
    wasm = tmp_path / "v1.wasm"
    wasm.write_bytes(build("v1"))
    collections = collection_tree(str(tmp_path / "collections"))
    common = {"network": net.url, "root_key": net.root_key_hex, "identity": pem}
    playbook = tmp_path / "last.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"icp.canister_factory.ic_canister": dict(common, specified_id=_free_id(9)), "register": "c"},
        {"icp.canister_factory.ic_code": dict(common, canister_id="{{ c.canister_id }}", wasm=str(wasm))},
        {"icp.canister_factory.ic_canister": dict(common, canister_id="{{ c.canister_id }}", state="absent",
                                                  last_snapshot_dir=str(tmp_path / "last")),
         "register": "gone"},
        {"ansible.builtin.copy": {"content": "{{ gone | to_json }}", "dest": str(tmp_path / "gone.json"),
                                  "mode": "0644"}}]}]))
    proc = run_playbook(str(playbook), str(tmp_path), collections, {})
    assert proc.returncode == 0, proc.stdout[-4000:]
    gone = yaml.safe_load((tmp_path / "gone.json").read_text())
    module = os.path.join(gone["last_snapshot"]["path"], "wasm_module.bin")
    with open(module, "rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == hashlib.sha256(build("v1")).hexdigest()


def _free_id(n):
    from _ic.principal import Principal

    return Principal.from_canister_index(2 ** 41 + n).to_text()
