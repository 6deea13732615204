"""DFINITY's JS agent (@icp-sdk/core 5.4, @icp-sdk/canisters 3.6), unchanged, on localnet."""
import hashlib

from localnet.testing import MINIMAL_WASM


def test_management_lifecycle_and_read_state(net, run_node):
    out = run_node("js_agent_scenario.mjs", net.url, MINIMAL_WASM.hex())
    wasm_hash = hashlib.sha256(MINIMAL_WASM).hexdigest()
    assert out["status_certified"] == "running"
    assert int(out["status_query_cycles"]) <= 5_000_000_000_000
    assert out["module_hash"] == wasm_hash
    assert out["freezing_threshold"] == "1234"
    assert len(out["controllers"]) == 2 and out["owner"] in out["controllers"]
    assert out["read_state_module_hash"] == wasm_hash
    assert out["read_state_controllers"] == out["controllers"]
    assert out["stranger_status"]["code"] == "IC0512"
    assert "Only controllers of canister" in out["stranger_status"]["text"]
    assert out["stranger_stop"]["code"] == "IC0512"
    assert out["status_after_stop"] == "stopped"
    assert out["status_after_delete"]["code"] == "IC0301"
    listed = {c["id"] for c in net.canisters()}
    assert out["canister_id"] not in listed
