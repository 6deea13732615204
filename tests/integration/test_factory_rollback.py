"""The canister role never leaves an orphan: a failed first install deletes the new canister and
marks its entry failed with the error (or keeps it with keep_failed); the next run converges."""
import pytest

from factory.harness import Factory, users
from localnet.testing import LocalnetProcess

# provision.yml's fleet installs the template from its chunk store (install_chunked_code); the
# drain module that gives the cycles back before a deletion goes with install_code.
INSTALL_FAILS = {"match": {"method": "install_chunked_code"}, "action": "http_503", "count": None}
DRAIN_FAILS = {"match": {"method": "install_code"}, "action": "http_503", "count": None}
# The template install's four attempts (the agent retries a 503 three times) fail; the drain
# module's install that gives the cycles back before the deletion goes through.
FIRST_INSTALL_FAILS = dict(INSTALL_FAILS, count=4)


@pytest.fixture
def net():
    with LocalnetProcess() as process:
        yield process


def test_failed_install_deletes_the_new_canister_and_marks_the_entry(net, tmp_path):
    factory = Factory(net, tmp_path)
    inventory = factory.inventory("one.yml", users(1, prefix="rb"))
    net.faults(FIRST_INSTALL_FAILS)
    failed = factory.play("provision.yml", inventory)
    net.faults(clear=True)
    assert failed.rc != 0 and failed.failed_hosts() == ["rb000"], failed.explain()
    entry = factory.entries()["rb000"]
    assert entry["status"] == "failed"
    assert entry["canister_id"] is None
    assert "503" in entry["last_error"]
    assert factory.canisters() == [], "the canister created by the failed run is still there"
    # Its cycles went back to the operator's cycles-ledger account before the deletion.
    reclaimed = net.admin("GET", f"balance?owner={factory.principal}")["balance"]
    assert reclaimed > 5 * 10 ** 11, reclaimed

    again = factory.play("provision.yml", inventory)
    assert again.rc == 0, again.explain()
    entry = factory.entries()["rb000"]
    assert entry["status"] == "active" and entry["canister_id"]
    assert [c["id"] for c in factory.canisters()] == [entry["canister_id"]]


def test_a_rollback_that_cannot_drain_keeps_the_canister(net, tmp_path):
    """When even the drain module cannot be installed the canister is kept with its cycles (not
    burnt) and the entry says so; the next run installs into it."""
    factory = Factory(net, tmp_path)
    inventory = factory.inventory("one.yml", users(1, prefix="nd"))
    net.faults(INSTALL_FAILS)
    net.faults(DRAIN_FAILS)
    failed = factory.play("provision.yml", inventory)
    net.faults(clear=True)
    assert failed.rc != 0, failed.explain()
    entry = factory.entries()["nd000"]
    assert entry["status"] == "failed" and entry["canister_id"]
    assert [c["id"] for c in factory.canisters()] == [entry["canister_id"]]
    again = factory.play("provision.yml", inventory)
    assert again.rc == 0, again.explain()
    assert [c["id"] for c in factory.canisters()] == [factory.entries()["nd000"]["canister_id"]]


def test_keep_failed_keeps_the_canister_and_the_next_run_installs_it(net, tmp_path):
    factory = Factory(net, tmp_path)
    inventory = factory.inventory("one.yml", users(1, prefix="kf"))
    net.faults(INSTALL_FAILS)
    failed = factory.play("provision.yml", inventory, extra_vars={"user_canister_keep_failed": True})
    net.faults(clear=True)
    assert failed.rc != 0, failed.explain()
    entry = factory.entries()["kf000"]
    assert entry["status"] == "failed" and entry["canister_id"]
    assert [c["id"] for c in factory.canisters()] == [entry["canister_id"]]

    again = factory.play("provision.yml", inventory)
    assert again.rc == 0, again.explain()
    after = factory.entries()["kf000"]
    assert after["status"] == "active" and after["canister_id"] == entry["canister_id"]
    assert after["module_hash"]
