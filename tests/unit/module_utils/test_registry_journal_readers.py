"""Readers of the registry see the changes still in its journal: the inventory plugin lists an
entry that only the journal holds (a run killed before compaction, or one still going)."""
import os

from ansible_collections.icp.canister_factory.plugins.module_utils.registry import Registry

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
