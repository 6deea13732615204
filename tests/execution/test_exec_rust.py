"""The no_std Rust canister (wasm32, raw-byte interface)."""
import pytest

from exec_helpers import OWNER, STRANGER, principal_text
from exec_scheduler import Net
from localnet.execution import Message


def le(n):
    return n.to_bytes(8, "little")


@pytest.fixture
def net(engine):
    return Net(engine)


@pytest.fixture
def canister(net, rust_build):
    state = net.create([OWNER])
    result = net.install(state, rust_build, le(41), OWNER)
    assert result.committed, result.error
    return state


def test_is_32_bit_without_start(engine, rust_build):
    info = engine.validate(rust_build)
    assert not info.memory64
    assert {"inc", "set_owner_only", "call_inc"} <= info.update_methods
    assert info.query_methods == {"get", "bump_in_query"}


def test_init_update_query_and_log(net, canister):
    assert net.ingress(canister, "get", kind="query") == ("reply", le(41))
    assert net.ingress(canister, "inc", caller=STRANGER) == ("reply", le(42))
    assert (canister.canister_id, b"inc") in net.logs
    assert canister.version == 1


def test_bad_init_arg_fails_install(net, rust_build):
    state = net.create([OWNER])
    result = net.install(state, rust_build, b"short", OWNER)
    assert not result.committed and state.is_empty
    assert result.error.message == (
        f"Error from Canister {principal_text(state.canister_id)}: Canister called `ic0.trap` "
        "with message: 'expected 8 bytes'.\nConsider gracefully handling failures from this "
        "canister or altering the canister to handle exceptions. See documentation: "
        "http://internetcomputer.org/docs/current/references/execution-errors#trapped-explicitly")


def test_owner_only(net, canister):
    assert net.ingress(canister, "set_owner_only", le(7), STRANGER)[3] == "IC0503"
    assert net.ingress(canister, "get", kind="query") == ("reply", le(41))
    assert net.ingress(canister, "set_owner_only", le(7), OWNER) == ("reply", b"")
    assert net.ingress(canister, "get", kind="query") == ("reply", le(7))


def test_trap_rolls_back_heap_and_stable_memory(net, canister):
    response = net.ingress(canister, "inc_then_trap", caller=OWNER)
    assert response[:2] == ("reject", 5) and "inc_then_trap" in response[2]
    assert canister.stable.pages == 0
    assert net.ingress(canister, "get", kind="query") == ("reply", le(41))


def test_query_changes_are_discarded(net, canister):
    assert net.ingress(canister, "bump_in_query", kind="query") == ("reply", le(141))
    assert net.ingress(canister, "get", kind="query") == ("reply", le(41))


def test_reject_and_unknown_method(net, canister):
    assert net.ingress(canister, "reject_me") == ("reject", 4, "go away", "IC0406")
    response = net.ingress(canister, "nope")
    assert response[:2] == ("reject", 5) and response[3] == "IC0536"
    assert "Canister has no update method 'nope'." in response[2]
    assert net.ingress(canister, "inc", kind="query")[3] == "IC0536"


def test_instruction_limit(engine, canister):
    result = engine.run(canister, Message("update", "forever", instruction_limit=100_000))
    assert result.response[3] == "IC0522" and not result.committed
    assert result.response[2].startswith(
        f"Error from Canister {principal_text(canister.canister_id)}: Canister exceeded the limit "
        "of 100000 instructions for single message execution.\nTry optimizing")


def test_upgrade_through_stable_memory(engine, net, canister, rust_build):
    net.ingress(canister, "inc")
    result = engine.upgrade(canister, rust_build, b"", OWNER)
    assert result.committed, result.error
    assert canister.stable.pages == 1
    assert net.ingress(canister, "get", kind="query") == ("reply", le(42))
    # the owner survived the upgrade too
    assert net.ingress(canister, "set_owner_only", le(1), STRANGER)[3] == "IC0503"


def test_failed_upgrade_changes_nothing(engine, net, canister, rust_build):
    net.ingress(canister, "inc")
    heap, stable = canister.heap(), canister.stable.snapshot()
    result = engine.upgrade(canister, rust_build, b"\xff", OWNER)
    assert not result.committed and "post_upgrade refused" in result.error.message
    assert canister.heap() == heap and canister.stable.snapshot() == stable
    assert net.ingress(canister, "inc") == ("reply", le(43))


def test_upgrade_of_empty_canister(engine, net, rust_build):
    state = net.create([OWNER])
    result = engine.upgrade(state, rust_build, b"", OWNER)
    assert result.error.error_code == "IC0537"
    assert net.ingress(state, "inc")[3] == "IC0537"
