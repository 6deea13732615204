"""Factory autoscaling benchmark: what the on-chain check costs a maintenance run, and what a
shard costs against a sign-up; same localnet, one factory, one run.

    .venv/bin/python bench/factory_autoscale.py [--children 30] [--full 10] [--runs 5]

  - check: `run_maintenance` over N memory children (it reads all of them: N <= 50), autoscaling
    off against on with no child past scale_at (median of --runs each);
  - shards: --full children are made past scale_at (their wasm_memory_limit lowered), one
    `run_maintenance` creates their shards, against as many sign-ups (`create_feature_canister`,
    one after another like the timer); time and cycles per canister (the factory's balance lost
    minus what the new canisters hold).
Prints seconds and the ratios.
"""
import argparse
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "plugins", "module_utils"), ROOT, os.path.join(ROOT, "tests", "templates")]

from factory_support import Factory  # noqa: E402  (paths set up above)
from _ic.identity import Ed25519Identity  # noqa: E402
from localnet.testing import LocalnetProcess  # noqa: E402
from template_canister import Callers  # noqa: E402


def set_scaling(factory, **fields):
    current = factory.admin("get_template_policy", "memory")
    assert "Ok" in factory.admin("set_template_policy", "memory", dict(current, **fields))


def maintenance_seconds(factory, runs):
    """Median seconds of ``runs`` run_maintenance calls, and the last report."""
    times, report = [], None
    for _ in range(runs):
        start = time.perf_counter()
        report = factory.admin("run_maintenance")["Ok"]
        times.append(time.perf_counter() - start)
    return statistics.median(times), report


def held_by(net, ids):
    balances = {c["id"]: c["cycles"] for c in net.canisters()}
    return sum(balances[str(i)] for i in ids)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=30)
    parser.add_argument("--full", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with LocalnetProcess() as net:
        callers = Callers(net)
        factory = Factory(callers, cycles=500 * 10**12)
        factory.register("memory")
        mgmt = callers.management()
        children = [factory.admin("create_feature_canister", "memory", Ed25519Identity.generate().sender, b"")["Ok"]
                    for _ in range(args.children)]

        off, _ = maintenance_seconds(factory, args.runs)
        set_scaling(factory, scale_at=80, max_shards=2, autoscale=True)
        on, report = maintenance_seconds(factory, args.runs)
        assert report["shards_created"] == 0 and report["refreshed"] == args.children, report
        print(f"check: run_maintenance over {args.children} children {off:.3f}s off, {on:.3f}s on "
              f"(nothing due) = {on / off:.2f}x")

        for cid in children[:args.full]:
            heap = mgmt.canister_status(cid)["memory_metrics"]["wasm_memory_size"]
            mgmt.update_settings(cid, {"wasm_memory_limit": heap * 100 // 90})
        before = factory.balance()
        start = time.perf_counter()
        report = factory.admin("run_maintenance")["Ok"]
        shard_time = time.perf_counter() - start
        assert report["shards_created"] == args.full, report
        shards = [i["canister_id"] for i in factory.admin("list_canisters", {
            "offset": 0, "limit": 500, "canister_type": "memory", "status": None, "owner": None})["items"]
            if i["shard_index"] is not None]
        shard_cycles = (before - factory.balance() - held_by(net, shards)) / args.full

        set_scaling(factory, autoscale=False)
        before = factory.balance()
        start = time.perf_counter()
        signed = [factory.admin("create_feature_canister", "memory", Ed25519Identity.generate().sender, b"")["Ok"]
                  for _ in range(args.full)]
        sign_up_time = time.perf_counter() - start
        sign_up_cycles = (before - factory.balance() - held_by(net, signed)) / args.full
        print(f"shards: {args.full} by one run_maintenance {shard_time:.2f}s (and it refreshed "
              f"{report['refreshed']} children) vs {args.full} sign-ups {sign_up_time:.2f}s = "
              f"{shard_time / sign_up_time:.2f}x")
        print(f"cycles per canister beyond what it holds: shard {shard_cycles / 1e9:.2f} B vs sign-up "
              f"{sign_up_cycles / 1e9:.2f} B = {shard_cycles / sign_up_cycles:.3f}x")


if __name__ == "__main__":
    main()
