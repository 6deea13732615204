"""What a delegated subnet costs our client, in one run on one two-subnet localnet.

    .venv/bin/python bench/subnets.py [--calls 200]

The same agent makes the same calls to two canisters, one on the root subnet (certificates
signed with the root key) and one on the second subnet (certificates signed by the subnet's
key, carrying the root subnet's delegation: a second BLS check, cached while the delegation is
the same, plus the range check). Update: ``provisional_top_up_canister``; query:
``canister_status`` (node signature checked against the node keys of the right subnet).
Figures: client CPU and wall time per call, second subnet as a ratio to the root subnet.
"""
import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "plugins", "module_utils"), ROOT]

from _ic.agent import Agent  # noqa: E402
from _ic.identity import Ed25519Identity  # noqa: E402
from _ic.management import Management  # noqa: E402
from _ic.principal import Principal  # noqa: E402
from localnet.testing import LocalnetProcess  # noqa: E402


def per_call(fn, calls):
    """(CPU ms, wall ms) per call of ``fn`` after one warm-up call."""
    fn()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(calls):
        fn()
    return ((time.process_time() - cpu) * 1000 / calls,
            (time.perf_counter() - wall) * 1000 / calls)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    calls = parser.parse_args().calls
    with LocalnetProcess(subnets=2) as net:
        agent = Agent(net.url, Ed25519Identity.generate(), root_key_der=net.root_key_der)
        mgmt = Management(agent)
        second = net.subnet_list()[1]
        lo = Principal.from_text(second["ranges"][0][0]).canister_index()
        targets = {"root": mgmt.provisional_create_canister_with_cycles(amount=10 ** 13),
                   "second": mgmt.provisional_create_canister_with_cycles(
                       amount=10 ** 13, specified_id=Principal.from_canister_index(lo + 0xC0000))}
        figures = {}
        for name, cid in targets.items():
            figures[name] = {
                "update": per_call(lambda: mgmt.provisional_top_up_canister(cid, 1), calls),
                "query": per_call(lambda: mgmt.canister_status(cid), calls)}
        agent.close()
    for kind in ("update", "query"):
        (rc, rw), (sc, sw) = figures["root"][kind], figures["second"][kind]
        print(f"{kind}: second subnet / root subnet = {sc / rc:.2f}x CPU "
              f"({sc:.2f} ms vs {rc:.2f} ms), {sw / rw:.2f}x wall ({sw:.2f} ms vs {rw:.2f} ms)")


if __name__ == "__main__":
    main()
