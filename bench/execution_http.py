"""Benchmark: what running canister code adds to a call through the whole of localnet.

    .venv/bin/python bench/execution_http.py [--calls 200]

One localnet subprocess, one client (the collection's agent, certified updates, verified
queries), sequential calls. The peer, measured in the same run, is a management-canister call
that runs no Wasm: update ``add`` on the Motoko Counter against ``provisional_top_up_canister``,
query ``get`` against the ``canister_status`` query. Also: the Counter's cycles spent per
update (the execution fees localnet now charges) and the factory's create+install+call.
"""
import argparse
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for path in (os.path.join(ROOT, "tests", "conformance"), os.path.join(ROOT, "plugins",
                                                                       "module_utils"), ROOT):
    if path not in sys.path:
        sys.path.insert(0, path)

import exec_builds  # noqa: E402
from _ic import candid  # noqa: E402
from _ic.agent import Agent  # noqa: E402
from _ic.candid import types as T  # noqa: E402
from _ic.identity import Ed25519Identity  # noqa: E402
from _ic.management import Management  # noqa: E402
from _ic.principal import Principal  # noqa: E402
from localnet.testing import LocalnetProcess  # noqa: E402

MGMT = Principal.management()
CWASM = os.path.join(ROOT, "build", "test-canisters", "cwasm")


def timed(fn, count):
    """Median and mean seconds of ``count`` sequential calls of ``fn``."""
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), statistics.fmean(samples)


def line(name, ours, peer):
    print(f"{name:<34} {ours[0] * 1000:8.2f} ms median {ours[1] * 1000:8.2f} ms mean   "
          f"peer {peer[0] * 1000:7.2f} ms   ratio {ours[0] / peer[0]:5.2f}x")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    os.environ.setdefault("LOCALNET_WASM_CACHE", CWASM)
    identity = Ed25519Identity.generate()
    counter = exec_builds.counter(1)
    factory_wasm = exec_builds.build(["Factory"])["Factory"]
    with LocalnetProcess() as net:
        agent = Agent(net.url, identity, root_key_der=net.root_key_der)
        mgmt = Management(agent)
        cid = mgmt.provisional_create_canister_with_cycles(amount=10 ** 14)
        mgmt.install_code(cid, counter, candid.encode([T.Principal_, T.Nat],
                                                      [identity.sender, 0]))
        add, top_up = candid.encode([T.Nat], [1]), mgmt.encode_arg(
            "provisional_top_up_canister", {"canister_id": cid, "amount": 1})
        status = mgmt.encode_arg("canister_status", {"canister_id": cid})
        empty = candid.encode([], [])
        agent.update(cid, "add", add)   # warm: compiled module, subnet keys
        agent.query(cid, "get", empty)
        before = mgmt.canister_status(cid)["cycles"]
        update = timed(lambda: agent.update(cid, "add", add), args.calls)
        spent = before - mgmt.canister_status(cid)["cycles"]
        peer_update = timed(lambda: agent.update(MGMT, "provisional_top_up_canister", top_up,
                                                 effective_canister_id=cid), args.calls)
        query = timed(lambda: agent.query(cid, "get", empty), args.calls)
        peer_query = timed(lambda: agent.query(MGMT, "canister_status", status,
                                               effective_canister_id=cid), args.calls)

        fid = mgmt.provisional_create_canister_with_cycles(amount=10 ** 14)
        mgmt.install_code(fid, factory_wasm, candid.encode([T.Principal_], [identity.sender]))
        spawn = candid.encode([T.Vec(T.Nat8), T.Nat, T.Nat, T.Nat],
                              [counter, 10 ** 12, 0, 1])
        spawned = timed(lambda: agent.update(fid, "spawn", spawn), 5)
        agent.close()

    print(f"localnet, {args.calls} sequential calls each, one client")
    line("update Counter.add", update, peer_update)
    line("query Counter.get", query, peer_query)
    print(f"{'cycles per add (fees, idle burn)':<34} {spent // args.calls:,}")
    print(f"{'factory spawn (create+install+call)':<34} {spawned[0] * 1000:8.2f} ms median")


if __name__ == "__main__":
    main()
