"""monitor.yml on a fleet of 200 canisters against a one-task playbook on the same inventory.

    .venv/bin/python bench/monitor.py [--canisters 200] [--forks 10] [--rounds 2]

One localnet; ``--canisters`` user-template canisters created and installed through the client
and recorded in a registry. Measured back to back, best of ``--rounds`` wall times:
- ``monitor.yml``: one ic_monitor run sampling every canister (canister_status and get_info
  queries), into SQLite and a Prometheus file;
- the peer: a playbook of one ``ansible.builtin.ping`` task over the same registry inventory
  (``-f --forks``), the cheapest thing Ansible can do once per canister.
The ratio monitor / ping says what sampling costs against touching each host once.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for path in (os.path.join(ROOT, "plugins", "module_utils"), ROOT, os.path.join(ROOT, "tests", "integration")):
    if path not in sys.path:
        sys.path.insert(0, path)

from _ic import candid  # noqa: E402
from _ic.agent import Agent  # noqa: E402
from _ic.identity import load_identity_file  # noqa: E402
from _ic.management import Management  # noqa: E402
from localnet.testing import LocalnetProcess  # noqa: E402
from module_runner import BIN, ansible_env, collection_tree, write_identity  # noqa: E402
from _registry import Registry  # noqa: E402


def fleet(net, pem, count, registry_path):
    """Create and install ``count`` user canisters; record them in the registry."""
    agent = Agent(net.url, load_identity_file(pem), root_key_der=net.root_key_der)
    mgmt = Management(agent)
    with open(os.path.join(ROOT, "wasm", "user.wasm.gz"), "rb") as handle:
        wasm = handle.read()
    arg = candid.encode_text(f'(record {{ owner = principal "{agent.sender}" }})')

    def one(i):
        canister = mgmt.provisional_create_canister_with_cycles(amount=10 ** 13)
        mgmt.install_code(canister, wasm, arg)
        return f"m{i:03d}", canister.to_text()

    with ThreadPoolExecutor(max_workers=4) as pool:
        made = list(pool.map(one, range(count)))
    with Registry(registry_path).transaction() as data:
        for name, cid in made:
            data.put(name, {"canister_id": cid, "template": "user", "owner": agent.sender.to_text(),
                            "status": "active", "network": net.url})


def timed(command, workdir, env):
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{command} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--canisters", type=int, default=200)
    parser.add_argument("--forks", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir, LocalnetProcess() as net:
        collections = collection_tree(os.path.join(workdir, "collections"))
        pem = os.path.join(workdir, "owner.pem")
        write_identity(pem, bytes(range(32)))
        registry_path = os.path.join(workdir, "registry.yml")
        fleet(net, pem, args.canisters, registry_path)
        inventory = os.path.join(workdir, "fleet.icp_registry.yml")
        with open(inventory, "w", encoding="utf-8") as handle:
            yaml.safe_dump({"plugin": "icp.canister_factory.registry", "registries": [registry_path]}, handle)
        ping = os.path.join(workdir, "ping.yml")
        with open(ping, "w", encoding="utf-8") as handle:
            handle.write("- hosts: canisters\n  gather_facts: false\n  tasks:\n    - ansible.builtin.ping:\n")
        env = ansible_env(collections, {"ICP_NETWORK": net.url, "ICP_ROOT_KEY": net.root_key_hex,
                                        "ICP_IDENTITY": pem, "ICP_REGISTRY": registry_path})
        env["ANSIBLE_PYTHON_INTERPRETER"] = sys.executable
        monitor_cmd = [os.path.join(BIN, "ansible-playbook"), os.path.join(ROOT, "playbooks", "monitor.yml"),
                       "-e", f"monitor_db={workdir}/monitor.sqlite", "-e", f"prom_file={workdir}/icp.prom",
                       "-e", "monitor_min_interval=0"]
        ping_cmd = [os.path.join(BIN, "ansible-playbook"), "-i", inventory, "-f", str(args.forks), ping]
        best_monitor = best_ping = None
        for _ in range(args.rounds):
            m = timed(monitor_cmd, workdir, env)
            p = timed(ping_cmd, workdir, env)
            best_monitor = m if best_monitor is None else min(best_monitor, m)
            best_ping = p if best_ping is None else min(best_ping, p)
    print(f"canisters: {args.canisters}, forks for ping: {args.forks}, best of {args.rounds} rounds")
    print(f"monitor.yml (every canister sampled)   {best_monitor:7.2f} s")
    print(f"one ping task over the inventory       {best_ping:7.2f} s")
    print(f"ratio monitor.yml / ping playbook: {best_monitor / best_ping:.2f}")


if __name__ == "__main__":
    main()
