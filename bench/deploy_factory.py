"""Factory operations benchmark: deploy_factory.yml rerun and the factory as an inventory source.

    .venv/bin/python bench/deploy_factory.py [--children 1000] [--repeat 3]

1. Deploys the factory (playbooks/deploy_factory.yml), then reruns it on the converged factory and
   compares the rerun with its peer, a one-task playbook (one ic_canister_info on the factory) run
   the same way on the same localnet. Design aim: rerun <= 1.5x the one-task playbook. Also prints
   the update calls of the reruns (localnet /_/metrics; must be 0).
2. Has the factory create N children (a tiny template registered for the purpose, so that the
   benchmark measures the listing, not Motoko installs), then lists them through the registry
   inventory plugin with the factory source - without and with the inventory cache - and compares
   with its peer, the same plugin reading a registry file of N entries. Prints the plugin's own
   parse time (in-process, without Python and Ansible start-up; aims: < 2 s, cached < 0.5 s) and
   the whole `ansible-inventory --list` process.
"""
import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "plugins", "module_utils"), ROOT, os.path.join(ROOT, "tests", "integration")]

import yaml  # noqa: E402

from factory.harness import BIN, Factory  # noqa: E402  (paths set up above)
from localnet.testing import LocalnetProcess  # noqa: E402
import wasm_fixtures  # noqa: E402

PARSE_TIMER = r"""
import sys, time
from ansible.plugins.loader import init_plugin_loader
init_plugin_loader([sys.argv[2]])
from ansible.parsing.dataloader import DataLoader
from ansible.inventory.manager import InventoryManager
start = time.perf_counter()
inventory = InventoryManager(loader=DataLoader(), sources=[sys.argv[1]])
elapsed = time.perf_counter() - start
print(len(inventory.get_hosts()), elapsed)
"""


def wall(func, repeat):
    """Median wall time of ``repeat`` calls of ``func`` (and its last value)."""
    times, value = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        value = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


def play_ok(op, playbook, extra_vars=None, inventory=None):
    """Run a playbook and insist it succeeded; return the run."""
    run = op.play(playbook, inventory, extra_vars) if not os.path.isabs(playbook) else _play_file(op, playbook)
    assert run.rc == 0, run.explain()
    return run


def _play_file(op, path):
    from factory.harness import PlaybookRun

    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", path], cwd=op.workdir,
                          env=op.env(), capture_output=True, text=True, check=False)
    return PlaybookRun(proc)


def one_task_playbook(op, factory_id):
    """The peer: one IC module task on the factory, connection vars as deploy_factory.yml gets them."""
    path = os.path.join(op.workdir, "one_task.yml")
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump([{"hosts": "localhost", "connection": "local", "gather_facts": False,
                         "vars": {"ansible_python_interpreter": sys.executable},
                         "tasks": [{"name": "One module run", "icp.canister_factory.ic_canister_info": {
                             "network": op.net.url, "identity": op.identity, "root_key": op.net.root_key_hex,
                             "canister_id": factory_id}}]}], handle)
    return path


def owner(i):
    """A made-up self-authenticating principal (text: the client below has its own Principal class)."""
    from _ic.principal import Principal

    der = bytes.fromhex("302a300506032b6570032100") + hashlib.sha256(f"bench-{i}".encode()).digest()
    return Principal.self_authenticating(der).to_text()


def make_children(op, factory_id, count):
    """Register a tiny template and have the factory create ``count`` children of it."""
    sys.path.insert(0, os.path.join(op.collections))
    from ansible_collections.icp.canister_factory.plugins.module_utils._factory_client import FactoryClient
    from ansible_collections.icp.canister_factory.plugins.module_utils._ic.agent import Agent
    from ansible_collections.icp.canister_factory.plugins.module_utils._ic.identity import load_identity_file
    from ansible_collections.icp.canister_factory.plugins.module_utils._ic.management import Management

    agent = Agent(op.net.url, load_identity_file(op.identity), root_key_der=op.net.root_key_der)
    factory = FactoryClient(agent, factory_id)
    child_cycles = 10**11
    # Each child costs the factory its cycles plus the creation fee (500 B on localnet, as on the IC).
    Management(agent).provisional_top_up_canister(factory_id, count * (child_cycles + 10**12) * 2)
    module = wasm_fixtures.build("0.1.0")
    factory.update("template_upload_begin", {"template": "bench", "version": "0.1.0",
                                             "wasm_sha256": hashlib.sha256(module).digest(), "size": len(module)})
    factory.update("template_upload_chunk", {"template": "bench", "version": "0.1.0", "offset": 0, "chunk": module})
    factory.update("template_upload_commit", {"template": "bench", "version": "0.1.0", "set_current": True})
    policy = dict(factory.query("get_template_policy", "bench"), initial_cycles=child_cycles, band_min=0, band_target=0)
    factory.update("set_template_policy", "bench", policy)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda i: factory.update("create_feature_canister", "bench", owner(i), b""), range(count)))
    return factory


def write_config(op, name, **options):
    """A registry inventory configuration in the work directory."""
    path = os.path.join(op.workdir, f"{name}.icp_registry.yml")
    doc = dict({"plugin": "icp.canister_factory.registry"}, **options)
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(doc, handle)
    return path


def registry_peer(op, factory_config, count):
    """A registry file with the same hosts and variables the factory source gives (the peer)."""
    listing = inventory_list(op, factory_config)
    hosts = {h: {k: v for k, v in hv.items() if k not in ("ansible_connection", "registry_file")}
             for h, hv in listing["_meta"]["hostvars"].items() if hv.get("source") == "factory"}
    assert len(hosts) >= count, f"the factory listed {len(hosts)} children, wanted {count}"
    groups = {}
    for host, hostvars in hosts.items():
        groups.setdefault(f"{hostvars['template']}_canisters", {"hosts": {}})["hosts"][host] = None
    path = os.path.join(op.workdir, "peer-registry.yml")
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump({"all": {"children": dict({"canisters": {"hosts": hosts}}, **groups)}}, handle)
    return write_config(op, "peer", registries=[path])


def inventory_list(op, config):
    """``ansible-inventory --list`` as data."""
    proc = subprocess.run([os.path.join(BIN, "ansible-inventory"), "-i", config, "--list"], cwd=op.workdir,
                          env=op.env(), capture_output=True, text=True, check=True)
    plain = (lambda o: o["__ansible_unsafe"] if set(o) == {"__ansible_unsafe"} else o)
    return json.loads(proc.stdout, object_hook=plain)


def parse_time(op, config):
    """In-process time of the inventory plugin's parse (``InventoryManager`` on the source)."""
    proc = subprocess.run([sys.executable, "-c", PARSE_TIMER, config, op.collections], cwd=op.workdir,
                          env=op.env(), capture_output=True, text=True, check=True)
    hosts, elapsed = proc.stdout.split()
    return float(elapsed), int(hosts)


def process_time(op, config):
    """Wall time of a whole ``ansible-inventory --list`` process."""
    start = time.perf_counter()
    subprocess.run([os.path.join(BIN, "ansible-inventory"), "-i", config, "--list"], cwd=op.workdir,
                   env=op.env(), capture_output=True, text=True, check=True)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-factory-") as workdir, LocalnetProcess() as net:
        op = Factory(net, workdir)
        start = time.perf_counter()
        play_ok(op, "deploy_factory.yml")
        first = time.perf_counter() - start
        factory_id = op.entries()["factory"]["canister_id"]
        peer_playbook = one_task_playbook(op, factory_id)
        calls = net.metrics()["update_calls"]
        rerun, run = wall(lambda: play_ok(op, "deploy_factory.yml"), args.repeat)
        rerun_calls = net.metrics()["update_calls"] - calls
        assert run.total("changed") == 0, run.stdout[-2000:]
        peer, _ = wall(lambda: play_ok(op, peer_playbook), args.repeat)
        print(f"deploy_factory.yml first run:            {first:7.2f} s")
        print(f"deploy_factory.yml rerun (median of {args.repeat}):  {rerun:7.2f} s, {rerun_calls} update calls, changed=0")
        print(f"one-task playbook (median of {args.repeat}):        {peer:7.2f} s")
        print(f"rerun / one-task playbook:               {rerun / peer:7.2f}x   (aim <= 1.5x)")

        start = time.perf_counter()
        make_children(op, factory_id, args.children)
        print(f"\nfactory created {args.children} children in {time.perf_counter() - start:.1f} s")
        common = {"registries": ["registry.yml"], "factory": "factory", "network": net.url,
                  "root_key": net.root_key_hex, "identity": op.identity}
        uncached = write_config(op, "factory", **common)
        cache = {"cache": True, "cache_plugin": "ansible.builtin.jsonfile",
                 "cache_connection": os.path.join(workdir, "inventory-cache"), "cache_timeout": 600}
        cached = write_config(op, "cached", **common, **cache)
        peer_config = registry_peer(op, uncached, args.children)
        parse_time(op, cached)  # fills the cache
        factory_parse, hosts = parse_time(op, uncached)
        cached_parse, cached_hosts = parse_time(op, cached)
        peer_parse, peer_hosts = parse_time(op, peer_config)
        assert hosts == cached_hosts == peer_hosts + 1, (hosts, cached_hosts, peer_hosts)
        factory_proc, cached_proc, peer_proc = (process_time(op, c) for c in (uncached, cached, peer_config))
        print(f"inventory of {hosts} hosts ({args.children} factory children + the factory), plugin parse in-process:")
        print(f"  factory source:           {factory_parse:6.2f} s   (aim < 2 s)   {factory_parse / peer_parse:5.2f}x the registry file")
        print(f"  factory source, cached:   {cached_parse:6.2f} s   (aim < 0.5 s) {cached_parse / peer_parse:5.2f}x the registry file")
        print(f"  peer: registry file of the same hosts: {peer_parse:6.2f} s")
        print("whole ansible-inventory --list process:")
        print(f"  factory {factory_proc:.2f} s, cached {cached_proc:.2f} s, registry file {peer_proc:.2f} s "
              f"({factory_proc / peer_proc:.2f}x, {cached_proc / peer_proc:.2f}x)")


if __name__ == "__main__":
    main()
