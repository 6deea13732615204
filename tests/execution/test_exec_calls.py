"""Inter-canister calls routed by the in-test scheduler: requests, replies, rejects, cycles."""
import pytest

from exec_helpers import OWNER, STRANGER, counter_init, decode, unit
from exec_scheduler import Net
from _ic import candid
from _ic.candid import types as T
from _ic.principal import Principal


@pytest.fixture
def net(engine):
    return Net(engine)


@pytest.mark.parametrize("persistence", ["eop", "classic"])
def test_motoko_calls_another_canister(net, motoko_builds, persistence):
    a, b = net.create([OWNER]), net.create([OWNER])
    for state, start in ((a, 1), (b, 100)):
        assert net.install(state, motoko_builds[(persistence, 1)], counter_init(start=start),
                           OWNER).committed
    arg = candid.encode([T.Principal_, T.Nat], [Principal(b.canister_id), 7])
    assert decode(net.ingress(a, "addTo", arg, STRANGER)) == [107]
    assert (a.canister_id, b.canister_id, "add") in net.calls
    assert decode(net.ingress(b, "get", unit(), STRANGER, kind="query")) == [107]
    assert decode(net.ingress(a, "get", unit(), STRANGER, kind="query")) == [2]
    assert (a.canister_id, b"remote add returned 107") in net.logs


def test_motoko_reject_callback(net, motoko_builds):
    a, b = net.create([OWNER]), net.create([OWNER])
    for state in (a, b):
        assert net.install(state, motoko_builds[("eop", 1)], counter_init(), OWNER).committed
    arg = candid.encode([T.Principal_], [Principal(b.canister_id)])
    assert decode(net.ingress(a, "askMissing", arg, STRANGER)) == ["caught"]
    missing = candid.encode([T.Principal_], [Principal.from_canister_index(999)])
    assert decode(net.ingress(a, "askMissing", missing, STRANGER)) == ["caught"]


def test_rust_call_reply_and_reject(net, rust_build):
    a, b = net.create([OWNER]), net.create([OWNER])
    for state in (a, b):
        assert net.install(state, rust_build, (0).to_bytes(8, "little"), OWNER).committed
    # on_reply adds its env (10) to the caller's counter and forwards the callee's reply.
    assert net.ingress(a, "call_inc", b.canister_id, OWNER) == ("reply", (1).to_bytes(8, "little"))
    assert net.ingress(a, "get", b"", OWNER, kind="query") == ("reply", (10).to_bytes(8, "little"))
    ghost = Principal.from_canister_index(999).raw
    assert net.ingress(a, "call_inc", ghost, OWNER) == ("reply", b"R\x03")


def test_callback_trap_answers_original_caller(engine, net, rust_build):
    from localnet.execution import CallResponse, Message
    a, b = net.create([OWNER]), net.create([OWNER])
    for state in (a, b):
        assert net.install(state, rust_build, (0).to_bytes(8, "little"), OWNER).committed
    first = engine.run(a, Message("update", "call_inc", b.canister_id, OWNER))
    assert first.response is None and first.committed and len(first.calls) == 1
    call = first.calls[0]
    assert (call.callee, call.method, call.arg) == (b.canister_id, "inc", b"")
    assert first.call_context.outstanding == 1
    # A callback pointing outside the function table fails; the original caller learns why.
    call.callback.reply_fun = 999
    result = engine.run_callback(a, call.callback, CallResponse(reply=b"12345678"))
    assert not result.committed and result.error.error_code == "IC0513"
    assert result.response[0] == "reject" and result.response[3] == "IC0513"
    assert first.call_context.responded and first.call_context.outstanding == 0


def test_composite_query_calls_a_query_and_discards_its_changes(engine, net):
    from exec_wat import COMPOSITE, canister, le
    from localnet.execution import CallResponse, Message
    a, b = net.create(), net.create()
    for state in (a, b):
        assert net.install(state, canister(COMPOSITE)).committed
    assert net.ingress(a, "ask", b.canister_id, kind="query") == ("reply", le(0))
    assert (a.canister_id, b.canister_id, "count") in net.calls
    assert net.ingress(a, "count", kind="query") == ("reply", le(0))
    # While it waits for its call, the canister takes no other message.
    first = engine.run(a, Message("query", "ask", b.canister_id))
    assert first.response is None and len(first.calls) == 1
    assert "one composite query per canister" in \
        engine.run(a, Message("query", "count")).response[2]
    done = engine.run_callback(a, first.calls[0].callback, CallResponse(reply=le(7)))
    assert done.response == ("reply", le(7)) and not done.committed
    assert engine.run(a, Message("query", "count")).response == ("reply", le(0))
