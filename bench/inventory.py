"""Registry inventory cost per host: native groups vs keyed_groups/groups vs no groups, same run.

    .venv/bin/python bench/inventory.py [--sizes 50 1000] [--rounds 3] [--events 20] [--graph]

For each size, a registry of N entries shaped as provision.yml leaves them (full host vars, 20
events each; owners, templates, statuses, versions and balances varied, some missing), listed with
``ansible-inventory -i <config> --list`` (what every playbook run pays, in a process of its own)
through three configurations:

- ``floor``: no groups but the contract ones (canisters, <template>_canisters);
- ``keyed``: the groupings as examples/registry.icp_registry.yml had them (4 keyed_groups and a
  ``cycles_low`` condition: Jinja compiled and evaluated per host);
- ``native``: examples/registry.icp_registry.yml as shipped (group_by, cycles_low_threshold).

CPU of the ansible-inventory process (user+sys, best of the rounds; sizes and configurations take
turns). Prints each configuration's ratio to the floor, its CPU per host above Ansible's start-up
(an empty registry), and that per-host cost at the biggest size against the smallest (a figure
near 1.0x means linear; a growing one means something quadratic). ``--graph`` lists with
``--graph`` instead: no JSON dump of every host variable, closer to what a playbook run pays.
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "plugins", "module_utils")]

from _registry import MAX_EVENTS, Registry, add_event  # noqa: E402  (path set up above)

BIN = os.path.dirname(sys.executable)
TEMPLATES = ("user", "ai_assistant", "gallery", "memory")
STATUSES = ("active",) * 6 + ("stopped", "upgrading", "failed", "deleted")
OLD_GROUPINGS = {
    "keyed_groups": [{"key": "owner", "prefix": "owner"}, {"key": "template", "prefix": "template"},
                     {"key": "status", "prefix": "status"},
                     {"key": "wasm_version | default('none', true)", "prefix": "version"}],
    "groups": {"cycles_low": "(cycles_balance | default(0) | int) < 1000000000000"},
}


def entry(index, events=MAX_EVENTS):
    """A registry entry as provision.yml leaves it; the grouped fields vary with ``index``."""
    owner = f"{index % 37:05d}-owner-aaaaa-aaaaa-cai"
    value = {"canister_id": f"{index:05d}-aaaaa-aaaaa-aaaaq-cai", "template": TEMPLATES[index % 4], "owner": owner,
             "created_by": "operator", "created_at": "2026-12-04T22:00:00Z", "network": "http://127.0.0.1:4943",
             "status": STATUSES[index % len(STATUSES)], "module_hash": "ab" * 32, "arg_sha256": "cd" * 32,
             "funding": "cycles_ledger", "created_at_time": 1796420000000000000 + index,
             "init_arg": f'(record {{ owner = principal "{owner}" }})',
             "settings": {"compute_allocation": 0, "freezing_threshold": 2592000, "log_visibility": "controllers"}}
    if index % 5:
        value["wasm_version"] = ("0.1.0", "0.2.0")[index % 2]
    if index % 7:
        value["cycles_balance"] = (index % 3) * 10 ** 12
    for step in range(events):
        add_event(value, "install", "ok", identity="operator", step=step)
    return value


def build_registry(path, size, events=MAX_EVENTS):
    """Write a registry of ``size`` synthetic entries at ``path``."""
    registry = Registry(path)
    with registry.transaction() as data:
        for index in range(size):
            data.put(f"c{index:05d}", entry(index, events))
    registry.compact()


def shipped_config():
    """examples/registry.icp_registry.yml as a dict."""
    with open(os.path.join(ROOT, "examples", "registry.icp_registry.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def configs(registry):
    """The three configurations compared, for one registry file."""
    base = {"plugin": "icp.canister_factory.registry", "registries": [registry]}
    native = dict(shipped_config(), registries=[registry])
    return {"floor": base, "keyed": dict(base, **OLD_GROUPINGS), "native": native}


def collection_env(workdir):
    """An environment whose collection path holds this checkout as icp.canister_factory."""
    namespace = os.path.join(workdir, "collections", "ansible_collections", "icp")
    os.makedirs(namespace, exist_ok=True)
    os.symlink(ROOT, os.path.join(namespace, "canister_factory"))
    return dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(workdir, "collections"),
                ANSIBLE_INVENTORY_UNPARSED_FAILED="1", ANSIBLE_INVENTORY_ENABLED="icp.canister_factory.registry",
                ICP_REGISTRY="")


def list_cpu(config_path, env, mode="--list"):
    """CPU seconds (user+sys) of one ``ansible-inventory <mode>`` of ``config_path``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([os.path.join(BIN, "ansible-inventory"), "-i", config_path, mode], env=env,
                   stdout=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 1000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--events", type=int, default=MAX_EVENTS, help="events per entry")
    parser.add_argument("--graph", action="store_true", help="ansible-inventory --graph instead of --list")
    args = parser.parse_args()
    sizes = sorted(args.sizes)
    best = {}
    with tempfile.TemporaryDirectory(prefix="bench-inventory-") as workdir:
        env = collection_env(workdir)
        paths = {}
        for size in [0] + sizes:
            registry = os.path.join(workdir, f"r{size}.yml")
            build_registry(registry, size, args.events)
            for name, config in configs(registry).items():
                if size == 0 and name != "floor":
                    continue
                paths[size, name] = os.path.join(workdir, f"{name}{size}.icp_registry.yml")
                with open(paths[size, name], "w", encoding="utf-8") as handle:
                    yaml.safe_dump(config, handle)
        for _round in range(args.rounds):
            for key, path in paths.items():
                cpu = list_cpu(path, env, "--graph" if args.graph else "--list")
                best[key] = min(best.get(key, cpu), cpu)
    startup = best[0, "floor"]
    print(f"ansible-inventory {'--graph' if args.graph else '--list'} CPU, best of {args.rounds}; start-up (empty registry) {startup:.2f} s")
    per_host = {}
    for size in sizes:
        floor = best[size, "floor"]
        for name in ("floor", "keyed", "native"):
            cpu = best[size, name]
            per_host[size, name] = (cpu - startup) / size * 1000
            print(f"  N={size:5d} {name:6s} {cpu:6.2f} s  {cpu / floor:5.2f}x floor  "
                  f"{per_host[size, name]:6.3f} ms/host above start-up  "
                  f"{(cpu - floor) / size * 1000:+6.3f} ms/host for its groups")
    small, big = sizes[0], sizes[-1]
    for name in ("floor", "keyed", "native"):
        print(f"  {name:6s} per-host cost N={big} / N={small}: {per_host[big, name] / per_host[small, name]:.2f}x")
    print(f"  at N={big}: keyed/native {best[big, 'keyed'] / best[big, 'native']:.2f}x CPU; groups' own cost "
          f"native/keyed {(best[big, 'native'] - best[big, 'floor']) / (best[big, 'keyed'] - best[big, 'floor']):.2f}x")


if __name__ == "__main__":
    main()
