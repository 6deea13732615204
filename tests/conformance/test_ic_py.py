"""ic-py 1.0.1, unchanged, over localnet's v2 endpoints (run in its own interpreter)."""
import json
import os
import subprocess
import sys

SCRIPT = os.path.join(os.path.dirname(__file__), "icpy_scenario.py")


def candid_hash(name):
    h = 0
    for byte in name.encode():
        h = (h * 223 + byte) % 2 ** 32
    return h


def test_status_create_and_canister_status_over_v2(net):
    # -I: ic-py's package is also called ``ic``; keep the collection's client off the path.
    out = subprocess.run([sys.executable, "-I", SCRIPT, net.url], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["status_ok"]
    assert seen["cycles"] == 4_000_000_000_000
    assert str(candid_hash("running")) in seen["status_variant"]
    assert seen["module_hash"] == "[]"
    assert seen["stranger_query"].startswith(
        f"Only the controllers of the canister {seen['canister_id']} can control it.")
    ids = {c["id"] for c in net.canisters()}
    assert seen["canister_id"] in ids
    assert net.metrics()["by_endpoint"].get("v2/canister/call", 0) >= 2
