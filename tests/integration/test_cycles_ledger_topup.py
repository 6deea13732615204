"""ic_cycles with source=cycles_ledger never asks the ledger to withdraw 0 cycles.

DFINITY's cycles ledger refuses it (dfinity/cycles-ledger, cycles-ledger/src/storage.rs
``withdraw``: GenericError 100002 'The withdraw_from 0 cycles is not possible'), so an
``amount`` of 0 is refused by the module's input check, naming the field, before any call; and
a band whose minimum the balance already meets makes no call at all (checked through the
network's update-call count)."""
import os

import pytest

from inprocess import run_module
from module_runner import write_identity


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from localnet.testing import LocalnetProcess

    base = tmp_path_factory.mktemp("topup")
    pem = str(base / "op.pem")
    principal = write_identity(pem, os.urandom(32))
    with LocalnetProcess() as net:
        net.mint(principal, 10 ** 13)
        common = {"network": net.url, "root_key": net.root_key_hex, "identity": pem}
        made = run_module("ic_canister", dict(common, registry=str(base / "registry.yml"), name="topped",
                                                   cycles=10 ** 12), str(base))
        assert made.get("canister_id"), made
        yield {"net": net, "base": str(base), "common": common, "canister_id": made["canister_id"]}


def _updates(net):
    return net.metrics()["update_calls"]


def _cycles(world, **options):
    args = dict(world["common"], canister_id=world["canister_id"], source="cycles_ledger", **options)
    return run_module("ic_cycles", args, world["base"])


def test_an_amount_of_zero_is_refused_before_any_call(world):
    before = _updates(world["net"])
    result = _cycles(world, amount=0)
    assert result.get("failed") and result["msg"].startswith("amount:") and "\n" not in result["msg"]
    assert "at least 1" in result["msg"]
    assert _updates(world["net"]) == before


def test_a_band_already_met_sends_no_withdraw(world):
    before = _updates(world["net"])
    result = _cycles(world, min_cycles=0)
    assert not result.get("failed") and not result["changed"] and result["topped_up"] == 0
    assert _updates(world["net"]) == before
    topped = _cycles(world, amount=10 ** 9)
    assert topped["changed"] and topped["topped_up"] == 10 ** 9
    assert _updates(world["net"]) > before
