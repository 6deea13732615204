"""ic_fleet's from_inventory is read by its action plugin only: the module itself refuses it by
name, before any call, whether or not canisters are given too."""
import pytest

from inprocess import run_module

SOURCE = {"group": "canisters", "templates": ["user"]}


@pytest.mark.parametrize("canisters", [None, []])
def test_the_module_refuses_from_inventory(tmp_path, canisters):
    args = {"network": "http://127.0.0.1:9", "registry": str(tmp_path / "registry.yml"), "from_inventory": SOURCE}
    if canisters is not None:
        args["canisters"] = canisters
    result = run_module("ic_fleet", args, str(tmp_path))
    assert result.get("failed") and result["msg"].startswith("from_inventory: is read by ic_fleet's action plugin"), result


def test_neither_canisters_nor_from_inventory_is_missing_both(tmp_path):
    result = run_module("ic_fleet", {"network": "http://127.0.0.1:9", "registry": str(tmp_path / "r.yml")}, str(tmp_path))
    assert result.get("failed") and "canisters, from_inventory" in result["msg"], result
