"""The registry under concurrency: many forks and many processes writing at once lose nothing."""
import multiprocessing
import os

import yaml

from module_runner import collection_tree, run_playbook

HOSTS = 40


def test_forks_lose_nothing(tmp_path):
    """40 hosts, 20 forks, each ic_registry task adds its own entry: all 40 are there."""
    collections = collection_tree(str(tmp_path / "collections"))
    registry = tmp_path / "registry.yml"
    inventory = tmp_path / "hosts.yml"
    hosts = {f"h{i:02d}": {"ansible_connection": "local"} for i in range(HOSTS)}
    inventory.write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
    playbook = tmp_path / "fork.yml"
    playbook.write_text(
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        "    - icp.canister_factory.ic_registry:\n"
        "        path: \"{{ registry }}\"\n"
        "        name: \"{{ inventory_hostname }}\"\n"
        "        canister_id: rrkah-fqaaa-aaaaa-aaaaq-cai\n"
        "        template: user\n"
        "      delegate_to: localhost\n")
    proc = run_playbook(str(playbook), str(tmp_path), collections, {"registry": str(registry)},
                        args=("-i", str(inventory), "-f", "20"))
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    doc = yaml.safe_load(registry.read_text())
    assert sorted(doc["all"]["children"]["canisters"]["hosts"]) == sorted(hosts)
    assert sorted(doc["all"]["children"]["user_canisters"]["hosts"]) == sorted(hosts)


def _add(args):
    path, index = args
    from _registry import Registry, add_event

    with Registry(path).transaction() as data:
        entry = data.get("shared") or {"canister_id": "rrkah-fqaaa-aaaaa-aaaaq-cai"}
        entry["counter"] = entry.get("counter", 0) + 1
        add_event(entry, "update", "ok", identity=str(index))
        data.put("shared", entry)
        data.put(f"p{index:03d}", {"canister_id": "rrkah-fqaaa-aaaaa-aaaaq-cai", "template": "user"})


def test_processes_lose_nothing(tmp_path):
    """100 read-modify-write transactions from 8 processes: the counter is exactly 100."""
    path = str(tmp_path / "registry.yml")
    with multiprocessing.get_context("fork").Pool(8) as pool:
        pool.map(_add, [(path, i) for i in range(100)])
    from _registry import MAX_EVENTS, Registry

    data = Registry(path).read()
    assert data.entries["shared"]["counter"] == 100
    assert len(data.entries["shared"]["events"]) == MAX_EVENTS
    assert len(data.entries) == 101
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]
