"""The canister role never leaves an orphan, on both paths of provision.yml (the batch path,
ic_fleet, and the per-host path, ``-e icp_batch=false``): when the install fails (HTTP 503) and
its cycles cannot be given back, or with keep_failed, the new canister is kept and its entry
marked failed; the next run installs into it. (The deletion with the cycles given back is
test_both_paths::test_failed_first_install_is_rolled_back_and_recorded.)"""
import pytest

from factory.harness import BOTH_PATHS, own_factory, users

# The method that installs the template on each path: the batch path installs from its chunk
# store (install_chunked_code), the per-host path sends the module in one install_code. The drain
# module that gives the cycles back before a deletion always goes with install_code.
INSTALL_METHOD = {True: "install_chunked_code", False: "install_code"}


def install_fails(batch):
    """Every template install fails (HTTP 503)."""
    return {"match": {"method": INSTALL_METHOD[batch]}, "action": "http_503", "count": None}


DRAIN_FAILS = {"match": {"method": "install_code"}, "action": "http_503", "count": None}


@pytest.fixture(autouse=True)
def no_faults_left(net):
    yield
    net.faults(clear=True)


@BOTH_PATHS
def test_a_rollback_that_cannot_drain_keeps_the_canister(net, tmp_path, batch):
    """When even the drain module cannot be installed the canister is kept with its cycles (not
    burnt) and the entry says so; the next run installs into it."""
    factory = own_factory(net, tmp_path)
    inventory = factory.inventory("one.yml", users(1, prefix="nd"))
    net.faults(install_fails(batch))
    net.faults(DRAIN_FAILS)
    failed = factory.provision(inventory, batch)
    net.faults(clear=True)
    assert failed.rc != 0, failed.explain()
    entry = factory.entries()["nd000"]
    assert entry["status"] == "failed" and entry["canister_id"], (entry, failed.explain())
    assert [c["id"] for c in factory.canisters()] == [entry["canister_id"]]
    again = factory.provision(inventory, batch)
    assert again.rc == 0, again.explain()
    assert [c["id"] for c in factory.canisters()] == [factory.entries()["nd000"]["canister_id"]]


@BOTH_PATHS
def test_keep_failed_keeps_the_canister_and_the_next_run_installs_it(net, tmp_path, batch):
    factory = own_factory(net, tmp_path)
    inventory = factory.inventory("one.yml", users(1, prefix="kf"))
    net.faults(install_fails(batch))
    failed = factory.provision(inventory, batch, user_canister_keep_failed=True)
    net.faults(clear=True)
    assert failed.rc != 0, failed.explain()
    entry = factory.entries()["kf000"]
    assert entry["status"] == "failed" and entry["canister_id"]
    assert [c["id"] for c in factory.canisters()] == [entry["canister_id"]]

    again = factory.provision(inventory, batch)
    assert again.rc == 0, again.explain()
    after = factory.entries()["kf000"]
    assert after["status"] == "active" and after["canister_id"] == entry["canister_id"]
    assert after["module_hash"]
