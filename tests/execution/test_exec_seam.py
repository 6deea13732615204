"""The engine behind localnet's execution seam: a Node in-process, no HTTP."""
import os

import pytest

import exec_canisters
from exec_helpers import OWNER, STRANGER, counter_init, decode, nat, unit
from _ic import candid
from _ic.candid import types as T
from _ic.principal import Principal

node_module = pytest.importorskip("localnet.node")
canisters = pytest.importorskip("localnet.canisters")

MANAGEMENT = Principal.management()
OWNER_P = Principal(OWNER)
MODE = T.Variant({"install": T.Null, "reinstall": T.Null, "upgrade": T.Opt(T.Record({
    "skip_pre_upgrade": T.Opt(T.Bool),
    "wasm_memory_persistence": T.Opt(T.Variant({"keep": T.Null, "replace": T.Null}))}))})
INSTALL = T.Record({"mode": MODE, "canister_id": T.Principal_, "wasm_module": T.Vec(T.Nat8),
                    "arg": T.Vec(T.Nat8)})
CREATE = T.Record({"amount": T.Opt(T.Nat), "specified_id": T.Opt(T.Principal_)})


def manage(node, method, types, values, result=None, caller=OWNER_P):
    outcome = node.execute(canisters.Message(MANAGEMENT, method, candid.encode(types, values),
                                             caller))
    assert outcome.replied, outcome
    return candid.decode(outcome.reply, result)


def create_and_install(node, wasm, arg):
    created = manage(node, "provisional_create_canister_with_cycles", [CREATE],
                     [{"amount": 10**13, "specified_id": None}],
                     [T.Record({"canister_id": T.Principal_})])
    cid = created[0]["canister_id"]
    manage(node, "install_code", [INSTALL], [{"mode": {"install": None}, "canister_id": cid,
                                              "wasm_module": wasm, "arg": arg}])
    return cid


def update(node, cid, method, arg, caller=STRANGER):
    outcome = node.execute(canisters.Message(cid, method, arg, Principal(caller)))
    return ("reply", outcome.reply) if outcome.replied else \
        ("reject", outcome.reject_code, outcome.reject_message, outcome.error_code)


def query(node, cid, method, arg=None):
    outcome = canisters.run_query(node, node.store.transaction(), canisters.Message(
        cid, method, unit() if arg is None else arg, Principal(STRANGER), kind="query"))
    return decode(("reply", outcome.reply) if outcome.replied else ("reject", outcome))


@pytest.fixture
def node(tmp_path, monkeypatch):
    monkeypatch.setenv("LOCALNET_WASM_CACHE", os.path.join(exec_canisters.BUILD, "cwasm"))
    n = node_module.Node(str(tmp_path))
    if n.engine is None:
        pytest.fail("localnet did not load the execution engine")
    yield n
    n.close()


def test_install_update_query_restart(node, motoko_builds, tmp_path):
    cid = create_and_install(node, motoko_builds[("eop", 1)], counter_init(start=5))
    assert decode(update(node, cid, "add", nat(2))) == [7]
    assert query(node, cid, "bumpInQuery") == [1007]
    assert query(node, cid, "get") == [7]
    record = node.store.get(cid)
    assert record.wasm_memory_size > 0 and record.logs[-1]["content"] == b"add 2 -> 7"
    assert update(node, cid, "reset", unit())[3] == "IC0503"
    node.close()
    again = node_module.Node(str(tmp_path))
    try:
        assert query(again, cid, "get") == [7]
        assert decode(update(again, cid, "add", nat(1))) == [8]
    finally:
        again.close()


def test_calls_between_canisters_and_upgrade(node, motoko_builds):
    a = create_and_install(node, motoko_builds[("classic", 1)], counter_init(start=1))
    b = create_and_install(node, motoko_builds[("classic", 1)], counter_init(start=100))
    arg = candid.encode([T.Principal_, T.Nat], [b, 5])
    assert decode(update(node, a, "addTo", arg)) == [105]
    assert query(node, a, "get") == [2] and query(node, b, "get") == [105]
    manage(node, "install_code", [INSTALL], [{
        "mode": {"upgrade": None}, "canister_id": a,
        "wasm_module": motoko_builds[("classic", 2)], "arg": counter_init(start=0)}])
    assert query(node, a, "get") == [2] and query(node, a, "version") == [2]


def test_global_timer_fires_through_run_timers(node):
    from exec_wat import canister
    wasm = canister('''
      (func (export "canister_update arm")
        (drop (call $timer (i64.add (call $time) (i64.const 1000000000))))
        (call $reply_i64 (i64.const 0)))
      (func (export "canister_global_timer")
        (global.set $counter (i64.add (global.get $counter) (i64.const 1))))
      (func (export "canister_query count") (call $reply_i64 (global.get $counter)))''')
    cid = create_and_install(node, wasm, b"")
    assert update(node, cid, "arm", b"")[0] == "reply"

    def tick():
        with node.lock:
            tx = node.store.transaction()
            ran = node.engine.run_timers(tx)
            tx.commit()
        return ran
    assert tick() == 0
    node.advance_time(2)
    assert tick() == 1 and tick() == 0
    outcome = canisters.run_query(node, node.store.transaction(), canisters.Message(
        cid, "count", b"", Principal(STRANGER), kind="query"))
    assert outcome.reply == (1).to_bytes(8, "little")


def test_snapshot_load_and_cache_eviction(node, motoko_builds):
    node.engine._cache.size = 1
    a = create_and_install(node, motoko_builds[("eop", 1)], counter_init(start=10))
    b = create_and_install(node, motoko_builds[("eop", 1)], counter_init(start=20))
    for _ in range(2):
        assert decode(update(node, a, "add", nat(1)))[0] in (11, 12)
        assert decode(update(node, b, "add", nat(1)))[0] in (21, 22)
    snap_types = [T.Record({"canister_id": T.Principal_})]
    taken = manage(node, "take_canister_snapshot", snap_types, [{"canister_id": a}],
                   [T.Record({"id": T.Vec(T.Nat8)})])
    assert decode(update(node, a, "add", nat(100))) == [112]
    manage(node, "load_canister_snapshot",
           [T.Record({"canister_id": T.Principal_, "snapshot_id": T.Vec(T.Nat8)})],
           [{"canister_id": a, "snapshot_id": taken[0]["id"]}])
    assert query(node, a, "get") == [12] and query(node, b, "get") == [22]
    assert decode(update(node, a, "add", nat(1))) == [13]


def test_composite_query_through_the_node(node):
    from exec_wat import COMPOSITE, canister, le
    a = create_and_install(node, canister(COMPOSITE), b"")
    b = create_and_install(node, canister(COMPOSITE), b"")
    outcome = canisters.run_query(node, node.store.transaction(), canisters.Message(
        a, "ask", b.raw, Principal(STRANGER), kind="query"))
    assert outcome.reply == le(0)
    outcome = canisters.run_query(node, node.store.transaction(), canisters.Message(
        a, "count", b"", Principal(STRANGER), kind="query"))
    assert outcome.reply == le(0)
