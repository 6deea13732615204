"""ic_fleet installs from one chunk store: each distinct chunk is uploaded once (not once per
canister), every canister is installed with install_chunked_code, and the store is emptied.
A run killed after the upload and before the installs leaves a mark in the registry; the next
run installs from the chunks already stored, uploads nothing again, and empties the store."""
import hashlib
import json
import os
import signal
import subprocess
import sys
import time

from factory.harness import ROOT, Factory, principal_for
from inprocess import run_module
from _ic.identity import Ed25519Identity
from localnet.client import MiniClient
from localnet.testing import wait_until

MARK = "chunk_store"


def item(name, template="user"):
    owner = principal_for(name)
    return {"name": name, "template": template, "owner": owner,
            "wasm": os.path.join(ROOT, "wasm", f"{template}.wasm.gz"),
            "arg": f'(record {{ owner = principal "{owner}" }})'}


def fleet_args(net, factory, specs):
    return {"network": net.url, "root_key": net.root_key_hex, "identity": factory.identity,
            "registry": factory.registry, "workers": 4, "canisters": specs}


def calls(net):
    """Management methods called so far, by name."""
    return {k.split(".", 1)[1]: v for k, v in net.metrics()["by_method"].items() if k.startswith("aaaaa-aa.")}


def delta(after, before, method):
    return after.get(method, 0) - before.get(method, 0)


def entries(factory):
    """The registry as the modules read it (a killed run's changes are in its journal)."""
    return factory.entries()


def chunk_store_sizes(net, factory, ids):
    """wasm_chunk_store_size of each canister, read with the operator's identity."""
    client = MiniClient(net.url, Ed25519Identity.from_seed(b"\x07" * 32), net.root_key_der)
    try:
        return [client.mgmt("canister_status", {"canister_id": cid}, as_query=True)
                ["memory_metrics"]["wasm_chunk_store_size"] for cid in ids]
    finally:
        client.close()


def test_one_upload_per_distinct_chunk_then_install_chunked_code(net, tmp_path):
    factory = Factory(net, tmp_path)
    specs = [item(f"cs-u{i}") for i in range(3)] + [item(f"cs-m{i}", "memory") for i in range(2)]
    before = calls(net)
    result = run_module("ic_fleet", fleet_args(net, factory, specs), str(tmp_path / "c"))
    assert not result.get("failed"), result.get("msg")
    after = calls(net)
    # Two templates, one chunk each: two uploads for five canisters, none sent whole.
    assert delta(after, before, "upload_chunk") == 2
    assert delta(after, before, "install_chunked_code") == 5
    assert delta(after, before, "install_code") == 0
    assert delta(after, before, "clear_chunk_store") == 1
    live = {c["id"]: c["module_hash"] for c in net.canisters()}
    for spec, res in zip(specs, result["canisters"]):
        with open(spec["wasm"], "rb") as handle:
            assert live[res["canister_id"]] == hashlib.sha256(handle.read()).hexdigest()
    assert not any(MARK in e for e in entries(factory).values())
    assert chunk_store_sizes(net, factory, [r["canister_id"] for r in result["canisters"]]) == [0] * 5

    updates = factory.update_calls()
    again = run_module("ic_fleet", fleet_args(net, factory, specs), str(tmp_path / "c"))
    assert not again["changed"] and not again.get("failed")
    assert factory.update_calls() == updates, "a converged fleet makes no update call"


KILLABLE = """
import json, sys
sys.path[:0] = {paths!r}
from inprocess import run_module
run_module("ic_fleet", json.loads(sys.argv[1]), sys.argv[2])
"""


def test_a_run_killed_after_the_upload_is_finished_from_the_stored_chunks(net, tmp_path):
    factory = Factory(net, tmp_path)
    specs = [item(f"ck-u{i}") for i in range(3)]
    args = fleet_args(net, factory, specs)
    before = calls(net)
    net.faults({"match": {"method": "install_chunked_code"}, "action": "delay_ms", "ms": 30000,
                "count": None})
    paths = [os.path.join(ROOT, "tests", "integration"), os.path.join(ROOT, "plugins", "module_utils"), ROOT]
    proc = subprocess.Popen([sys.executable, "-c", KILLABLE.format(paths=paths), json.dumps(args),
                             str(tmp_path / "k")], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_until(lambda: delta(calls(net), before, "upload_chunk") == 1, timeout=60)
        # The first install is on its way (held by the fault): the run dies here.
        time.sleep(0.3)
        marked = [n for n, e in entries(factory).items() if e.get(MARK)]
        assert len(marked) == 1, "the store must be recorded before the upload"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        net.faults(clear=True)
    crashed = calls(net)
    assert delta(crashed, before, "clear_chunk_store") == 0

    result = run_module("ic_fleet", args, str(tmp_path / "r"))
    assert not result.get("failed"), result.get("msg")
    after = calls(net)
    assert delta(after, crashed, "upload_chunk") == 0, "the stored chunk is reused, not sent again"
    assert delta(after, crashed, "stored_chunks") >= 1
    assert delta(after, crashed, "install_code") == 0
    assert delta(after, crashed, "clear_chunk_store") == 1
    assert all(r["module_hash"] for r in result["canisters"])
    assert not any(MARK in e for e in entries(factory).values())
    ids = [r["canister_id"] for r in result["canisters"]]
    assert chunk_store_sizes(net, factory, ids) == [0] * 3
