"""Factory canister benchmark: children per second through the on-chain factory (with and
without its pool) against the collection's batch path and an icp-cli loop, and cycles spent per
child against a direct create_canister + install_code; same localnet, one run.

    .venv/bin/python bench/factory.py [--canisters 30] [--concurrency 10] [--forks 10]

Every side makes N user canisters running wasm/user.wasm.gz with their owner's init record:
  - factory: N sign-ups, `create_user_canister(owner)` called by the admin from `--concurrency`
    threads (applications sign users up concurrently); the factory creates and installs;
  - factory + pool: the same after the pool holds N pre-created canisters (refilled by the
    factory's timer between sign-ups, so not timed);
  - provision.yml: the collection's batch path (one ic_fleet run) on an inventory of N hosts;
  - icp-cli loop: `icp canister create` + `icp canister install` per canister (bash loop).
Cycles per child = what the payer lost minus what the new children hold: the factory's balance
for the factory, the cycles-ledger account for icp-cli (create_canister through the ledger, then
install_code). Prints seconds, children/s and the ratios.
"""
import argparse
import concurrent.futures
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "plugins", "module_utils"), ROOT, os.path.join(ROOT, "tests", "integration"),
                os.path.join(ROOT, "tests", "templates"), os.path.join(ROOT, "bench")]

from factory.harness import Factory as Collection, users  # noqa: E402  (paths set up above)
from factory_support import CREATION_FEE, Factory  # noqa: E402
from _ic.identity import Ed25519Identity  # noqa: E402
from localnet.testing import LocalnetProcess  # noqa: E402
from provision import icp_cli_loop, measured  # noqa: E402
from template_canister import Callers  # noqa: E402


def sign_ups(factory, owners, concurrency):
    """create_user_canister for every owner from ``concurrency`` threads; the new ids."""
    def one(owner):
        result = factory.admin("create_user_canister", owner)
        if "Ok" not in result:
            sys.exit(f"create_user_canister failed: {result}")
        return str(result["Ok"])
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(one, owners))


def held_by(net, ids):
    balances = {c["id"]: c["cycles"] for c in net.canisters()}
    return sum(balances[i] for i in ids)


def ledger_balance(net, principal):
    return net.admin("GET", f"balance?owner={principal}")["balance"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--canisters", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--forks", type=int, default=10)
    args = parser.parse_args()
    n = args.canisters
    if n > 100:
        sys.exit("--canisters: at most 100 (the factory's largest pool)")
    with tempfile.TemporaryDirectory(prefix="bench-factory-") as workdir, LocalnetProcess() as net:
        factory = Factory(Callers(net), cycles=10**16)
        factory.register("user")
        owners = [str(Ed25519Identity.generate().sender) for _ in range(3 * n)]

        before = factory.balance()
        ids, f_wall, _ = measured(lambda: sign_ups(factory, owners[:n], args.concurrency))
        f_spent = (before - factory.balance() - held_by(net, ids)) / n

        # The pool's creations are paid before the sign-ups: count them in the cycles, not the time.
        before = factory.balance()
        policy = factory.admin("get_policy")
        assert factory.admin("set_policy", dict(policy, pool_size=n)) == {"Ok": None}
        while factory.admin("get_metrics")["pool_level"] < n:
            factory.admin("run_maintenance")
        pooled, p_wall, _ = measured(lambda: sign_ups(factory, owners[n:2 * n], args.concurrency))
        p_spent = (before - factory.balance() - held_by(net, pooled)) / n

        collection = Collection(net, workdir)
        net.mint(collection.principal, 10**16)
        inventory = collection.inventory("bench.yml", users(n, prefix="b"))
        run, pb_wall, _ = measured(lambda: collection.play("provision.yml", inventory, {"canister_funding": "cycles_ledger"}, args.forks))
        if run.rc != 0:
            sys.exit(f"provision.yml failed: {run.explain()}")

        known = {c["id"] for c in net.canisters()}
        ledger = ledger_balance(net, collection.principal)
        _, cli_wall, _ = measured(lambda: icp_cli_loop(net, collection, owners[2 * n:], workdir))
        made = [c["id"] for c in net.canisters() if c["id"] not in known]
        cli_spent = (ledger - ledger_balance(net, collection.principal) - held_by(net, made)) / len(made)

        print(f"{n} user canisters (create + install), localnet {net.url}, {args.concurrency} concurrent sign-ups, forks {args.forks}")
        for label, wall in (("factory", f_wall), ("factory + pool", p_wall), ("provision.yml", pb_wall), ("icp-cli loop", cli_wall)):
            print(f"  {label:16s} {wall:7.1f} s  {n / wall:6.1f} children/s")
        print(f"  ratio factory / provision.yml:        {f_wall / pb_wall:.2f}x wall")
        print(f"  ratio factory / icp-cli loop:         {f_wall / cli_wall:.2f}x wall")
        print(f"  ratio factory + pool / factory:       {p_wall / f_wall:.2f}x wall")
        print(f"  cycles per child, factory             {f_spent / 1e9:8.2f} B (creation fee, install, the factory's own messages)")
        print(f"  cycles per child, factory + pool      {p_spent / 1e9:8.2f} B")
        print(f"  cycles per child, direct (icp-cli)    {cli_spent / 1e9:8.2f} B (ledger create_canister + install_code)")
        print(f"  ratio factory / direct:               {f_spent / cli_spent:.3f}x cycles; "
              f"above the creation fee {(f_spent - CREATION_FEE) / 1e6:.0f} M vs {(cli_spent - CREATION_FEE) / 1e6:.0f} M "
              f"= {(f_spent - CREATION_FEE) / (cli_spent - CREATION_FEE):.2f}x")


if __name__ == "__main__":
    main()
