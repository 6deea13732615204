"""The management canister over HTTP: lifecycle, settings, code, chunks, snapshots, errors."""
import gzip
import hashlib

import pytest

from _ic.errors import Reject
from _ic.principal import Principal

from localnet.testing import MINIMAL_WASM as WASM, custom_section


def reject_of(fn, *args, **kwargs):
    """Run ``fn`` expecting a Reject; return it."""
    with pytest.raises(Reject) as info:
        fn(*args, **kwargs)
    return info.value


def install(client, cid, wasm=WASM, mode="install", options=None):
    """install_code with a mode name (upgrade options for ``upgrade``)."""
    value = {mode: options} if mode == "upgrade" else {mode: None}
    client.mgmt("install_code", {"mode": value, "canister_id": cid, "wasm_module": wasm,
                                 "arg": b"", "sender_canister_version": None})


def status(client, cid):
    return client.mgmt("canister_status", {"canister_id": cid})


def test_create_defaults_and_status_fields(client):
    cid = client.create_canister()
    st = status(client, cid)
    assert st["status"] == {"running": None}
    assert st["cycles"] == 100_000_000_000_000
    assert st["module_hash"] is None
    assert st["settings"]["controllers"] == [client.identity.sender]
    assert st["settings"]["freezing_threshold"] == 2_592_000
    assert st["settings"]["log_memory_limit"] == 4096
    assert "log_memory_store_size" in st["memory_metrics"]
    assert st["version"] == 0


def test_specified_id_and_collision(client):
    wanted = Principal.from_text("ryjl3-tyaaa-aaaaa-aaaba-cai")
    assert client.create_canister(10 ** 12, specified_id=wanted) == wanted
    again = reject_of(client.create_canister, 10 ** 12, specified_id=wanted)
    assert again.error_code == "IC0205" and again.reject_code == 2
    inside = Principal.from_canister_index(0x8000000000100005)
    assert reject_of(client.create_canister, specified_id=inside).error_code == "IC0408"


def test_non_controller_gets_ic0512_and_unknown_ic0301(client, make_client):
    cid = client.create_canister()
    other = make_client()
    for method in ("canister_status", "stop_canister", "delete_canister", "start_canister"):
        err = reject_of(other.mgmt, method, {"canister_id": cid})
        assert (err.reject_code, err.error_code) == (5, "IC0512")
        assert err.reject_message == (f"Only controllers of canister {cid} can call ic00 "
                                      f"method {method}")
    missing = Principal.from_canister_index(0x80000000001FFFF0)
    err = reject_of(client.mgmt, "canister_status", {"canister_id": missing})
    assert (err.reject_code, err.error_code) == (3, "IC0301")


def test_canister_only_and_replicated_only_methods(client):
    err = reject_of(client.mgmt, "create_canister", {"settings": None,
                                                     "sender_canister_version": None})
    assert (err.error_code, err.reject_message) == (
        "IC0406", "Only canisters can call ic00 method create_canister")
    cid = client.create_canister()
    err = reject_of(client.mgmt, "fetch_canister_logs", {"canister_id": cid})
    assert err.error_code == "IC0406"
    assert client.mgmt("fetch_canister_logs", {"canister_id": cid}, as_query=True) == \
        {"canister_log_records": []}


def test_update_settings_every_field_and_limits(client):
    cid = client.create_canister()
    viewer = Principal.from_text("2vxsx-fae")
    settings = {
        "controllers": [client.identity.sender, viewer], "compute_allocation": 1,
        "memory_allocation": 10_000, "freezing_threshold": 3600,
        "reserved_cycles_limit": 10 ** 12, "minimum_incoming_canister_call_cycles": 7,
        "log_visibility": {"allowed_viewers": [viewer]}, "snapshot_visibility": {"public": None},
        "status_visibility": {"controllers": None}, "wasm_memory_limit": 2 ** 30,
        "wasm_memory_threshold": 2 ** 20,
        "environment_variables": [{"name": "A", "value": "1"}], "log_memory_limit": 8192}
    client.mgmt("update_settings", {"canister_id": cid, "settings": settings,
                                    "sender_canister_version": None})
    got = status(client, cid)["settings"]
    for key, value in settings.items():
        assert got[key] == value, key
    too_many = [Principal.from_canister_index(i) for i in range(11)]
    err = reject_of(client.mgmt, "update_settings", {
        "canister_id": cid, "settings": {"controllers": too_many}})
    assert err.error_code == "IC0504"
    assert err.reject_message.startswith("Could not validate the settings: Invalid settings: "
                                         "'controllers' length exceeds maximum size allowed of 10")
    err = reject_of(client.mgmt, "update_settings", {
        "canister_id": cid, "settings": {"compute_allocation": 101}})
    assert err.error_code == "IC0504"
    err = reject_of(client.mgmt, "update_settings", {
        "canister_id": cid, "settings": {"environment_variables": [
            {"name": f"V{i}", "value": ""} for i in range(21)]}})
    assert err.error_code == "IC0408"
    assert status(client, cid)["settings"]["compute_allocation"] == 1  # unchanged by failures


def test_install_modes_hash_gzip_and_errors(client):
    cid = client.create_canister()
    err = reject_of(install, client, cid, mode="upgrade")
    assert err.error_code == "IC0537"
    install(client, cid)
    assert status(client, cid)["module_hash"] == hashlib.sha256(WASM).digest()
    err = reject_of(install, client, cid)
    assert (err.reject_code, err.error_code) == (5, "IC0514")
    assert err.reject_message.startswith(f"Canister {cid} cannot be installed because the "
                                         "canister is not empty.")
    zipped = gzip.compress(WASM + custom_section("icp:public candid:service", b"service:{}"))
    install(client, cid, zipped, mode="reinstall")
    assert status(client, cid)["module_hash"] == hashlib.sha256(zipped).digest()
    install(client, cid, WASM, mode="upgrade", options=None)
    err = reject_of(install, client, cid, b"\x00asm\x01\x00\x00\x00\x01", mode="reinstall")
    assert err.error_code == "IC0505"
    err = reject_of(install, client, cid, b"not wasm", mode="reinstall")
    assert err.error_code == "IC0505"
    assert status(client, cid)["module_hash"] == hashlib.sha256(WASM).digest()


def test_eop_upgrade_needs_persistence_option(client):
    cid = client.create_canister()
    eop = WASM + custom_section("icp:private enhanced-orthogonal-persistence", b"")
    install(client, cid, eop)
    err = reject_of(install, client, cid, eop, mode="upgrade", options=None)
    assert err.error_code == "IC0504" and err.reject_message.startswith("Missing upgrade option")
    err = reject_of(install, client, cid, WASM, mode="upgrade", options={
        "skip_pre_upgrade": None, "wasm_memory_persistence": {"keep": None}})
    assert err.reject_message.startswith("Invalid upgrade option")
    install(client, cid, eop, mode="upgrade", options={
        "skip_pre_upgrade": None, "wasm_memory_persistence": {"keep": None}})


def test_chunk_store_and_chunked_install(client):
    cid = client.create_canister()
    module = WASM + custom_section("pad", b"x" * 1500)
    parts = [module[:1000], module[1000:]]
    hashes = [client.mgmt("upload_chunk", {"canister_id": cid, "chunk": p})["hash"]
              for p in parts]
    assert hashes == [hashlib.sha256(p).digest() for p in parts]
    stored = client.mgmt("stored_chunks", {"canister_id": cid})
    assert sorted(h["hash"] for h in stored) == sorted(hashes)
    args = {"mode": {"install": None}, "target_canister": cid, "store_canister": None,
            "chunk_hashes_list": [{"hash": h} for h in hashes],
            "wasm_module_hash": b"\x00" * 32, "arg": b"", "sender_canister_version": None}
    err = reject_of(client.mgmt, "install_chunked_code", args)
    assert err.error_code == "IC0504"
    args["wasm_module_hash"] = hashlib.sha256(module).digest()
    client.mgmt("install_chunked_code", args)
    assert status(client, cid)["module_hash"] == hashlib.sha256(module).digest()
    err = reject_of(client.mgmt, "upload_chunk", {"canister_id": cid,
                                                  "chunk": b"x" * (1024 * 1024 + 1)})
    assert (err.reject_code, err.error_code) == (5, "IC0504")
    client.mgmt("clear_chunk_store", {"canister_id": cid})
    assert client.mgmt("stored_chunks", {"canister_id": cid}) == []



def test_install_chunked_code_from_another_store_canister(client, make_client):
    store, target = client.create_canister(), client.create_canister()
    module = WASM + custom_section("pad", b"y" * 300)
    digest = client.mgmt("upload_chunk", {"canister_id": store, "chunk": module})["hash"]
    args = {"mode": {"install": None}, "target_canister": target, "store_canister": store,
            "chunk_hashes_list": [{"hash": digest}], "wasm_module_hash": digest, "arg": b"",
            "sender_canister_version": None}
    # The target's own store does not hold the chunk.
    err = reject_of(client.mgmt, "install_chunked_code", dict(args, store_canister=None))
    assert err.error_code == "IC0504" and "does not contain a chunk" in err.reject_message
    # A store nobody created.
    err = reject_of(client.mgmt, "install_chunked_code",
                    dict(args, store_canister=Principal.from_canister_index(4242)))
    assert (err.reject_code, err.error_code) == (3, "IC0301")
    # A store the caller does not control: execution's check, with execution's wording.
    other = make_client()
    own_target = other.create_canister()
    err = reject_of(other.mgmt, "install_chunked_code", dict(args, target_canister=own_target))
    assert (err.reject_code, err.error_code) == (5, "IC0512")
    assert err.reject_message.startswith(f"Only the controllers of the canister {store} can control it.")
    client.mgmt("install_chunked_code", args)
    assert status(client, target)["module_hash"] == digest
    assert client.mgmt("stored_chunks", {"canister_id": store}) == [{"hash": digest}]

def test_stop_start_delete(client):
    cid = client.create_canister()
    err = reject_of(client.mgmt, "delete_canister", {"canister_id": cid})
    assert (err.reject_code, err.error_code) == (5, "IC0510")
    assert err.reject_message.startswith(f"Canister {cid} must be stopped before it is deleted.")
    client.mgmt("stop_canister", {"canister_id": cid})
    assert status(client, cid)["status"] == {"stopped": None}
    client.mgmt("start_canister", {"canister_id": cid})
    assert status(client, cid)["status"] == {"running": None}
    client.mgmt("stop_canister", {"canister_id": cid})
    client.mgmt("delete_canister", {"canister_id": cid})
    assert reject_of(status, client, cid).error_code == "IC0301"


def test_uninstall_and_top_up(client):
    cid = client.create_canister(10 ** 12)
    install(client, cid)
    client.mgmt("uninstall_code", {"canister_id": cid, "sender_canister_version": None})
    st = status(client, cid)
    assert st["module_hash"] is None
    before = st["cycles"]
    client.mgmt("provisional_top_up_canister", {"canister_id": cid, "amount": 10 ** 9})
    added = status(client, cid)["cycles"] - before
    assert 10 ** 9 - 10 ** 4 <= added <= 10 ** 9  # less only the idle burn in between


def test_snapshots_take_replace_load_list_delete_limit(client):
    cid = client.create_canister()
    err = reject_of(client.mgmt, "take_canister_snapshot", {"canister_id": cid})
    assert err.error_code == "IC0406"
    install(client, cid)
    first = client.mgmt("take_canister_snapshot", {"canister_id": cid})
    install(client, cid, WASM + custom_section("v2", b"2"), mode="reinstall")
    client.mgmt("load_canister_snapshot", {"canister_id": cid, "snapshot_id": first["id"],
                                           "sender_canister_version": None})
    assert status(client, cid)["module_hash"] == hashlib.sha256(WASM).digest()
    replaced = client.mgmt("take_canister_snapshot", {"canister_id": cid,
                                                      "replace_snapshot": first["id"]})
    listed = client.mgmt("list_canister_snapshots", {"canister_id": cid})
    assert [s["id"] for s in listed] == [replaced["id"]]
    for _ in range(9):
        client.mgmt("take_canister_snapshot", {"canister_id": cid})
    err = reject_of(client.mgmt, "take_canister_snapshot", {"canister_id": cid})
    assert err.error_code == "IC0406" and "maximum number of snapshots" in err.reject_message
    client.mgmt("delete_canister_snapshot", {"canister_id": cid, "snapshot_id": replaced["id"]})
    err = reject_of(client.mgmt, "delete_canister_snapshot",
                    {"canister_id": cid, "snapshot_id": replaced["id"]})
    assert (err.reject_code, err.error_code) == (3, "IC0305")
    assert len(client.mgmt("list_canister_snapshots", {"canister_id": cid})) == 9


def test_freezing_threshold_blocks_install(client):
    cid = client.create_canister(1000, settings={"freezing_threshold": 10 ** 9})
    err = reject_of(install, client, cid, WASM + custom_section("pad", b"x" * 100_000))
    assert (err.reject_code, err.error_code) == (2, "IC0207")
    assert status(client, cid)["module_hash"] is None


def test_status_query_and_visibility(client, make_client):
    cid = client.create_canister()
    other = make_client()
    err = reject_of(other.mgmt, "canister_status", {"canister_id": cid}, as_query=True)
    assert err.error_code == "IC0512"
    assert err.reject_message.startswith(f"Only the controllers of the canister {cid} can "
                                         "control it.")
    client.mgmt("update_settings", {"canister_id": cid,
                                    "settings": {"status_visibility": {"public": None}}})
    assert other.mgmt("canister_status", {"canister_id": cid}, as_query=True)["cycles"] > 0
    assert other.mgmt("canister_status", {"canister_id": cid})["cycles"] > 0
