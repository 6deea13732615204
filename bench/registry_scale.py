"""Registry write cost against registry size: one entry's change on 50 vs 1,000 canisters, same run.

    .venv/bin/python bench/registry_scale.py [--sizes 50 1000] [--changes 300] [--rounds 3] [--rewrites 5]

For each size, a registry of N entries shaped as provision.yml leaves them (full host vars and
20 events each), then ``--changes`` locked transactions that each change one entry (an event
added, as the fleet's group commits do): through the journal (what ships), and the same with a
compaction after every change (a whole-file rewrite per change, what the registry did before
the journal). Prints milliseconds per change, each path's ratio of the biggest registry to the
smallest (aim <= 1.2x for the journal), and the CPU of one read of the whole registry and of the
one compaction at the end of a module run (once per run, however many changes it made).
"""
import argparse
import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "plugins", "module_utils")]

from _registry import MAX_EVENTS, Registry, add_event  # noqa: E402  (path set up above)


def entry(index):
    """A registry entry as provision.yml leaves it."""
    owner = "2vxsx-fae"
    value = {"canister_id": f"{index:05d}-aaaaa-aaaaa-aaaaq-cai", "template": "user", "owner": owner,
             "created_by": "operator", "created_at": "2026-12-04T22:00:00Z", "network": "http://127.0.0.1:4943",
             "status": "active", "module_hash": "ab" * 32, "wasm_version": "0.1.0", "arg_sha256": "cd" * 32,
             "cycles_balance": 10 ** 12, "funding": "cycles_ledger", "created_at_time": 1796420000000000000 + index,
             "init_arg": f'(record {{ owner = principal "{owner}" }})',
             "settings": {"compute_allocation": 0, "freezing_threshold": 2592000, "log_visibility": "controllers"}}
    for step in range(MAX_EVENTS):
        add_event(value, "install", "ok", identity="operator", step=step)
    return value


def build(path, size):
    registry = Registry(path)
    with registry.transaction() as data:
        for index in range(size):
            data.put(f"u{index:05d}", entry(index))
    registry.compact()


def per_change(path, size, changes, rewrite):
    """Milliseconds per one-entry transaction (``rewrite``: a compaction after each), and of the
    compaction at the end (what a module run adds once when it exits)."""
    registry = Registry(path)
    with registry.transaction():
        pass  # the process's first read of the registry: "one read" below
    start = time.perf_counter()
    for step in range(changes):
        with registry.transaction() as data:
            name = f"u{(step * 7919) % size:05d}"
            value = data.get(name)
            add_event(value, "update", "ok", identity="bench", step=step)
            data.put(name, value)
        if rewrite:
            registry.compact()
    middle, cpu = time.perf_counter(), time.process_time()
    registry.compact()
    return (middle - start) / changes * 1000, (time.process_time() - cpu) * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 1000])
    parser.add_argument("--changes", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rewrites", type=int, default=5, help="changes measured on the whole-file rewrite path")
    args = parser.parse_args()
    sizes = sorted(args.sizes)
    rows = {}
    with tempfile.TemporaryDirectory(prefix="bench-registry-") as workdir:
        for size in sizes:
            build(os.path.join(workdir, f"r{size}.yml"), size)
        # Sizes take turns, and each keeps its best round: fsync times on a shared disk wander.
        for _round in range(args.rounds):
            for size in sizes:
                path = os.path.join(workdir, f"r{size}.yml")
                start = time.process_time()
                Registry(path).read()
                read_ms = (time.process_time() - start) * 1000
                journal, final_ms = per_change(path, size, args.changes, rewrite=False)
                rewrite, _ = per_change(path, size, args.rewrites, rewrite=True)
                row = (journal, rewrite, read_ms, os.path.getsize(path), final_ms)
                rows[size] = tuple(map(min, zip(rows[size], row))) if size in rows else row
    small = rows[sizes[0]]
    print(f"one-entry registry change, {args.changes} per size (journal) / {args.rewrites} (rewrite)")
    for size in sizes:
        journal, rewrite, read_ms, nbytes, final_ms = rows[size]
        print(f"  N={size:5d} ({nbytes / 1e6:4.2f} MB)  journal {journal:6.2f} ms/change "
              f"({journal / small[0]:.2f}x N={sizes[0]})  whole-file rewrite {rewrite:7.2f} ms/change "
              f"({rewrite / small[1]:.2f}x)  one read {read_ms:6.1f} ms CPU, the run's final compaction {final_ms:6.1f} ms CPU")
    big = rows[sizes[-1]]
    print(f"  ratio N={sizes[-1]} / N={sizes[0]}: journal {big[0] / small[0]:.2f}x (aim <= 1.2x), "
          f"rewrite {big[1] / small[1]:.2f}x; at N={sizes[-1]} the journal is {big[1] / big[0]:.0f}x cheaper")


if __name__ == "__main__":
    main()
