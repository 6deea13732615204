"""A localnet with two subnets: ranges, routing, NNS delegations in both range formats,
subnet selection on creation and calls across subnets, checked by our client against the
root key only."""
import importlib.util
import os

import pytest

from _ic import candid, cbor
from _ic.agent import Agent
from _ic.certificate import Certificate, lookup_subtree, verify_certificate
from _ic.cycles_ledger import CyclesLedger, LedgerError
from _ic.errors import CertificateError
from _ic.identity import Ed25519Identity
from _ic.management import Management
from _ic.principal import Principal
from localnet.client import MiniClient
from localnet.management.interface import DID
from localnet.testing import LocalnetProcess

LEDGER = Principal.from_text("um5iw-rqaaa-aaaaq-qaaba-cai")
CMC = Principal.from_text("rkp4c-7iaaa-aaaaa-aaaca-cai")
MINUTE_NS = 60 * 10 ** 9
_DRAIN = os.path.join(os.path.dirname(__file__), "..", "..", "plugins", "module_utils",
                      "_drain_module.py")


def _drain_module():
    """The collection's drain module (plain Python: loaded from its file)."""
    spec = importlib.util.spec_from_file_location("drain_module", _DRAIN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def net():
    """One two-subnet localnet for the module."""
    with LocalnetProcess(subnets=2) as process:
        yield process


@pytest.fixture(scope="module")
def subnets(net):
    """``(root, second)`` summaries from ``/_/subnets``."""
    root, second = net.subnet_list()
    return root, second


@pytest.fixture(scope="module")
def user(net):
    """An identity with a funded cycles-ledger account, its Agent and Management client."""
    identity = Ed25519Identity.generate()
    net.mint(identity.sender, 50 * 10 ** 12)
    agent = Agent(net.url, identity, root_key_der=net.root_key_der)
    yield identity, agent, Management(agent)
    agent.close()


@pytest.fixture
def client(net):
    c = MiniClient(net.url, Ed25519Identity.generate(), net.root_key_der)
    yield c
    c.close()


def _pid(text):
    return Principal.from_text(text)


def _in_second(subnets, offset=0xC0000):
    """A specified id in the free (upper) half of the second subnet's range."""
    lo = _pid(subnets[1]["ranges"][0][0]).canister_index()
    return Principal.from_canister_index(lo + offset)


@pytest.fixture(scope="module")
def on_second(net, subnets, user):
    """A canister of ``user`` on the second subnet (provisional creation at a specified id)."""
    return user[2].provisional_create_canister_with_cycles(
        amount=10 ** 13, specified_id=_in_second(subnets))


def _subnet_of(net, canister_id):
    return {c["id"]: c["subnet"] for c in net.canisters()}[str(canister_id)]


def test_the_root_subnet_is_the_root_key_and_ranges_are_distinct(net, subnets):
    root, second = subnets
    assert root["root"] and not second["root"]
    assert _pid(root["id"]) == Principal.self_authenticating(net.root_key_der)
    assert root["public_key"] == net.root_key_hex and second["public_key"] != net.root_key_hex
    raw = [(_pid(lo).raw, _pid(hi).raw) for s in subnets for lo, hi in s["ranges"]]
    raw.sort()
    assert all(a[1] < b[0] for a, b in zip(raw, raw[1:])), "ranges overlap"
    # The root keeps the ids it always had: the system canisters and the first allocated id.
    for cid in (LEDGER, CMC, _pid("bkyz2-fmaaa-aaaaa-qaaaq-cai")):
        assert any(_pid(lo).raw <= cid.raw <= _pid(hi).raw for lo, hi in root["ranges"])
    assert _subnet_of(net, LEDGER) == root["id"]


def test_creation_lands_by_specified_id_or_effective_canister_id(net, subnets, user, on_second):
    _identity, _agent, mgmt = user
    root, second = subnets
    assert _subnet_of(net, on_second) == second["id"]
    plain = mgmt.provisional_create_canister_with_cycles(amount=10 ** 12)
    assert _subnet_of(net, plain) == root["id"]
    # Without a specified id the effective canister id picks the subnet (its allocation block).
    routed = mgmt.provisional_create_canister_with_cycles(amount=10 ** 12,
                                                          effective_canister_id=on_second)
    assert _subnet_of(net, routed) == second["id"]
    lo, hi = (_pid(x).canister_index() for x in second["allocation"])
    assert lo <= routed.canister_index() <= hi
    with pytest.raises(Exception, match="allocation ranges"):
        mgmt.provisional_create_canister_with_cycles(
            amount=10 ** 12, specified_id=Principal.from_canister_index(lo + 7))


def _delegation_tree(cert):
    return Certificate.decode(cert.delegation["certificate"])


def test_v4_and_v3_calls_carry_sharded_and_flat_delegations(net, subnets, client, on_second):
    root, second = subnets
    mine = client.create_canister(cycles=10 ** 12, specified_id=_in_second(subnets, 0xE0000))
    status_arg = candid.encode(DID.arg_types("canister_status"), [{"canister_id": mine}])
    seen = {}
    for version in (3, 4):
        _rid, answer = client.call_raw(LEDGER, "icrc1_fee", candid.encode([], []),
                                       ecid=LEDGER, version=version)
        root_cert = Certificate.decode(answer.cbor()["certificate"])
        assert root_cert.delegation is None   # the root subnet signs with the root key
        _rid, answer = client.call_raw(Principal.management(), "canister_status", status_arg,
                                       ecid=mine, version=version)
        body = answer.cbor()
        assert answer.status == 200, body
        cert = verify_certificate(body["certificate"], net.root_key_der,
                                  effective_canister_id=mine, max_age_ns=MINUTE_NS)
        assert cert.subnet_id == _pid(second["id"])
        seen[version] = _delegation_tree(cert)
    sid = _pid(second["id"]).raw
    ranges = [[_pid(lo).raw, _pid(hi).raw] for lo, hi in second["ranges"]]
    flat, sharded = seen[3], seen[4]
    assert cbor.loads(flat.lookup(["subnet", sid, "canister_ranges"])) == ranges
    assert flat.lookup_result(["canister_ranges", sid]).status == "absent"
    shard = sharded.lookup(["canister_ranges", sid, ranges[0][0]])
    assert cbor.loads(shard) == ranges
    assert sharded.lookup(["subnet", sid, "canister_ranges"]) is None
    for tree in (flat, sharded):
        assert tree.lookup(["subnet", sid, "public_key"]) == bytes.fromhex(second["public_key"])
        assert tree.lookup(["subnet", sid, "type"]) == b"application"
        assert tree.delegation is None
        verify_certificate(tree, net.root_key_der, max_age_ns=MINUTE_NS)


def test_read_state_is_certified_by_the_holding_subnet(net, subnets, client, on_second):
    root, second = subnets
    sid = _pid(second["id"])
    path = [b"canister", on_second.raw, b"controllers"]
    v3 = client.read_state(on_second, [path])
    assert v3.subnet_id == sid
    assert lookup_subtree(_delegation_tree(v3).tree, ["canister_ranges", sid.raw]).status \
        == "found"
    v2 = client.read_state(on_second, [path], version=2)
    assert _delegation_tree(v2).lookup(["subnet", sid.raw, "canister_ranges"]) is not None
    # The ranges are checked: the delegation does not speak for a root-subnet canister.
    raw = client.post(f"/api/v3/canister/{on_second}/read_state",
                      client.envelope(client.content("read_state", paths=[path])))
    with pytest.raises(CertificateError, match="not in the delegated subnet"):
        verify_certificate(raw.cbor()["certificate"], net.root_key_der,
                           effective_canister_id=LEDGER)
    with pytest.raises(CertificateError, match="does not verify"):
        verify_certificate(raw.cbor()["certificate"],
                           bytes.fromhex(second["public_key"]), effective_canister_id=on_second)
    # A root-subnet canister's state is signed by the root key itself.
    assert client.read_state(LEDGER, [[b"canister", LEDGER.raw, b"module_hash"]]).delegation \
        is None


def test_subnet_read_state_per_subnet(net, subnets, client, on_second):
    root, second = subnets
    sid = _pid(second["id"])
    cert = client.read_state(sid, [[b"canister_ranges", sid.raw], [b"subnet", sid.raw]],
                             scope="subnet")
    assert cert.subnet_id == sid
    verify_certificate(client.post(
        f"/api/v3/subnet/{sid}/read_state",
        client.envelope(client.content("read_state", paths=[[b"subnet", sid.raw]])))
        .cbor()["certificate"], net.root_key_der, effective_subnet_id=sid)
    node = _pid(second["node_id"]).raw
    assert cert.lookup(["subnet", sid.raw, "node", node, "public_key"]) is not None
    metrics = cbor.loads(client.read_state(
        sid, [[b"subnet", sid.raw, b"metrics"]], scope="subnet")
        .lookup(["subnet", sid.raw, "metrics"]))
    assert metrics["num_canisters"] >= 1
    assert client.post(f"/api/v3/subnet/{Principal.management()}/read_state",
                       client.envelope(client.content("read_state", paths=[[b"time"]]))
                       ).status == 404


def test_queries_are_signed_by_the_holding_subnets_node(net, subnets, user, on_second):
    _identity, agent, mgmt = user
    root, second = subnets
    assert mgmt.canister_status(on_second)["status"] == {"running": None}
    info = agent.subnet_for(on_second)
    assert info.subnet_id == _pid(second["id"])
    assert set(info.node_keys) == {_pid(second["node_id"]).raw}
    assert agent.subnet_for(LEDGER).subnet_id == _pid(root["id"])


def test_cycles_ledger_subnet_selection(net, subnets, user):
    identity, agent, _mgmt = user
    root, second = subnets
    ledger = CyclesLedger(agent)
    made = ledger.create_canister(2 * 10 ** 12, subnet=_pid(second["id"]))
    cid = made["canister_id"] if isinstance(made, dict) else made
    assert _subnet_of(net, cid) == second["id"]
    before = ledger.icrc1_balance_of(identity.sender)
    unknown = Principal.self_authenticating(b"\x30" * 44)
    with pytest.raises(LedgerError) as failed:
        ledger.create_canister(10 ** 12, subnet=unknown)
    assert failed.value.variant == "FailedToCreate"
    assert "does not exist" in str(failed.value)
    # The ledger's fee for the burn and for the refund, and the CMC's bad-request penalty.
    assert ledger.icrc1_balance_of(identity.sender) == before - 3 * 100_000_000


def test_without_subnet_selection_the_cmc_spreads_creations_over_its_default_subnets(net, subnets, tmp_path):
    """As DFINITY's CMC (rs/nns/cmc/src/main.rs do_create_canister: a random permutation of
    the default subnets); localnet seeds the permutation with the burn block's index, so which
    subnet a creation lands on is the same on every run."""
    from localnet.node import Node
    from localnet.system_canisters.cmc import creation_subnets

    identity = Ed25519Identity.generate()
    net.mint(identity.sender, 10 ** 13)
    agent = Agent(net.url, identity, root_key_der=net.root_key_der)
    ledger = CyclesLedger(agent)
    landed, burns = [], []
    for _ in range(8):
        burns.append(ledger.icrc3_get_blocks(0, 0)[0])
        cid = ledger.create_canister(10 ** 12)
        landed.append(_subnet_of(net, cid["canister_id"] if isinstance(cid, dict) else cid))
    assert set(landed) == {s["id"] for s in subnets}, landed
    node = Node(str(tmp_path), subnets=2)   # another network: same positions, other ids
    try:
        expected = [subnets[creation_subnets(node, LEDGER, None, burn.to_bytes(8, "big"))[0].index]["id"]
                    for burn in burns]
        assert landed == expected
        with pytest.raises(ValueError, match="subnet type verified does not exist"):
            creation_subnets(node, LEDGER, {"Filter": {"subnet_type": "verified"}}, b"")
        application = creation_subnets(node, LEDGER, {"Filter": {"subnet_type": "application"}}, b"")
        assert {s.index for s in application} == {0, 1}
    finally:
        node.close()
        agent.close()


def test_a_canister_on_the_second_subnet_calls_the_root_subnet(net, subnets, user):
    """The drain module calls the cycles ledger (root subnet) and the management canister."""
    identity, agent, mgmt = user
    drain = _drain_module()
    ledger = CyclesLedger(agent)
    target = mgmt.provisional_create_canister_with_cycles(amount=10 ** 12)
    for callee, method, payload in (
            (LEDGER, "deposit", candid.encode(
                list(ledger_deposit_types()),
                [{"to": {"owner": identity.sender, "subaccount": None}, "memo": None}])),
            (Principal.management(), "deposit_cycles",
             mgmt.encode_arg("deposit_cycles", {"canister_id": target}))):
        drainer = mgmt.provisional_create_canister_with_cycles(
            amount=10 ** 13, specified_id=_in_second(subnets, 0xD0000 + len(method)))
        assert _subnet_of(net, drainer) == subnets[1]["id"]
        mgmt.install_code(drainer, drain.DRAIN_WASM,
                          drain.install_arg(callee.raw, method, payload))
        attached, refunded, _reply = drain.parse_reply(agent.update(drainer, "drain", b""))
        assert attached > 9 * 10 ** 12 and attached - refunded > 9 * 10 ** 12
    assert ledger.icrc1_balance_of(identity.sender) > 50 * 10 ** 12
    assert mgmt.canister_status(target)["cycles"] > 10 ** 13


def ledger_deposit_types():
    from _ic.cycles_ledger import ledger_interface
    return ledger_interface().method("deposit").args


SUBNET_SELF_WAT = r"""(module
  (import "ic0" "subnet_self_size" (func $size (result i32)))
  (import "ic0" "subnet_self_copy" (func $copy (param i32 i32 i32)))
  (import "ic0" "msg_reply_data_append" (func $append (param i32 i32)))
  (import "ic0" "msg_reply" (func $reply))
  (memory 1)
  (func (export "canister_query subnet")
    (call $copy (i32.const 0) (i32.const 0) (call $size))
    (call $append (i32.const 0) (call $size))
    (call $reply)))"""


def test_subnet_self_names_the_canisters_own_subnet(net, subnets, user):
    import wasmtime

    _identity, agent, mgmt = user
    wasm = wasmtime.wat2wasm(SUBNET_SELF_WAT)
    for subnet, specified in ((subnets[0], None), (subnets[1], _in_second(subnets, 0xF0000))):
        cid = mgmt.provisional_create_canister_with_cycles(amount=10 ** 12, specified_id=specified)
        mgmt.install_code(cid, wasm)
        assert agent.query(cid, "subnet", b"") == _pid(subnet["id"]).raw


def test_a_store_from_before_subnets_is_migrated(tmp_path):
    """Stores made before the ``subnet`` column get it (every canister on the root subnet); a
    store with canisters on subnet 2 refuses to be served with one subnet."""
    import sqlite3

    from localnet.node import Node

    node = Node(str(tmp_path))
    node.close()
    db = sqlite3.connect(str(tmp_path / "state.sqlite3"))
    rows = db.execute("SELECT id, record FROM canisters").fetchall()
    db.executescript("DROP TABLE canisters; CREATE TABLE canisters "
                     "(id BLOB PRIMARY KEY, record BLOB NOT NULL);")
    db.executemany("INSERT INTO canisters VALUES (?, ?)", rows)
    db.commit()
    db.close()
    node = Node(str(tmp_path), subnets=2)
    assert {c.subnet for c in node.store.canisters.values()} == {0} and len(rows) == 2
    assert node.subnet_of(LEDGER) is node.topology.root
    second = node.topology.subnets[1]
    cid = Principal.from_canister_index(Principal(second.ranges[0][0]).canister_index() + 0xC0000)
    arg = candid.encode(DID.arg_types("provisional_create_canister_with_cycles"),
                        [{"amount": None, "settings": None, "specified_id": cid,
                          "sender_canister_version": None}])
    from localnet.canisters import Message
    assert node.execute(Message(Principal.management(), "provisional_create_canister_with_cycles",
                                arg, Principal.anonymous())).replied
    assert node.store.get(cid).subnet == 1
    node.close()
    with pytest.raises(ValueError, match="--subnets 2"):
        Node(str(tmp_path))
    reopened = Node(str(tmp_path), subnets=2)
    assert reopened.store.get(cid).subnet == 1
    assert reopened.topology.subnets[1].subnet_id == second.subnet_id   # keys survive restarts
    reopened.close()


def _subnet_metrics(client, sid):
    cert = client.read_state(sid, [[b"subnet", sid.raw, b"metrics"]], scope="subnet")
    value = cbor.loads(cert.lookup(["subnet", sid.raw, "metrics"]))
    consumed = value["consumed_cycles_total"]
    return value["update_transactions_total"], consumed[0] + ((consumed.get(1) or 0) << 64)


def test_subnet_metrics_count_each_subnets_own_work(net, subnets, client, on_second):
    """``/subnet/<sid>/metrics`` is the subnet's own (interface spec: transactions processed and
    cycles consumed "on this subnet"; dfinity/ic scheduler.rs counts a round's messages in its
    own subnet's metrics); ``/_/metrics`` adds the same split under ``subnets``."""
    root, second = (_pid(s["id"]) for s in subnets)
    me = client.identity.sender
    net.mint(me, 10 ** 13)
    before = {sid: _subnet_metrics(client, sid) for sid in (root, second)}
    admin_before = net.metrics()["subnets"]
    wanted = _in_second(subnets, 0xD0000)
    made = client.mgmt("provisional_create_canister_with_cycles",
                       {"amount": 10 ** 12, "settings": None, "specified_id": wanted,
                        "sender_canister_version": None}, ecid=wanted)["canister_id"]
    for _ in range(3):
        client.mgmt("canister_status", {"canister_id": made})
    after = {sid: _subnet_metrics(client, sid) for sid in (root, second)}
    assert after[root] == before[root], "work on the second subnet counted on the root subnet"
    assert after[second][0] - before[second][0] == 4
    admin = net.metrics()["subnets"]
    assert admin[str(second)]["update_calls"] - admin_before[str(second)]["update_calls"] == 4
    assert admin[str(root)]["update_calls"] == admin_before[str(root)]["update_calls"]
    assert admin[str(second)]["update_transactions"] == after[second][0]
    # A creation through the cycles ledger: the ledger's message on the root subnet, the
    # creation (and its fee) on the chosen one.
    CyclesLedger(Agent(net.url, client.identity, root_key_der=net.root_key_der)).create_canister(
        10 ** 12, subnet=second)
    last = {sid: _subnet_metrics(client, sid) for sid in (root, second)}
    assert last[root][0] - after[root][0] == 1 and last[root][1] == after[root][1]
    assert last[second][0] - after[second][0] == 1
    assert last[second][1] - after[second][1] == 500_000_000_000


def test_the_cmc_tries_the_next_subnet_when_one_refuses_and_refunds_when_all_do(net, subnets):
    """As DFINITY's CMC (dfinity/ic rs/nns/cmc/src/main.rs do_create_canister: each subnet of
    the permutation in turn, a rejected creation moving on; when all refuse, the last error,
    and create_canister keeps BAD_REQUEST_CYCLES_PENALTY and refunds the rest). The fault
    subnet_full makes the next creation on a subnet fail as at its canister limit."""
    identity = Ed25519Identity.generate()
    net.mint(identity.sender, 10 ** 13)
    agent = Agent(net.url, identity, root_key_der=net.root_key_der)
    ledger = CyclesLedger(agent)
    amount, fee = 10 ** 12, 100_000_000
    try:
        # Whichever subnet the CMC tries first refuses; the creation lands on the other.
        net.faults({"action": "subnet_full"})
        made = ledger.create_canister(amount)
        assert net.admin("GET", "faults") in ([], {"rules": []}), "the first subnet was not tried"
        assert _subnet_of(net, made) in {s["id"] for s in subnets}
        assert ledger.icrc1_balance_of(identity.sender) == 10 ** 13 - amount - fee
        net.faults({"action": "subnet_full", "count": 2})
        with pytest.raises(LedgerError) as failed:
            ledger.create_canister(amount)
        assert failed.value.variant == "FailedToCreate"
        error = failed.value.details["error"]
        tried_last = error.split()[4]
        assert tried_last in {s["id"] for s in subnets}
        assert error == (f"Creating canister in subnet {tried_last} failed with code 1: Subnet {tried_last} has "
                         f"reached the allowed canister limit of {error.split('limit of ')[1].split()[0]} "
                         "canisters. Retry creating the canister.")
        assert failed.value.details["refund_block"] is not None
        assert ledger.icrc1_balance_of(identity.sender) == 10 ** 13 - amount - fee - 3 * fee
    finally:
        net.faults(clear=True)
        agent.close()
