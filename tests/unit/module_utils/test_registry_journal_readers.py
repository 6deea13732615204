"""Readers of the registry see the changes still in its journal: the inventory plugin lists an
entry that only the journal holds (a run killed before compaction, or one still going)."""
import os

from ansible_collections.icp.canister_factory.plugins.module_utils._registry import Registry

CANISTER = "rrkah-fqaaa-aaaaa-aaaaq-cai"


class _Templar:
    @staticmethod
    def is_template(_value):
        return False


def test_the_inventory_plugin_reads_the_journal(tmp_path):
    from ansible_collections.icp.canister_factory.plugins.inventory import registry as inventory

    path = str(tmp_path / "registry.yml")
    registry = Registry(path)
    for name, status in (("in_file", "active"), ("in_journal", "creating")):
        with registry.transaction() as data:
            data.put(name, {"canister_id": CANISTER, "template": "user", "status": status})
    with registry.transaction() as data:
        data.put("in_file", dict(data.get("in_file"), status="stopped"))
    assert os.path.getsize(path + ".journal") > 0
    plugin = inventory.InventoryModule()
    plugin.get_option = {"registries": [path]}.get
    plugin.templar = _Templar()
    entries = plugin._read_registries(str(tmp_path))  # pylint: disable=protected-access
    assert entries["in_journal"]["status"] == "creating"
    assert entries["in_file"]["status"] == "stopped"


def _journaled_registry(tmp_path):
    path = str(tmp_path / "registry.yml")
    registry = Registry(path)
    for name, status in (("in_file", "active"), ("in_journal", "creating")):
        with registry.transaction() as data:
            data.put(name, {"canister_id": CANISTER, "template": "user", "status": status})
    assert os.path.getsize(path + ".journal") > 0
    return path


def test_the_registry_lookup_reads_the_journal(tmp_path):
    """What the playbooks read (decommission, backup, restore, migrate, scale, report, provision)."""
    from ansible_collections.icp.canister_factory.plugins.lookup.registry import LookupModule

    path = _journaled_registry(tmp_path)
    missing = str(tmp_path / "none.yml")
    document, empty = LookupModule().run([path, missing], variables={})
    hosts = document["all"]["children"]["canisters"]["hosts"]
    assert hosts["in_journal"]["status"] == "creating" and hosts["in_file"]["status"] == "active"
    assert "in_journal" in document["all"]["children"]["user_canisters"]["hosts"]
    assert empty == {}


def test_the_registry_lookup_names_a_broken_file(tmp_path):
    from ansible.errors import AnsibleLookupError
    from ansible_collections.icp.canister_factory.plugins.lookup.registry import LookupModule

    path = tmp_path / "registry.yml"
    path.write_text("all: [unclosed\n")
    try:
        LookupModule().run([str(path)], variables={})
    except AnsibleLookupError as exc:
        message = str(exc)
    else:
        raise AssertionError("a broken registry was read")
    assert message.startswith("registry lookup: ") and "registry.yml" in message and "\n" not in message


def test_a_playbook_sees_a_journaled_entry(tmp_path):
    """The lookup as a playbook calls it (query ... | first), through ansible-playbook."""
    import subprocess
    import sys

    path = _journaled_registry(tmp_path)
    play = tmp_path / "play.yml"
    play.write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.assert:\n        that:\n"
        "          - (query('icp.canister_factory.registry', reg) | first).all.children.canisters.hosts"
        ".in_journal.status == 'creating'\n")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.dirname(sys.modules["ansible_collections"].__path__[0]))
    run = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
                          "-c", "local", "-e", f"reg={path}", str(play)],
                         capture_output=True, text=True, env=env, timeout=120, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ok=1" in run.stdout
