"""A timer and certified data set in canister_init survive the install and work on localnet:
the node fires the timer, and queries get a certificate of the data (icp-cli installs and
calls; the collection's agent checks the certificate)."""
import time

from exec_support import cycles_of, net, write_wasm  # noqa: F401
from _ic import candid
from _ic.agent import Agent
from _ic.candid import types as T
from _ic.certificate import verify_certificate
from _ic.principal import Principal
from localnet.execution import fees


def nat_query(icp, cid, method):
    out = icp.run("canister", "call", cid, method, "()", "--query").stdout
    return int(out.strip().strip("()").split(":")[0].strip().replace("_", ""))


def ticks(icp, cid):
    return nat_query(icp, cid, "getTicks")


def wait_for_tick(icp, cid, timeout=10.0):
    deadline = time.monotonic() + timeout
    while ticks(icp, cid) == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    return ticks(icp, cid)


def certified_data(net, cid):
    """The certified data in the certificate the canister's query gets, checked against the
    root key (read_state may not ask for it: the IC refuses that path over HTTP)."""
    agent = Agent(net.url, root_key_der=net.root_key_der)
    try:
        reply = agent.query(cid, "certificate", candid.encode([], []))
    finally:
        agent.close()
    blob = candid.decode(reply, [T.Opt(T.Vec(T.Nat8))])[0]
    principal = Principal.from_text(cid)
    cert = verify_certificate(blob, net.root_key_der, effective_canister_id=principal)
    return cert.lookup([b"canister", principal.raw, b"certified_data"])


def test_timer_and_certified_data_from_init(net, icp, tmp_path):
    net.mint(icp.alice, 5_000_000_000_000)
    cid = icp.run("canister", "create", "--detached", "-q").stdout.split()[-1]
    wasm = write_wasm(tmp_path, "Ticker")
    icp.run("canister", "install", cid, "--wasm", wasm)
    assert certified_data(net, cid) == b"set in init"
    assert wait_for_tick(icp, cid) == 1

    # Reinstall runs canister_init again on fresh state: the timer fires once more.
    icp.run("canister", "install", cid, "--wasm", wasm, "--mode", "reinstall", "--yes")
    assert certified_data(net, cid) == b"set in init"
    assert wait_for_tick(icp, cid) == 1
    time.sleep(0.6)
    assert ticks(icp, cid) == 1  # one-shot: it does not fire again


def test_heartbeats_run_every_round_and_cost_cycles(net, icp, tmp_path):
    net.mint(icp.alice, 5_000_000_000_000)
    cid = icp.run("canister", "create", "--detached", "-q").stdout.split()[-1]
    icp.run("canister", "install", cid, "--wasm", write_wasm(tmp_path, "Ticker"))
    first, cycles_first = nat_query(icp, cid, "getBeats"), cycles_of(net, cid)
    time.sleep(1.0)
    second, cycles_second = nat_query(icp, cid, "getBeats"), cycles_of(net, cid)
    assert second > first + 1
    # Every heartbeat pays at least the base execution fee (idle burn alone is far less); one
    # beat may fall between reading the counter and reading the balance.
    assert cycles_first - cycles_second >= (second - first - 1) * fees.UPDATE_BASE_FEE

    # A frozen canister runs no system tasks: only the idle burn goes on.
    icp.run("canister", "settings", "update", cid, "--freezing-threshold", str(2 ** 63))
    frozen = cycles_of(net, cid)
    time.sleep(1.0)
    assert frozen - cycles_of(net, cid) < fees.UPDATE_BASE_FEE
