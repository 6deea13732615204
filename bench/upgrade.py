"""Fleet upgrade benchmark: upgrade.yml against an icp-cli loop, same localnet, one run.

    .venv/bin/python bench/upgrade.py [--canisters 50] [--batch 10] [--forks 10] [--per-host]

Two (three with ``--per-host``) fleets of N user canisters are provisioned at 0.1.0
(wasm/user-0.1.0.wasm.gz, through provision.yml), then upgraded to the shipped 0.2.0
(wasm/user.wasm.gz): one fleet by an icp-cli bash loop (`icp canister install --mode upgrade`
per canister, nothing else), the other by `playbooks/upgrade.yml` on the registry inventory
(snapshot, upgrade, `version` check, rollback on failure, registry events, in batches of
``--batch`` with max_fail_percentage 0). upgrade.yml takes its default batch path (one ic_fleet
run for the whole fleet, which makes the batches and would halt itself); ``--per-host`` also
measures the per-host role (`-e icp_batch=false`, `serial` batches) on a third fleet. Then upgrade.yml
runs again on the upgraded fleet (no update call expected). The batch path's recap counts one changed
task for the whole rollout (changed=1). Prints wall and CPU time of each (and localnet's CPU) and the
ratio the design aims at: upgrade.yml <= 1.0x the icp-cli loop.
"""
import argparse
import hashlib
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "plugins", "module_utils"), ROOT, os.path.join(ROOT, "tests", "integration")]

from bench.provision import icp_cli_env, measured  # noqa: E402  (paths set up above)
from factory.harness import Factory, users  # noqa: E402
from localnet.testing import LocalnetProcess  # noqa: E402

OLD = os.path.join(ROOT, "wasm", "user-0.1.0.wasm.gz")
NEW = os.path.join(ROOT, "wasm", "user.wasm.gz")
REGISTRY_INVENTORY = os.path.join(ROOT, "examples", "registry.icp_registry.yml")
LOOP = r"""
set -euo pipefail
while read -r id owner; do
  "$ICP" canister install "$id" -n "$URL" -k "$ROOT_KEY" --identity bench --wasm "$WASM" --mode upgrade \
      --args "(record { owner = principal \"$owner\" })" -y >/dev/null
done < "$TARGETS"
"""


def provision_old(factory, prefix, n, forks):
    """Provision ``n`` user canisters at 0.1.0 through provision.yml; return their registry entries."""
    inventory = factory.inventory(f"{prefix}.yml", users(n, prefix=prefix))
    run = factory.play("provision.yml", inventory, {
        "canister_funding": "cycles_ledger", "user_canister_wasm": OLD, "user_canister_version": "0.1.0"}, forks)
    if run.rc != 0:
        sys.exit(f"provision.yml at 0.1.0 failed: {run.explain()}")
    return {n: e for n, e in factory.entries().items() if n.startswith(prefix)}


def icp_cli_loop(net, factory, entries, workdir):
    """Upgrade every canister of ``entries`` with one ``icp canister install --mode upgrade`` each."""
    env = icp_cli_env(net, factory, workdir)
    targets = os.path.join(workdir, "targets.txt")
    with open(targets, "w", encoding="utf-8") as handle:
        handle.write("".join(f"{e['canister_id']} {e['owner']}\n" for e in entries.values()))
    env.update(WASM=NEW, TARGETS=targets)
    return subprocess.run(["bash", "-c", LOOP], env=env, check=True, capture_output=True, text=True)


def upgraded(net, entries):
    """How many canisters of ``entries`` run the new module (as localnet reports it)."""
    with open(NEW, "rb") as handle:
        wanted = hashlib.sha256(handle.read()).hexdigest()
    live = {c["id"]: c.get("module_hash") for c in net.canisters()}
    return sum(1 for e in entries.values() if live.get(e["canister_id"]) == wanted)


def localnet_cpu(net):
    """CPU seconds the localnet process has used so far (it is not a waited-for child, so the
    children's CPU of ``measured`` leaves it out)."""
    with open(f"/proc/{net.proc.pid}/stat", encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def upgrade_play(factory, prefix, batch, forks, per_host=False):
    """upgrade.yml on the canisters named ``<prefix>*`` (registry inventory)."""
    # A regex (not a*: that pattern matches the group `all` too).
    extra = {"target": f"user_canisters:&~^{prefix}[0-9]+$", "batch": batch}
    if per_host:
        extra["icp_batch"] = False
    return measured(lambda: factory.play("upgrade.yml", REGISTRY_INVENTORY, extra, forks))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--canisters", type=int, default=50)
    parser.add_argument("--batch", type=int, default=10, help="upgrade.yml's -e batch (canisters per batch)")
    parser.add_argument("--forks", type=int, default=10)
    parser.add_argument("--per-host", action="store_true",
                        help="also measure the per-host role path (-e icp_batch=false), for comparison")
    args = parser.parse_args()
    n = args.canisters
    with tempfile.TemporaryDirectory(prefix="bench-upgrade-") as workdir, LocalnetProcess() as net:
        factory = Factory(net, workdir)
        net.mint(factory.principal, 10**17)
        cli_fleet = provision_old(factory, "c", n, args.forks)
        pb_fleet = provision_old(factory, "a", n, args.forks)
        ph_fleet = provision_old(factory, "h", n, args.forks) if args.per_host else {}

        start = localnet_cpu(net)
        _, cli_wall, cli_cpu = measured(lambda: icp_cli_loop(net, factory, cli_fleet, workdir))
        cli_net = localnet_cpu(net) - start
        cli_done = upgraded(net, cli_fleet)
        start = localnet_cpu(net)
        first, pb_wall, pb_cpu = upgrade_play(factory, "a", args.batch, args.forks)
        pb_net = localnet_cpu(net) - start
        if first.rc != 0:
            sys.exit(f"upgrade.yml failed: {first.explain()}")
        pb_done = upgraded(net, pb_fleet)
        calls = factory.update_calls()
        again, re_wall, re_cpu = upgrade_play(factory, "a", args.batch, args.forks)
        if again.rc != 0:
            sys.exit(f"upgrade.yml (rerun) failed: {again.explain()}")

        print(f"upgrade {n} user canisters 0.1.0 -> 0.2.0, localnet {net.url}, batch {args.batch}, forks {args.forks}")
        print(f"  icp-cli loop        {cli_wall:7.1f} s wall {cli_cpu:7.1f} s CPU  ({cli_done} upgraded; "
              f"localnet {cli_net:.1f} s CPU)")
        print(f"  upgrade.yml         {pb_wall:7.1f} s wall {pb_cpu:7.1f} s CPU  ({pb_done} upgraded, "
              f"changed={first.total('changed')}; localnet {pb_net:.1f} s CPU)")
        print(f"  upgrade.yml again   {re_wall:7.1f} s wall {re_cpu:7.1f} s CPU  "
              f"(changed={again.total('changed')}, update calls={factory.update_calls() - calls})")
        print(f"  ratio upgrade.yml / icp-cli loop: {pb_wall / cli_wall:.2f}x wall (aim <= 1.0x), "
              f"{pb_cpu / cli_cpu:.2f}x CPU, {(pb_cpu + pb_net) / (cli_cpu + cli_net):.2f}x CPU with localnet's")
        if args.per_host:
            slow, ph_wall, ph_cpu = upgrade_play(factory, "h", args.batch, args.forks, per_host=True)
            if slow.rc != 0:
                sys.exit(f"upgrade.yml -e icp_batch=false failed: {slow.explain()}")
            print(f"  per-host path       {ph_wall:7.1f} s wall {ph_cpu:7.1f} s CPU  "
                  f"({upgraded(net, ph_fleet)} upgraded, {ph_wall / cli_wall:.2f}x the icp-cli loop)")


if __name__ == "__main__":
    main()
