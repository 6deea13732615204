"""Day-two playbooks on provisioned canisters: topup, backup, restore, decommission."""
import pytest

from factory.canister_client import TemplateClient
from factory.harness import Factory
from localnet.testing import LocalnetProcess


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    with LocalnetProcess() as net:
        factory = Factory(net, tmp_path_factory.mktemp("lifecycle"))
        inventory = factory.inventory("fleet.yml", {f"life{i}": ("user", {"owner": factory.principal})
                                                    for i in range(2)})
        run = factory.play("provision.yml", inventory, forks=2)
        assert run.rc == 0, run.explain()
        yield factory, inventory, TemplateClient(net, factory.identity)


def test_topup_raises_balances_below_the_band_only(fleet):
    factory, inventory, _ = fleet
    before = {n: e["cycles_balance"] for n, e in factory.entries().items()}
    band = max(before.values()) + 10**12
    run = factory.play("topup.yml", inventory, extra_vars={"target": "life0", "min_cycles": band,
                                                            "target_cycles": band})
    assert run.rc == 0 and run.total("changed") == 1, run.explain()
    after = factory.entries()
    # the canister burns a few cycles between the top-up and the status read
    assert after["life0"]["cycles_balance"] >= band - 10**9
    again = factory.play("topup.yml", inventory, extra_vars={"target": "life0", "min_cycles": band - 10**11,
                                                              "target_cycles": band})
    assert again.rc == 0 and again.total("changed") == 0, again.explain()


def test_backup_then_restore_brings_the_data_back(fleet):
    factory, inventory, client = fleet
    canister = factory.entries()["life1"]["canister_id"]
    assert "ok" in client.update(canister, "set_preference", '("color", "green")')
    backup = factory.play("backup.yml", inventory, extra_vars={"target": "life1"})
    assert backup.rc == 0 and backup.total("changed") >= 1, backup.explain()
    assert "ok" in client.update(canister, "set_preference", '("color", "red")')
    restore = factory.play("restore.yml", inventory, extra_vars={"target": "life1"})
    assert restore.rc == 0, restore.explain()
    assert client.query(canister, "get_preference", '("color")') == '(opt "green")'


def test_decommission_deletes_and_leaves_a_tombstone(fleet):
    factory, inventory, _ = fleet
    canister = factory.entries()["life0"]["canister_id"]
    held = [c["cycles"] for c in factory.canisters() if c["id"] == canister][0]
    account = factory.net.admin("GET", f"balance?owner={factory.principal}")["balance"]
    run = factory.play("decommission.yml", inventory, extra_vars={"target": "life0"})
    assert run.rc == 0, run.explain()
    # The canister's cycles went back to the operator's cycles-ledger account (less the drain's
    # margin and the ledger fee) before the deletion.
    gained = factory.net.admin("GET", f"balance?owner={factory.principal}")["balance"] - account
    assert held - 10 ** 10 - 10 ** 8 - 10 ** 9 <= gained <= held, (held, gained)
    entry = factory.entries()["life0"]
    assert entry["status"] == "deleted"
    assert canister not in {c["id"] for c in factory.canisters()}
    again = factory.play("decommission.yml", inventory, extra_vars={"target": "life0"})
    assert again.rc == 0 and again.total("changed") == 0, again.explain()
