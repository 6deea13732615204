"""Crash safety of cycles-ledger creation (issue 12, points 1-3 under kills).

``provision.yml`` creates canisters paid by the cycles ledger while localnet holds a step of
the creation; the whole ansible-playbook tree (its workers call setsid) and localnet itself
are SIGKILLed at the worst moments, localnet restarts on the same state, and later runs must
settle every entry: exactly one canister per registry entry, no canister outside the registry,
no entry left ``creating`` without its key, the ledger account charged once per canister with
the amount recorded with the key (even though ``cycles`` changed between the runs).

The module's localnet answers v3/v4 calls with 202 after 3 s (``--sync-call-timeout``; a replica
waits ~10 s), so the agent falls back to polling the way it does on the IC.
"""
import os
import time

import pytest

from factory.harness import BOTH_PATHS, Factory, users

LEDGER = "um5iw-rqaaa-aaaaq-qaaba-cai"
FEE = 100_000_000
MINTED = 10 ** 14
FIRST_CYCLES = 10 ** 12          # what the killed run asked for (recorded with the key)
LATER_CYCLES = 2 * 10 ** 12      # what the operator asks for afterwards
SYNC_CALL_TIMEOUT = 3


@pytest.fixture(scope="module")
def net():
    """A localnet of this module (kills and faults must not disturb other tests)."""
    from localnet.testing import LocalnetProcess

    with LocalnetProcess(sync_call_timeout=SYNC_CALL_TIMEOUT) as process:
        yield process


@pytest.fixture()
def factory(net, tmp_path):
    """An operator with a fresh identity and MINTED cycles on the ledger."""
    net.faults(clear=True)
    made = Factory(net, tmp_path, identity_seed=os.urandom(32))
    net.mint(made.principal, MINTED)
    return made


def _inventory(factory, names_prefix, count, cycles):
    canisters = users(count, prefix=names_prefix)
    for _template, hostvars in canisters.values():
        hostvars.update(canister_funding="cycles_ledger", cycles=cycles)
    return sorted(canisters), factory.inventory(f"{names_prefix}-{cycles}.yml", canisters)


def _balance(factory):
    return factory.net.admin("GET", f"balance?owner={factory.principal}")["balance"]


def _wait(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _kill_playbook(proc):
    """SIGKILL ansible-playbook with its forks and their setsid'ed workers, and wait until
    none of them runs."""
    workers = Factory.descendants(proc.pid)
    Factory.kill(proc)
    Factory.wait_group_gone(proc, 20, workers)


def _swallow(func, *args):
    try:
        func(*args)
    except OSError:  # the connection dies with the killed localnet
        pass


def _unfinished_keys(factory, names):
    """name -> (created_at_time, creation_cycles) of every entry, all of which must be
    ``creating`` with a ledger key."""
    entries = factory.entries()
    keys = {}
    for name in names:
        entry = entries[name]
        assert entry["status"] == "creating" and not entry.get("canister_id"), entry
        assert entry["funding"] == "cycles_ledger" and entry["created_at_time"], entry
        keys[name] = (entry["created_at_time"], entry["creation_cycles"])
    return keys


def _assert_settled(factory, names, keys):
    """One canister per entry, none outside the registry, each entry's key reused, the account
    charged exactly once per canister with the recorded amount."""
    entries = factory.entries()
    assert all(entries[n]["status"] == "active" and entries[n]["module_hash"] for n in names), entries
    ids = [entries[n]["canister_id"] for n in names]
    assert len(set(ids)) == len(names)
    assert sorted(c["id"] for c in factory.canisters()) == sorted(ids), "a canister outside the registry"
    assert not [n for n, e in entries.items() if e["status"] == "creating"]
    assert all(entries[n].get("created_at_time") in (None, keys[n][0]) for n in names)
    charged = sum(amount + FEE for _at, amount in keys.values())
    assert _balance(factory) == MINTED - charged, "cycles burnt twice (or the changed amount used)"


def test_playbook_and_localnet_killed_after_the_burn_before_the_cmc_answered(factory):
    """The ledger has burnt and recorded three creations whose CMC step is held; the playbook
    tree and localnet are killed then. After the restart the CMC step is still held: a run
    meanwhile learns nothing definite (Duplicate without canister id) and keeps every key; once
    the CMC has answered, a run adopts the three canisters."""
    net = factory.net
    names, first = _inventory(factory, "la", 3, FIRST_CYCLES)
    held = 40
    net.faults({"match": {"method": "create_canister"}, "action": "hold_cmc", "seconds": held, "count": None})
    proc = factory.start("provision.yml", first)
    _wait(lambda: _balance(factory) == MINTED - 3 * (FIRST_CYCLES + FEE), 60, "the three burns")
    released = time.monotonic() + held + 1   # the burns, and so the holds, began before now
    _kill_playbook(proc)
    net.kill()
    keys = _unfinished_keys(factory, names)
    assert all(amount == FIRST_CYCLES for _at, amount in keys.values())
    net.restart()
    assert factory.canisters() == []
    _names, later = _inventory(factory, "la", 3, LATER_CYCLES)
    meanwhile = factory.play("provision.yml", later)
    assert factory.canisters() == [], "the run meant to meet the held step came too late"
    assert meanwhile.rc != 0 and meanwhile.failed_hosts() == names, meanwhile.explain()
    assert all("unknown" in message for message in meanwhile.messages()), meanwhile.messages()
    assert _unfinished_keys(factory, names) == keys
    assert factory.canisters() == [] and _balance(factory) == MINTED - 3 * (FIRST_CYCLES + FEE)
    time.sleep(max(0.0, released - time.monotonic()))
    settled = factory.play("provision.yml", later)
    assert settled.rc == 0, settled.explain()
    _assert_settled(factory, names, keys)


@BOTH_PATHS
def test_localnet_killed_after_the_cmc_created_the_canisters_before_the_reply(factory, batch):
    """The CMC step runs while the client cannot hear (its polls are refused), and localnet is
    killed as soon as the canisters exist, with the playbook tree: the answers never reached
    the client. The next run, with another ``cycles``, adopts them (Duplicate with canister id).
    Both paths of provision.yml: one ic_fleet module run, and one ic_canister run per host in
    the playbook's forks."""
    net = factory.net
    names, first = _inventory(factory, "lb", 3, FIRST_CYCLES)
    extra = {"icp_batch": batch}
    net.faults({"match": {"method": "create_canister"}, "action": "hold_cmc", "seconds": 8, "count": None})
    net.faults({"match": {"endpoint": "read_state", "sender": factory.principal}, "action": "http_503",
                "count": None})
    proc = factory.start("provision.yml", first, extra_vars=extra)
    _wait(lambda: len(factory.canisters()) == 3, 60, "the CMC creating the three canisters")
    net.kill()
    _kill_playbook(proc)
    keys = _unfinished_keys(factory, names)
    net.restart()
    _names, later = _inventory(factory, "lb", 3, LATER_CYCLES)
    settled = factory.play("provision.yml", later, extra_vars=extra)
    assert settled.rc == 0, settled.explain()
    _assert_settled(factory, names, keys)


def test_playbook_killed_while_its_creation_is_held_in_processing(factory):
    """Point 1 under a kill: the ledger creation is accepted but held in ``processing``; the
    playbook tree is killed, the next run creates with the recorded key, and the held call,
    executed afterwards, is a duplicate of it: one canister, one burn."""
    net = factory.net
    names, first = _inventory(factory, "lc", 1, FIRST_CYCLES)
    net.faults({"match": {"method": "create_canister", "sender": factory.principal},
                "action": "hold_processing", "seconds": 30})
    proc = factory.start("provision.yml", first)
    calls = lambda: net.metrics()["by_method"].get(f"{LEDGER}.create_canister", 0)  # noqa: E731
    before = calls()
    _wait(lambda: calls() > before, 60, "the held creation call")
    held_since = time.monotonic()
    _kill_playbook(proc)
    keys = _unfinished_keys(factory, names)
    _names, later = _inventory(factory, "lc", 1, LATER_CYCLES)
    settled = factory.play("provision.yml", later)
    assert settled.rc == 0, settled.explain()
    assert time.monotonic() - held_since < 30, "the held call ran before the rerun had created"
    time.sleep(max(0.0, held_since + 31 - time.monotonic()))   # the held call has run now
    _assert_settled(factory, names, keys)
    again = factory.play("provision.yml", later)
    assert again.rc == 0 and again.total("changed") == 0, again.explain()


# ----- hold_processing answers a sync call the way a replica does -----------------------------

def _signed_create(client):
    """``(request_id, body)`` of a signed provisional create from ``client``'s identity."""
    from _ic import candid, cbor
    from localnet.management.interface import DID

    method = "provisional_create_canister_with_cycles"
    content = client.content("call", "aaaaa-aa", method, candid.encode(
        DID.arg_types(method), [{"amount": 10 ** 12, "settings": None, "specified_id": None}]))
    return cbor.request_id(content), client.envelope(content)


def _timed_post(client, body):
    """``(HTTP answer, seconds it took)`` of a v4 call."""
    started = time.monotonic()
    answer = client.post("/api/v4/canister/aaaaa-aa/call", body)
    return answer, time.monotonic() - started


def test_a_held_sync_call_waits_the_timeout_then_answers_202_and_the_agent_polls(net):
    """A replica keeps a v3/v4 call open up to its ingress timeout: a call that finishes within it
    is answered 200 with its certificate, a longer one 202 when the timeout runs out (not at
    once), and the agent then polls read_state for the answer."""
    from _ic.agent import Agent
    from _ic.identity import Ed25519Identity
    from _ic.management import Management
    from localnet.client import MiniClient

    identity = Ed25519Identity.generate()
    client = MiniClient(net.url, identity, net.root_key_der)
    rule = {"match": {"method": "provisional_create_canister_with_cycles", "sender": str(identity.sender)},
            "action": "hold_processing"}
    net.faults(dict(rule, seconds=1))
    answer, waited = _timed_post(client, _signed_create(client)[1])
    assert answer.status == 200 and answer.cbor()["status"] == "replied"
    assert 1 <= waited < SYNC_CALL_TIMEOUT
    net.faults(dict(rule, seconds=8))
    _request_id, body = _signed_create(client)
    answer, waited = _timed_post(client, body)
    assert answer.status == 202 and SYNC_CALL_TIMEOUT <= waited < 5, (answer.status, waited)
    # The same bytes again (an agent's resend) wait the same way, then get the first call's answer.
    answer, waited = _timed_post(client, body)
    assert answer.status == 202 and SYNC_CALL_TIMEOUT <= waited < 5, (answer.status, waited)
    answer, waited = _timed_post(client, body)
    assert answer.status == 200 and answer.cbor()["status"] == "replied" and waited < SYNC_CALL_TIMEOUT
    net.faults(dict(rule, seconds=5))
    agent = Agent(net.url, identity, root_key_der=net.root_key_der)
    polls = net.metrics()["read_states"]
    started = time.monotonic()
    created = Management(agent).provisional_create_canister_with_cycles(amount=10 ** 12)
    assert time.monotonic() - started >= 5 and net.metrics()["read_states"] > polls
    assert agent.controllers(created) == [identity.sender]
    agent.close()


def test_a_call_held_in_processing_survives_a_localnet_kill(net):
    """An inducted call (``processing``) executes whatever happens to a node: localnet killed
    during the hold keeps it, runs it when the hold ends and answers its request id, so the
    agent's resend of the same bytes after the restart gets that one answer."""
    import threading

    from _ic import candid
    from _ic.agent import Agent
    from _ic.identity import Ed25519Identity
    from localnet.client import MiniClient
    from localnet.management.interface import DID

    identity = Ed25519Identity.generate()
    client = MiniClient(net.url, identity, net.root_key_der)
    method = "provisional_create_canister_with_cycles"
    net.faults({"match": {"method": method, "sender": str(identity.sender)}, "action": "hold_processing",
                "seconds": 6})
    request_id, body = _signed_create(client)
    released = time.monotonic() + 6
    threading.Thread(target=_swallow, args=(client.post, "/api/v4/canister/aaaaa-aa/call", body),
                     daemon=True).start()
    time.sleep(1)
    net.kill()
    net.restart()
    agent = Agent(net.url, identity, root_key_der=net.root_key_der)
    assert agent.request_status("aaaaa-aa", request_id)[0] == "processing"
    reply = agent._submit("aaaaa-aa", body, request_id, time.time_ns() + 120 * 10 ** 9)
    assert time.monotonic() >= released
    made = candid.decode(reply, DID.ret_types(method))[0]["canister_id"]
    mine = [c["id"] for c in net.canisters() if str(identity.sender) in c["controllers"]]
    assert mine == [str(made)]
    agent.close()


# ----- a refund names no burn ------------------------------------------------------------------

def _ledger_play(factory, filename, name, **options):
    """A playbook with one ic_canister task creating ``name`` through the cycles ledger."""
    import yaml

    task = dict(name=name, registry=factory.registry, funding="cycles_ledger", cycles=FIRST_CYCLES, **options)
    play = [{"hosts": "localhost", "connection": "local", "gather_facts": False,
             "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
             "tasks": [{"icp.canister_factory.ic_canister": task}]}]
    path = os.path.join(factory.workdir, filename)
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(play, handle)
    return path


def test_another_creations_refund_does_not_settle_a_held_one(factory):
    """Creation Y (killed run, its CMC step held) and creation X of the same amount from the
    same account, which the CMC refuses and the ledger refunds after Y's burn. A refund block
    names no burn, so X's refund must not be read as Y's: Y stays unknown with its key, and is
    adopted once its CMC step has run. One canister, each burn paid once, X's refund returned."""
    from factory.harness import principal_for
    from _ic.agent import Agent
    from _ic.cycles_ledger import CyclesLedger
    from _ic.identity import load_identity_file

    net = factory.net
    held = 45
    net.faults({"match": {"method": "create_canister"}, "action": "hold_cmc", "seconds": held})
    proc = factory.start(_ledger_play(factory, "y.yml", "y"), "localhost,")
    _wait(lambda: _balance(factory) == MINTED - (FIRST_CYCLES + FEE), 60, "the burn of y")
    released = time.monotonic() + held + 1
    _kill_playbook(proc)
    keys = _unfinished_keys(factory, ["y"])
    # x: another tool of the operator's, whose creation the CMC refuses (a subnet it does not know).
    with pytest.raises(Exception, match="FailedToCreate"):
        CyclesLedger(Agent(net.url, load_identity_file(factory.identity), root_key_der=net.root_key_der)) \
            .create_canister(FIRST_CYCLES, subnet=principal_for("no such subnet"))
    meanwhile = factory.play(_ledger_play(factory, "y.yml", "y"), "localhost,")
    assert factory.canisters() == [], "the run meant to meet the held step came too late"
    assert meanwhile.rc != 0 and "unknown" in meanwhile.stdout, meanwhile.explain()
    assert _unfinished_keys(factory, ["y"]) == keys, "another creation's refund settled y"
    time.sleep(max(0.0, released - time.monotonic()))
    settled = factory.play(_ledger_play(factory, "y.yml", "y"), "localhost,")
    assert settled.rc == 0, settled.explain()
    entries = factory.entries()
    assert entries["y"]["status"] == "active"
    assert [c["id"] for c in factory.canisters()] == [entries["y"]["canister_id"]]
    # X's refund: the amount less the CMC's bad-request penalty (100 M) and the ledger's fee.
    assert _balance(factory) == MINTED - 2 * (FIRST_CYCLES + FEE) + (FIRST_CYCLES - 100_000_000 - FEE)
