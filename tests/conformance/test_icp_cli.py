"""icp-cli 1.5.0, unchanged, against localnet (canisters created through the JS agent)."""
import hashlib
import json

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
