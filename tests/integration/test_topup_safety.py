"""A cycles-ledger top-up whose outcome is unknown is never paid twice.

The withdraw's key (``created_at_time``, amount, receiver) is recorded in the registry entry
before the call (``pending_top_up``); a rerun sends the same withdraw again and gets
``Duplicate``, then reads the ledger's blocks for a refund (memo 32 x 0xFF) after that burn.
Each case drops the ledger's reply to ``withdraw`` (localnet fault ``drop_response``: the call
runs, the answer is lost) with the in-run retries switched off, so the first run fails and
keeps the key; the rerun must not pay again (checked on the ledger balance of the caller)."""
import importlib
import os

import pytest

import inprocess
from inprocess import run_module
from module_runner import write_identity

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FEE = 10 ** 8
T = 10 ** 12
LEDGER = "um5iw-rqaaa-aaaaq-qaaba-cai"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from localnet.testing import LocalnetProcess

    base = tmp_path_factory.mktemp("topup-safety")
    pem = str(base / "op.pem")
    seed = os.urandom(32)
    principal = write_identity(pem, seed)
    with LocalnetProcess() as net:
        net.mint(principal, 100 * T)
        common = {"network": net.url, "root_key": net.root_key_hex, "identity": pem}
        yield {"net": net, "base": str(base), "common": common, "principal": principal, "seed": seed,
               "registry": str(base / "registry.yml")}


@pytest.fixture(name="no_retries")
def no_retries_fixture(world, monkeypatch):
    """The module's in-run retries off, so one dropped reply fails the run (the key stays)."""
    inprocess._import_path(world["base"])  # pylint: disable=protected-access
    monkeypatch.setattr(_utils("_unknown_outcomes"), "PENDING_RETRY_DELAYS", ())
    yield
    world["net"].faults(clear=True)


def _utils(name):
    """A module of the collection's module_utils (the tree run_module has put on the path)."""
    return importlib.import_module(f"ansible_collections.icp.canister_factory.plugins.module_utils.{name}")


def _agent(world, seed):
    """An agent of the operator's identity (from its seed), with the collection's own client."""
    identity = _utils("_ic.identity").Ed25519Identity.from_seed(seed)
    return _utils("_ic.agent").Agent(world["net"].url, identity, root_key_der=world["net"].root_key_der)


def _balance(world):
    return world["net"].admin("GET", f"balance?owner={world['principal']}")["balance"]


def _entry(world, name):
    return _utils("_registry").Registry(world["registry"]).read().get(name)


def _canister(world, name, cycles=T):
    made = run_module("ic_canister", dict(world["common"], registry=world["registry"], name=name, cycles=cycles,
                                          funding="provisional"), world["base"])
    assert made.get("canister_id"), made
    return made["canister_id"]


def _cycles(world, name, check=False, **options):
    args = dict(world["common"], registry=world["registry"], name=name, source="cycles_ledger", **options)
    return run_module("ic_cycles", args, world["base"], check=check)


def _drop_withdraw(world):
    """The ledger runs the next withdraw but its answer is lost, and so is the agent's way to
    fetch it again (read_state), until ``_heal``."""
    world["net"].faults({"match": {"method": "withdraw"}, "action": "drop_response"})
    world["net"].faults({"match": {"endpoint": "read_state", "canister": LEDGER}, "action": "http_503", "count": None})


def _heal(world):
    world["net"].faults(clear=True)


def test_an_amount_whose_reply_was_lost_is_paid_once(world, no_retries):
    _canister(world, "ts-amount")
    before = _balance(world)
    _drop_withdraw(world)
    lost = _cycles(world, "ts-amount", amount=2 * T)
    assert lost.get("failed") and "\n" not in lost["msg"] and "unknown outcome" in lost["msg"], lost
    assert "run again to settle it" in lost["msg"], lost["msg"]
    _heal(world)
    key = _entry(world, "ts-amount")["pending_top_up"]
    assert key["cycles"] == 2 * T and key["created_at_time"]
    assert _balance(world) == before - 2 * T - FEE          # the lost call did pay
    predicted = _cycles(world, "ts-amount", check=True, amount=2 * T)
    assert predicted["changed"] and predicted["topped_up"] == 2 * T
    assert _entry(world, "ts-amount")["pending_top_up"] == key    # check mode wrote nothing
    again = _cycles(world, "ts-amount", amount=2 * T)
    assert not again.get("failed") and again["changed"] and again["topped_up"] == 2 * T, again
    assert again["resumed_top_up"]["outcome"] == "paid_before"
    assert _balance(world) == before - 2 * T - FEE          # and the rerun did not pay again
    entry = _entry(world, "ts-amount")
    assert "pending_top_up" not in entry
    assert [e.get("cycles") for e in entry["events"] if e.get("action") == "top_up"] == [2 * T]
    third = _cycles(world, "ts-amount", amount=T)            # then an amount is paid as usual
    assert not third.get("failed") and third["topped_up"] == T
    assert _balance(world) == before - 3 * T - 2 * FEE


def test_a_band_whose_reply_was_lost_is_paid_once(world, no_retries):
    _canister(world, "ts-band")
    before = _balance(world)
    _drop_withdraw(world)
    band = {"min_cycles": 5 * T, "target_cycles": 6 * T}
    assert _cycles(world, "ts-band", **band).get("failed")
    _heal(world)
    paid = before - _balance(world)
    key = _entry(world, "ts-band").get("pending_top_up")
    again = _cycles(world, "ts-band", **band)
    assert _balance(world) == before - paid
    assert paid > 4 * T and key["cycles"] == paid - FEE
    assert not again.get("failed") and again["changed"], again
    assert "pending_top_up" not in _entry(world, "ts-band")
    steady = _cycles(world, "ts-band", **band)
    assert not steady.get("failed") and not steady["changed"] and _balance(world) == before - paid


def test_a_lost_reply_is_settled_in_the_same_run(world):
    """With the retries on, the same withdraw again meets its Duplicate and the task succeeds."""
    _canister(world, "ts-retry")
    before = _balance(world)
    world["net"].faults({"match": {"method": "withdraw"}, "action": "drop_response"})
    world["net"].faults({"match": {"endpoint": "read_state", "canister": LEDGER}, "action": "http_503", "count": 4})
    done = _cycles(world, "ts-retry", amount=T)
    assert not done.get("failed") and done["topped_up"] == T, done
    assert _balance(world) == before - T - FEE
    assert "pending_top_up" not in _entry(world, "ts-retry")


def test_the_fleet_band_whose_reply_was_lost_is_paid_once(world, no_retries):
    owner = world["principal"]
    args = dict(world["common"], registry=world["registry"], canisters=[{
        "name": "ts-fleet", "template": "user", "owner": owner, "wasm": f"{ROOT}/wasm/user.wasm.gz",
        "arg": f'(record {{ owner = principal "{owner}" }})', "funding": "provisional", "cycles": T,
        "cycles_min": 5 * T, "cycles_target": 6 * T, "cycles_source": "cycles_ledger"}])
    made = run_module("ic_fleet", dict(args, canisters=[dict(args["canisters"][0], cycles_min=None)]), world["base"])
    assert not made.get("failed"), made.get("msg")
    before = _balance(world)
    _drop_withdraw(world)
    lost = run_module("ic_fleet", args, world["base"])
    assert lost.get("failed"), lost
    _heal(world)
    paid = before - _balance(world)
    key = _entry(world, "ts-fleet").get("pending_top_up")
    again = run_module("ic_fleet", args, world["base"])
    assert _balance(world) == before - paid
    assert paid > 4 * T and key["cycles"] == paid - FEE
    assert not again.get("failed"), again.get("msg")
    assert "pending_top_up" not in _entry(world, "ts-fleet")


def test_a_duplicate_of_a_refunded_withdraw_is_a_failure_not_a_payment(world, no_retries):
    """The first withdraw went to a canister since deleted (FailedToWithdraw: burnt, refunded
    less the fee) and its reply was lost, its key recorded: the rerun's Duplicate is read as
    refunded (memo 0xFF, not a creation's 0xFD), the key is dropped, and the deleted canister
    is reported, not counted as topped up."""
    ledger_mod, keys, registry_mod = _utils("_ic.cycles_ledger"), _utils("_topup_keys"), _utils("_registry")
    canister_id = _canister(world, "ts-gone")
    agent = _agent(world, world["seed"])
    mgmt = _utils("_ic.management").Management(agent)
    mgmt.stop_canister(canister_id)
    mgmt.delete_canister(canister_id)
    # An amount no other withdraw of this account used: a refund names no burn, and an alike
    # burn before this one could own it (the lookup then does not decide "refunded").
    amount = 2 * T + 7
    key = keys.new_key(canister_id, amount)
    with registry_mod.Registry(world["registry"]).transaction() as data:
        entry = data.get("ts-gone")
        entry["pending_top_up"] = key
        data.put("ts-gone", entry)
    before = _balance(world)
    with pytest.raises(ledger_mod.WithdrawFailed):      # the first attempt (its answer unheard)
        ledger_mod.CyclesLedger(agent).withdraw(canister_id, amount, created_at_time=key["created_at_time"])
    assert _balance(world) == before - 2 * FEE
    rerun = _cycles(world, "ts-gone", amount=amount)
    assert rerun.get("failed") and "\n" not in rerun["msg"] and "does not exist" in rerun["msg"], rerun
    resumed = rerun["resumed_top_up"]
    assert resumed["outcome"] == "failed" and "refunded" in resumed["message"], resumed
    assert "pending_top_up" not in _entry(world, "ts-gone")
    assert _balance(world) == before - 2 * FEE
    agent.close()


def _transfer_at(world, seed, created_at_time):
    """One cycle to the anonymous account, stamped with the network's time."""
    agent = _agent(world, seed)
    try:
        _utils("_ic.cycles_ledger").CyclesLedger(agent).icrc1_transfer("2vxsx-fae", 1, created_at_time=created_at_time)
    finally:
        agent.close()


def test_a_key_past_the_ledgers_window_is_looked_up_in_its_blocks(tmp_path, monkeypatch):
    """The rerun comes after the ledger's 24 h window (TooOld): the burn is found in the
    ledger's blocks with no refund after it, so it is not paid again."""
    from localnet.testing import LocalnetProcess

    pem = str(tmp_path / "op.pem")
    seed = os.urandom(32)
    principal = write_identity(pem, seed)
    with LocalnetProcess() as net:
        net.mint(principal, 100 * T)
        world = {"net": net, "base": str(tmp_path), "principal": principal, "registry": str(tmp_path / "r.yml"),
                 "common": {"network": net.url, "root_key": net.root_key_hex, "identity": pem}}
        _canister(world, "ts-old")
        monkeypatch.setattr(_utils("_unknown_outcomes"), "PENDING_RETRY_DELAYS", ())
        before = _balance(world)
        _drop_withdraw(world)
        assert _cycles(world, "ts-old", amount=3 * T).get("failed")
        _heal(world)
        now_ns = net.advance_time(25 * 3600)
        _transfer_at(world, seed, now_ns)            # a block after the window: the ledger forgets the key
        paid_so_far = _balance(world)
        lookup = _utils("_ledger_lookup")
        found = []
        real = lookup.find_withdrawal
        monkeypatch.setattr(lookup, "find_withdrawal", lambda *a, **k: found.append(real(*a, **k)) or found[-1])
        again = _cycles(world, "ts-old", amount=3 * T)
        assert paid_so_far == before - 3 * T - FEE - (1 + FEE)
        assert _balance(world) == paid_so_far
        assert not again.get("failed") and again["resumed_top_up"]["outcome"] == "paid_before", again
        assert "pending_top_up" not in _entry(world, "ts-old")
        assert found and found[0]["found"] and found[0]["refund_block"] is None   # read from the blocks


def test_a_run_killed_during_its_withdraw_is_not_paid_twice(world):
    """kill -9 of the module while the ledger holds its withdraw (``processing``): the key is on
    disk before the call, the held call runs afterwards, and the rerun settles it as paid."""
    import json
    import signal
    import subprocess
    import sys
    import time

    _canister(world, "ts-kill")
    net = world["net"]
    hold = 4
    net.faults({"match": {"method": "withdraw"}, "action": "hold_processing", "seconds": hold})
    before = _balance(world)
    withdraws = lambda: net.metrics()["by_method"].get(f"{LEDGER}.withdraw", 0)  # noqa: E731
    sent = withdraws()
    args = dict(world["common"], registry=world["registry"], name="ts-kill", source="cycles_ledger", amount=2 * T)
    script = ("import json, sys; sys.path[:0] = json.loads(sys.argv[2]); from inprocess import run_module; "
              "run_module('ic_cycles', json.loads(sys.argv[1]), sys.argv[3])")
    proc = subprocess.Popen([sys.executable, "-c", script, json.dumps(args), json.dumps(sys.path), world["base"]],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while withdraws() == sent and time.monotonic() < deadline:
            time.sleep(0.1)
        held_since = time.monotonic()
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert withdraws() > sent, "the withdraw never reached the ledger"
    key = _entry(world, "ts-kill").get("pending_top_up")
    time.sleep(max(0.0, held_since + hold + 1 - time.monotonic()))   # the held withdraw has run
    net.faults(clear=True)
    assert _balance(world) == before - 2 * T - FEE
    again = _cycles(world, "ts-kill", amount=2 * T)
    assert _balance(world) == before - 2 * T - FEE
    assert key and key["cycles"] == 2 * T
    assert not again.get("failed") and again["resumed_top_up"]["outcome"] == "paid_before", again


def test_an_amount_from_the_ledger_off_a_local_network_needs_a_registry_entry(world):
    """Without an entry the key could not outlive the run: refused before any call."""
    calls = world["net"].metrics()["update_calls"]
    args = dict(world["common"], network="https://icp-api.io", canister_id="lxzze-o7777-77777-aaaaa-cai",
                amount=T, source="cycles_ledger")
    args.pop("root_key")
    refused = run_module("ic_cycles", args, world["base"])
    assert refused.get("failed") and refused["msg"].startswith("registry:") and "\n" not in refused["msg"], refused
    assert "name and registry" in refused["msg"]
    assert world["net"].metrics()["update_calls"] == calls
