"""icp-cli 1.5.0, unchanged, against localnet (canisters created through the JS agent)."""
import hashlib
import json
import os

from localnet.testing import MINIMAL_WASM, custom_section


def status(icp, cid, identity=None):
    out = icp.run("canister", "status", cid, "--json", identity=identity)
    return json.loads(out.stdout)


def create(run_node, net, *controllers):
    return run_node("js_create_canister.mjs", net.url, *controllers)["canister_id"]


def test_status_settings_install_start_stop_delete(net, icp, tmp_path, run_node):
    cid = create(run_node, net, icp.alice)
    st = status(icp, cid)
    assert st["status"] == "Running" and st["settings"]["controllers"] == [icp.alice]
    icp.run("canister", "settings", "update", cid, "--freezing-threshold", "86400",
            "--wasm-memory-limit", "1000000", "--memory-allocation", "4096",
            "--add-controller", icp.bob)
    st = status(icp, cid)
    assert st["settings"]["freezing_threshold"].replace("_", "") == "86400"
    assert st["settings"]["wasm_memory_limit"].replace("_", "") == "1000000"
    assert st["settings"]["memory_allocation"].replace("_", "") == "4096"
    assert sorted(st["settings"]["controllers"]) == sorted([icp.alice, icp.bob])
    icp.run("canister", "settings", "update", cid, "--remove-controller", icp.bob)

    wasm = tmp_path / "a.wasm"
    wasm.write_bytes(MINIMAL_WASM)
    icp.run("canister", "install", cid, "--wasm", str(wasm), "--mode", "install")
    assert status(icp, cid)["module_hash"] == "0x" + hashlib.sha256(MINIMAL_WASM).hexdigest()
    again = icp.run("canister", "install", cid, "--wasm", str(wasm), "--mode", "install",
                    check=False)
    assert again.returncode != 0 and "IC0514" in again.stderr
    second = MINIMAL_WASM + custom_section("v", b"2")
    wasm.write_bytes(second)
    icp.run("canister", "install", cid, "--wasm", str(wasm), "--mode", "reinstall", "--yes")
    assert status(icp, cid)["module_hash"] == "0x" + hashlib.sha256(second).hexdigest()
    wasm.write_bytes(MINIMAL_WASM)
    icp.run("canister", "install", cid, "--wasm", str(wasm), "--mode", "upgrade")
    icp.run("canister", "install", cid, "--wasm", str(wasm))  # auto: stop, upgrade, start
    assert status(icp, cid)["status"] == "Running"

    icp.run("canister", "stop", cid)
    assert status(icp, cid)["status"] == "Stopped"
    icp.run("canister", "start", cid)
    assert status(icp, cid)["status"] == "Running"
    icp.run("canister", "delete", cid, "--no-recover-cycles")
    gone = icp.run("canister", "status", cid, check=False)
    assert gone.returncode != 0 and "not found" in (gone.stdout + gone.stderr)


def test_snapshots_create_list_restore_delete(net, icp, tmp_path, run_node):
    cid = create(run_node, net, icp.alice)
    wasm = tmp_path / "s.wasm"
    wasm.write_bytes(MINIMAL_WASM)
    icp.run("canister", "install", cid, "--wasm", str(wasm), "--mode", "install")
    icp.run("canister", "stop", cid)
    made = icp.run("canister", "snapshot", "create", cid).stdout
    snapshot_id = made.split("Created snapshot ", 1)[1].split()[0]
    listed = icp.run("canister", "snapshot", "list", cid).stdout
    assert snapshot_id in listed
    changed = MINIMAL_WASM + custom_section("changed", b"1")
    wasm.write_bytes(changed)
    icp.run("canister", "install", cid, "--wasm", str(wasm), "--mode", "reinstall", "--yes")
    icp.run("canister", "snapshot", "restore", cid, snapshot_id)
    assert status(icp, cid)["module_hash"] == "0x" + hashlib.sha256(MINIMAL_WASM).hexdigest()
    icp.run("canister", "snapshot", "delete", cid, snapshot_id)
    assert snapshot_id not in icp.run("canister", "snapshot", "list", cid).stdout


def test_non_controller_gets_replica_errors(net, icp, tmp_path, run_node):
    cid = create(run_node, net, icp.alice)
    public = status(icp, cid, identity="bob")  # refused, so read from the state tree
    assert public == {"id": cid, "controllers": [icp.alice], "module_hash": None}
    stop = icp.run("canister", "stop", cid, identity="bob", check=False)
    assert stop.returncode != 0 and "IC0512" in stop.stderr
    wasm = tmp_path / "b.wasm"
    wasm.write_bytes(MINIMAL_WASM)
    install = icp.run("canister", "install", cid, "--wasm", str(wasm), "--mode", "install",
                      identity="bob", check=False)
    assert install.returncode != 0 and "IC0512" in install.stderr
    settings = icp.run("canister", "settings", "update", cid, "--freezing-threshold", "1",
                       identity="bob", check=False)
    assert settings.returncode != 0 and "IC0512" in settings.stderr


def test_cycles_ledger_create_top_up_and_delete_with_recovery(net, icp):
    net.mint(icp.alice, 6_000_000_000_000)
    balance = icp.run("cycles", "balance", "-n", net.url, "-k", net.root_key_hex).stdout
    assert "6_000_000_000_000" in balance
    made = icp.run("canister", "create", "--cycles", "2000000000000", "--detached", "-q")
    cid = made.stdout.strip().splitlines()[-1]
    st = status(icp, cid)
    assert st["settings"]["controllers"] == [icp.alice]
    assert st["cycles"].replace("_", "") == str(2_000_000_000_000 - 500_000_000_000)
    icp.run("canister", "top-up", "--amount", "500000000000", cid)
    assert status(icp, cid)["cycles"].replace("_", "") == "2000000000000"
    # 6T - (2T + fee) - (0.5T + fee)
    left = 6_000_000_000_000 - 2_500_000_000_000 - 200_000_000
    balance = icp.run("cycles", "balance", "-n", net.url, "-k", net.root_key_hex).stdout
    assert f"{left:_}" in balance
    icp.run("canister", "delete", cid)  # recovers cycles through the cycles ledger
    recovered = icp.run("cycles", "balance", "-n", net.url, "-k", net.root_key_hex).stdout
    amount = int(recovered.split("Balance:")[1].split("cycles")[0].replace("_", ""))
    assert amount > left + 1_900_000_000_000
    assert cid not in {c["id"] for c in net.canisters()}


def _ledger_balance(icp, net):
    out = icp.run("cycles", "balance", "-n", net.url, "-k", net.root_key_hex).stdout
    return int(out.split("Balance:")[1].split("cycles")[0].replace("_", ""))


def test_cycles_ledger_top_up_refusals_reach_icp_cli(net, icp, run_node):
    """icp-cli decodes the cycles ledger's refusals as DFINITY's ledger gives them
    (dfinity/cycles-ledger storage.rs withdraw): 0 cycles is a GenericError before anything,
    and a top-up of a deleted canister is burnt, rejected by deposit_cycles and refunded less
    the fee (FailedToWithdraw, DestinationInvalid): two fees in all."""
    net.mint(icp.alice, 2_000_000_000_000)
    cid = create(run_node, net, icp.alice)
    icp.run("canister", "stop", cid)
    icp.run("canister", "delete", cid, "--no-recover-cycles")
    before = _ledger_balance(icp, net)
    zero = icp.run("canister", "top-up", "--amount", "0", cid, check=False)
    assert zero.returncode != 0 and "The withdraw_from 0 cycles is not possible" in zero.stderr, zero.stderr
    assert _ledger_balance(icp, net) == before
    gone = icp.run("canister", "top-up", "--amount", "500000000000", cid, check=False)
    assert gone.returncode != 0, gone.stdout
    assert f"Canister {cid} not found" in gone.stderr and "DestinationInvalid" in gone.stderr, gone.stderr
    assert _ledger_balance(icp, net) == before - 2 * 100_000_000


def test_motoko_canister_snapshot_download_upload_restore(net, icp, tmp_path, run_node):
    wasm = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "wasm", "user.wasm.gz")
    cid = create(run_node, net, icp.alice)
    icp.run("canister", "install", cid, "--wasm", wasm, "--args",
            f'(record {{ owner = principal "{icp.alice}" }})')
    icp.run("canister", "call", cid, "set_preference", '("k", "kept")')
    icp.run("canister", "stop", cid)
    made = icp.run("canister", "snapshot", "create", cid).stdout
    snapshot_id = made.split("Created snapshot ", 1)[1].split()[0]
    out = tmp_path / "snap"
    icp.run("canister", "snapshot", "download", cid, snapshot_id, "--output", str(out))
    assert (out / "wasm_memory.bin").stat().st_size > 0
    uploaded = icp.run("canister", "snapshot", "upload", cid, "--input", str(out)).stdout
    upload_id = uploaded.split("Snapshot ", 1)[1].split()[0]
    icp.run("canister", "start", cid)
    icp.run("canister", "call", cid, "set_preference", '("k", "changed")')
    icp.run("canister", "stop", cid)
    icp.run("canister", "snapshot", "restore", cid, upload_id)
    icp.run("canister", "start", cid)
    got = icp.run("canister", "call", cid, "get_preference", '("k")', "--query").stdout
    assert '"kept"' in got
    assert "ok" in icp.run("canister", "call", cid, "set_preference", '("k", "next")').stdout
