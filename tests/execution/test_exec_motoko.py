"""Motoko canisters (EOP 64-bit and classic 32-bit) compiled from source during the run."""
import pytest

from exec_helpers import OWNER, STRANGER, counter_init, decode, nat, principal_text, text, unit
from exec_scheduler import Net
from _ic.principal import Principal
from localnet.execution import Message

TRAP_HELP = ("Consider gracefully handling failures from this canister or altering the canister "
             "to handle exceptions. See documentation: "
             "http://internetcomputer.org/docs/current/references/execution-errors#trapped-explicitly")


@pytest.fixture(params=["eop", "classic"])
def persistence(request):
    return request.param


@pytest.fixture
def net(engine):
    return Net(engine)


@pytest.fixture
def counter(net, motoko_builds, persistence):
    state = net.create(controllers=[OWNER])
    result = net.install(state, motoko_builds[(persistence, 1)], counter_init(start=5), OWNER)
    assert result.committed, result.error
    return state


def get(net, state):
    return decode(net.ingress(state, "get", unit(), STRANGER, kind="query"))[0]


def test_module_width(engine, motoko_builds):
    assert engine.validate(motoko_builds[("eop", 1)]).memory64
    assert engine.validate(motoko_builds[("eop", 1)]).enhanced_orthogonal_persistence
    assert not engine.validate(motoko_builds[("classic", 1)]).memory64


def test_init_args_update_and_query(net, counter):
    assert get(net, counter) == 5
    assert decode(net.ingress(counter, "add", nat(3), STRANGER)) == [8]
    assert get(net, counter) == 8
    assert (counter.canister_id, b"add 3 -> 8") in net.logs


def test_caller_is_seen(net, counter):
    assert decode(net.ingress(counter, "whoami", unit(), STRANGER, kind="query")) == \
        [Principal(STRANGER)]


def test_owner_only_method_traps_for_others(net, counter):
    net.ingress(counter, "add", nat(1), OWNER)
    version = counter.version
    response = net.ingress(counter, "reset", unit(), STRANGER)
    assert response == ("reject", 5,
                        f"Error from Canister {principal_text(counter.canister_id)}: Canister called "
                        "`ic0.trap` with message: 'only the owner may reset'.\n" + TRAP_HELP,
                        "IC0503")
    assert get(net, counter) == 6 and counter.version == version
    assert decode(net.ingress(counter, "reset", unit(), OWNER)) == []
    assert get(net, counter) == 0


def test_trap_rolls_back_heap(net, counter):
    before = counter.heap()
    response = net.ingress(counter, "addThenTrap", nat(100), OWNER)
    assert response[0] == "reject" and response[3] == "IC0503"
    assert get(net, counter) == 5
    assert counter.heap() == before
    assert (counter.canister_id, b"[TRAP]: boom after add") in net.logs


def test_query_never_commits(net, counter):
    assert decode(net.ingress(counter, "bumpInQuery", unit(), OWNER, kind="query")) == [1005]
    assert decode(net.ingress(counter, "bumpInQuery", unit(), OWNER, kind="query")) == [1005]
    assert get(net, counter) == 5
    # A query method called as an update runs as a replicated query: still no commit.
    assert decode(net.ingress(counter, "bumpInQuery", unit(), OWNER)) == [1005]
    assert get(net, counter) == 5


def test_endless_loop_hits_instruction_limit(engine, net, counter):
    result = engine.run(counter, Message("update", "spin", unit(), OWNER,
                                         instruction_limit=2_000_000))
    assert not result.committed
    assert result.response[3] == "IC0522"
    assert "Canister exceeded the limit of 2000000 instructions for single message execution." \
        in result.response[2]
    assert result.instructions == 2_000_000
    assert decode(net.ingress(counter, "add", nat(1), OWNER)) == [6]


def test_upgrade_keeps_data(net, counter, motoko_builds, persistence, engine):
    net.ingress(counter, "add", nat(10), OWNER)
    net.ingress(counter, "note", text("kept"), OWNER)
    keep = "keep" if persistence == "eop" else None
    result = engine.upgrade(counter, motoko_builds[(persistence, 2)], counter_init(start=1),
                            OWNER, wasm_memory_persistence=keep)
    assert result.committed, result.error
    assert get(net, counter) == 15
    assert decode(net.ingress(counter, "getNotes", unit(), OWNER, kind="query")) == [["kept"]]
    assert decode(net.ingress(counter, "version", unit(), OWNER, kind="query")) == [2]
    assert decode(net.ingress(counter, "add", nat(1), OWNER)) == [16]


def test_failed_post_upgrade_keeps_old_version(net, counter, motoko_builds, persistence, engine):
    net.ingress(counter, "add", nat(10), OWNER)
    keep = "keep" if persistence == "eop" else None
    stable_before = counter.stable.snapshot()
    result = engine.upgrade(counter, motoko_builds[(persistence, 2)], counter_init(start=666),
                            OWNER, wasm_memory_persistence=keep)
    assert not result.committed
    assert result.error.error_code == "IC0503"
    assert "post_upgrade refused" in result.error.message
    assert counter.stable.snapshot() == stable_before
    assert get(net, counter) == 15
    assert net.ingress(counter, "version", unit(), OWNER, kind="query")[3] == "IC0536"
    assert decode(net.ingress(counter, "add", nat(1), OWNER)) == [16]


def test_eop_upgrade_needs_persistence_option(engine, net, motoko_builds):
    state = net.create(controllers=[OWNER])
    assert net.install(state, motoko_builds[("eop", 1)], counter_init(), OWNER).committed
    result = engine.upgrade(state, motoko_builds[("eop", 2)], counter_init(), OWNER)
    assert not result.committed and result.error.error_code == "IC0504"
    assert "Missing upgrade option" in result.error.message
    result = engine.upgrade(state, motoko_builds[("classic", 2)], counter_init(), OWNER,
                            wasm_memory_persistence="keep")
    assert "Invalid upgrade option" in result.error.message
    assert get(net, state) == 5


def test_reinstall_starts_fresh(engine, net, counter, motoko_builds, persistence):
    net.ingress(counter, "add", nat(10), OWNER)
    result = engine.install(counter, motoko_builds[(persistence, 1)], counter_init(start=1),
                            OWNER, mode="reinstall")
    assert result.committed, result.error
    assert get(net, counter) == 1

