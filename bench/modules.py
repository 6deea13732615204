"""Per-task cost of the modules against ansible.builtin.ping and icp-cli, in one run on one localnet.

    .venv/bin/python bench/modules.py [--tasks 20] [--rounds 2]

Three figures, all wall time per task (or per command), measured back to back:
- ``ping``: one ``ansible.builtin.ping`` task on localhost (the floor of any Ansible task);
- ``ic_canister_info``: one ``icp.canister_factory.ic_canister_info`` task on the same canister;
- ``icp canister status``: one icp-cli 1.5 process asking the same canister's status.
A task's cost is ``(T(n tasks) - T(1 task)) / (n - 1)`` for a playbook of n identical tasks,
which removes ansible-playbook's own start-up; the best of ``--rounds`` is kept. The figure
to watch is the ratio ic_canister_info / ping (aim: at most 1.5).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for path in (os.path.join(ROOT, "plugins", "module_utils"), ROOT,
             os.path.join(ROOT, "tests", "integration")):
    if path not in sys.path:
        sys.path.insert(0, path)

from _ic.agent import Agent  # noqa: E402
from _ic.identity import load_identity_file  # noqa: E402
from _ic.management import Management  # noqa: E402
from localnet.testing import LocalnetProcess  # noqa: E402
from module_runner import BIN, ansible_env, collection_tree, write_identity  # noqa: E402

ICP = os.path.join(ROOT, "node_modules", "@icp-sdk", "icp-cli-linux-x64", "bin", "icp")


def playbook(path, task, count):
    """Write a playbook of ``count`` copies of ``task`` (YAML text of one task body)."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("- hosts: localhost\n  gather_facts: false\n  tasks:\n")
        for _ in range(count):
            handle.write(f"    - {task}\n")


def timed_playbook(path, workdir, collections, extra):
    """Wall seconds of one ansible-playbook run (fails loudly)."""
    command = [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local", path]
    for key, value in extra.items():
        command += ["-e", f"{key}={value}"]
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=workdir, env=ansible_env(collections), capture_output=True,
                          text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{path} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
    return elapsed


def per_task(task, tasks, rounds, workdir, collections, extra):
    """Best per-task wall time of ``task`` over ``rounds``."""
    one, many = os.path.join(workdir, "one.yml"), os.path.join(workdir, "many.yml")
    playbook(one, task, 1)
    playbook(many, task, tasks)
    best = None
    for _ in range(rounds):
        cost = (timed_playbook(many, workdir, collections, extra)
                - timed_playbook(one, workdir, collections, extra)) / (tasks - 1)
        best = cost if best is None else min(best, cost)
    return best


def icp_cli_per_call(net, canister, home, calls, rounds):
    """Best mean wall time of ``icp canister status`` over ``rounds`` of ``calls`` processes."""
    env = dict(os.environ, HOME=home, DO_NOT_TRACK="1", NO_COLOR="1")
    command = [ICP, "canister", "status", canister, "-n", net.url, "-k", net.root_key_hex,
               "--identity", "bench"]
    best = None
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            subprocess.run(command, env=env, cwd=home, capture_output=True, check=True, timeout=60)
        cost = (time.perf_counter() - start) / calls
        best = cost if best is None else min(best, cost)
    return best


def icp_cli_identity(home):
    """Create icp-cli identity ``bench`` in ``home``; return its principal text."""
    env = dict(os.environ, HOME=home, DO_NOT_TRACK="1", NO_COLOR="1")
    subprocess.run([ICP, "identity", "new", "bench", "--storage", "plaintext", "-q"], env=env,
                   cwd=home, capture_output=True, check=True)
    out = subprocess.run([ICP, "identity", "principal", "--identity", "bench"], env=env, cwd=home,
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def main():
    """Measure and print the three figures and their ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if args.tasks < 2:
        parser.error("--tasks must be at least 2")
    with tempfile.TemporaryDirectory() as workdir, LocalnetProcess() as net:
        collections = collection_tree(os.path.join(workdir, "collections"))
        pem = os.path.join(workdir, "owner.pem")
        write_identity(pem, bytes(range(32)))
        home = os.path.join(workdir, "icp-home")
        os.makedirs(home)
        icp_principal = icp_cli_identity(home)
        agent = Agent(net.url, load_identity_file(pem), root_key_der=net.root_key_der)
        owner = agent.sender.to_text()
        canister = Management(agent).provisional_create_canister_with_cycles(
            settings={"controllers": [owner, icp_principal]}).to_text()
        extra = {"net": net.url, "key": net.root_key_hex, "pem": pem, "cid": canister}
        ping = per_task("ansible.builtin.ping:", args.tasks, args.rounds, workdir, collections, {})
        info = per_task(
            "icp.canister_factory.ic_canister_info: {network: '{{ net }}', root_key: '{{ key }}', "
            "identity: '{{ pem }}', canister_id: '{{ cid }}'}",
            args.tasks, args.rounds, workdir, collections, extra)
        icp = icp_cli_per_call(net, canister, home, args.tasks, args.rounds)
    print(f"tasks per playbook: {args.tasks}, rounds: {args.rounds} (best kept)")
    print(f"ansible.builtin.ping        {ping * 1000:8.1f} ms/task")
    print(f"ic_canister_info            {info * 1000:8.1f} ms/task")
    print(f"icp canister status         {icp * 1000:8.1f} ms/call")
    print(f"ratio ic_canister_info / ping: {info / ping:.2f} (aim <= 1.5)")
    print(f"ratio ic_canister_info / icp-cli: {info / icp:.2f}")


if __name__ == "__main__":
    main()
