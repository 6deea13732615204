"""Backup and restore throughput (MiB/s) against icp-cli's snapshot download/upload, same canister.

    .venv/bin/python bench/backup.py [--rounds 3] [--mib 8]

One localnet, one user-template canister whose heap is grown by about ``--mib`` MiB of
preferences, controlled by both our identity and icp-cli's. Measured back to back, best of
``--rounds``:
- backup, whole operation: one ``ic_snapshot state=downloaded`` task (stop, snapshot, start,
  download, manifest, delete the snapshot) against ``icp canister stop``, ``snapshot create``,
  ``start`` and ``snapshot download``;
- restore, whole operation: one ``ic_snapshot state=uploaded`` task (check, upload, stop, load,
  start, delete) against ``icp canister snapshot upload``, ``stop``, ``snapshot restore``, ``start``;
- transfer only: our download/upload functions called in Python against icp-cli's
  ``snapshot download``/``snapshot upload`` processes.
Throughput is the snapshot's bytes (module + heap + stable memory) over wall time.
- skip of an unchanged canister: one ``ic_snapshot state=downloaded`` task on a canister whose
  newest backup recorded its state key (module hash, canister version, template state_version;
  queries only) against the same task after that key was removed from the manifest, which finds
  "unchanged" the way a template without state_version does (stop, snapshot, start, download,
  compare); with the update calls each made.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

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
from modules import ICP, icp_cli_identity  # noqa: E402  (bench/modules.py)

MIB = 1 << 20


def icp(home, net, *args):
    """Run one icp-cli command against the localnet; return its stdout."""
    env = dict(os.environ, HOME=home, DO_NOT_TRACK="1", NO_COLOR="1")
    command = [ICP, "canister", *args, "-n", net.url, "-k", net.root_key_hex, "--identity", "bench"]
    return subprocess.run(command, env=env, cwd=home, capture_output=True, text=True, check=True, timeout=300).stdout


def task_seconds(workdir, collections, task):
    """Wall seconds of a one-task playbook (ansible-playbook start-up included)."""
    path = os.path.join(workdir, "task.yml")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(f"- hosts: localhost\n  gather_facts: false\n  tasks:\n    - {task}\n")
    start = time.perf_counter()
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local", path],
                          cwd=workdir, env=ansible_env(collections), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"task failed:\n{proc.stdout[-3000:]}")
    return time.perf_counter() - start


def fill(agent, canister, mib):
    """Grow the canister's heap by about ``mib`` MiB of preferences."""
    value = "x" * 60_000
    for i in range(int(mib * MIB / 60_000)):
        agent.update(canister, "set_preference", candid.encode_text(f'("k{i}", "{value}")'))


def measure_skip(net, workdir, collections, common, rounds, keep):
    """Time the unchanged-canister run both ways; return the update calls of the last (query, snapshot) runs."""
    dest = os.path.join(workdir, "skip")
    task = f"icp.canister_factory.ic_snapshot: {{{common}, state: downloaded, dest: '{dest}'}}"
    task_seconds(workdir, collections, task)
    (name,) = os.listdir(dest)
    manifest_path = os.path.join(dest, name, "manifest.json")
    calls = (0, 0)
    for _ in range(rounds):
        with open(manifest_path, encoding="utf-8") as handle:
            manifest = json.load(handle)
        if "unchanged_while" not in manifest:
            raise SystemExit("the backup recorded no state key: is user.wasm.gz a build with state_version?")
        del manifest["unchanged_while"]
        with open(manifest_path, "w", encoding="utf-8") as handle:
            json.dump(manifest, handle)
        before = net.metrics()["update_calls"]
        keep("ours_skip_by_snapshot", task_seconds(workdir, collections, task))  # records the key again
        middle = net.metrics()["update_calls"]
        keep("ours_skip", task_seconds(workdir, collections, task))
        calls = (net.metrics()["update_calls"] - middle, middle - before)
        if os.listdir(dest) != [name]:
            raise SystemExit("an unchanged canister got a new backup")
    return calls


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mib", type=float, default=8)
    args = parser.parse_args()
    best = {}

    def keep(name, seconds):
        best[name] = min(best.get(name, seconds), seconds)

    with tempfile.TemporaryDirectory() as workdir, LocalnetProcess() as net:
        collections = collection_tree(os.path.join(workdir, "collections"))
        sys.path.insert(0, collections)
        from ansible_collections.icp.canister_factory.plugins.module_utils import (  # noqa: E402
            snapshot_download, snapshot_files)
        pem = os.path.join(workdir, "owner.pem")
        write_identity(pem, bytes(range(32)))
        home = os.path.join(workdir, "icp-home")
        os.makedirs(home)
        icp_principal = icp_cli_identity(home)
        agent = Agent(net.url, load_identity_file(pem), root_key_der=net.root_key_der)
        mgmt = Management(agent)
        canister = mgmt.provisional_create_canister_with_cycles(
            amount=10 ** 14, settings={"controllers": [agent.sender.to_text(), icp_principal],
                                       "wasm_memory_limit": 0})
        with open(os.path.join(ROOT, "wasm", "user.wasm.gz"), "rb") as handle:
            mgmt.install_code(canister, handle.read(), candid.encode_text(f'(record {{ owner = principal "{agent.sender}" }})'))
        fill(agent, canister, args.mib)
        cid = canister.to_text()
        common = f"network: '{net.url}', root_key: '{net.root_key_hex}', identity: '{pem}', canister_id: '{cid}'"
        size = None
        for round_no in range(args.rounds):
            dest = os.path.join(workdir, f"ours-{round_no}")
            keep("ours_backup", task_seconds(workdir, collections,
                                              f"icp.canister_factory.ic_snapshot: {{{common}, state: downloaded, "
                                              f"dest: '{dest}', if_changed: false}}"))
            (folder,) = [os.path.join(dest, n) for n in os.listdir(dest)]
            size = sum(os.path.getsize(os.path.join(folder, n)) for n in
                       ("wasm_module.bin", "wasm_memory.bin", "stable_memory.bin"))
            keep("ours_restore", task_seconds(workdir, collections,
                                               f"icp.canister_factory.ic_snapshot: {{{common}, state: uploaded, "
                                               f"src: '{folder}'}}"))
            theirs = os.path.join(workdir, f"icp-{round_no}")
            start = time.perf_counter()
            icp(home, net, "stop", cid)
            made = icp(home, net, "snapshot", "create", cid)
            snapshot_id = made.split("Created snapshot ", 1)[1].split()[0]
            icp(home, net, "start", cid)
            t_download = time.perf_counter()
            icp(home, net, "snapshot", "download", cid, snapshot_id, "--output", theirs)
            keep("icp_download", time.perf_counter() - t_download)
            keep("icp_backup", time.perf_counter() - start)
            start = time.perf_counter()
            uploaded = icp(home, net, "snapshot", "upload", cid, "--input", theirs)
            keep("icp_upload", time.perf_counter() - start)
            upload_id = uploaded.split("Snapshot ", 1)[1].split()[0]
            icp(home, net, "stop", cid)
            icp(home, net, "snapshot", "restore", cid, upload_id)
            icp(home, net, "start", cid)
            keep("icp_restore", time.perf_counter() - start)
            for snap in mgmt.list_canister_snapshots(canister):
                mgmt.delete_canister_snapshot(canister, snap["id"])
            taken = mgmt.take_canister_snapshot(canister)["id"]
            start = time.perf_counter()
            path = snapshot_download.download(mgmt.call, canister, taken, os.path.join(workdir, f"lib-{round_no}"))
            keep("ours_download", time.perf_counter() - start)
            mgmt.delete_canister_snapshot(canister, taken)
            start = time.perf_counter()
            snapshot_files.Upload(mgmt.call, canister, path).run(existing_ids=set())
            keep("ours_upload", time.perf_counter() - start)
            for snap in mgmt.list_canister_snapshots(canister):
                mgmt.delete_canister_snapshot(canister, snap["id"])
            shutil.rmtree(theirs, ignore_errors=True)
        skip_calls = measure_skip(net, workdir, collections, common, args.rounds, keep)
    mib = size / MIB
    print(f"snapshot size: {mib:.1f} MiB (module + heap + stable memory); best of {args.rounds} rounds")
    for what in ("backup", "restore", "download", "upload"):
        ours, theirs = best[f"ours_{what}"], best[f"icp_{what}"]
        label = "whole operation" if what in ("backup", "restore") else "transfer only"
        print(f"{what:8s} ({label:15s}) ours {mib / ours:7.1f} MiB/s   icp-cli {mib / theirs:7.1f} MiB/s   "
              f"ratio ours/icp-cli {theirs / ours:.2f}")
    print(f"skip of an unchanged canister: by query {best['ours_skip']:.2f} s ({skip_calls[0]} update calls), "
          f"by snapshot {best['ours_skip_by_snapshot']:.2f} s ({skip_calls[1]} update calls), "
          f"ratio query/snapshot {best['ours_skip'] / best['ours_skip_by_snapshot']:.2f}")
    print("(the whole-operation figures of ours include ansible-playbook's start-up of ~0.7 s)")


if __name__ == "__main__":
    main()
