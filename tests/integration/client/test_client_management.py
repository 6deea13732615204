"""Every management wrapper against localnet, end to end (certified replies, signed queries)."""
import hashlib
import os

import pytest

from _ic import candid
from _ic.agent import Agent
from _ic.errors import Reject, TransportError
from _ic.identity import Ed25519Identity
from _ic.management import Management
from _ic.principal import Principal

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


def user_init_arg(owner):
    with open(os.path.join(ROOT, "wasm", "user.did")) as handle:
        did = candid.parse_did(handle.read())
    return candid.encode(did.init_args, [candid.from_python(did.init_args[0],
                                                            {"owner": str(owner)})])


def calls(metrics, kind):
    """Requests localnet received on the endpoints of one kind (call, query, read_state)."""
    return sum(n for endpoint, n in metrics["by_endpoint"].items()
               if endpoint.endswith("/" + kind))


def text_reply(data):
    return candid.decode(data, [candid.Text])[0]


@pytest.fixture
def canister(mgmt):
    return mgmt.provisional_create_canister_with_cycles(amount=5 * 10**12)


@pytest.fixture
def installed(mgmt, canister, user_wasm_gz, agent):
    mgmt.install_code(canister, user_wasm_gz, user_init_arg(agent.sender))
    return canister


def padded_module(wasm, extra):
    """``wasm`` with a custom section of ``extra`` incompressible bytes appended."""
    name = b"padding"
    payload = bytes([len(name)]) + name + os.urandom(extra)
    size, n = bytearray(), len(payload)
    while True:
        byte, n = n & 0x7F, n >> 7
        size.append(byte | (0x80 if n else 0))
        if not n:
            break
    return wasm + b"\x00" + bytes(size) + payload


def test_create_makes_the_sender_the_controller(mgmt, agent, canister):
    assert isinstance(canister, Principal) and canister.canister_index() is not None
    assert agent.controllers(canister) == [agent.sender]
    assert mgmt.canister_info(canister) == {"controllers": [agent.sender], "module_hash": None}


def test_create_with_specified_id_and_settings(mgmt, agent):
    wanted = Principal.from_canister_index(2**40 + int.from_bytes(os.urandom(3), "big"))
    other = Ed25519Identity.generate().sender
    got = mgmt.provisional_create_canister_with_cycles(
        amount=10**12, specified_id=wanted,
        settings={"controllers": [str(agent.sender), str(other)], "freezing_threshold": 99})
    assert got == wanted
    assert set(agent.controllers(wanted)) == {agent.sender, other}
    assert mgmt.canister_status(wanted)["settings"]["freezing_threshold"] == 99


def test_canister_status_is_a_signed_query(mgmt, localnet, canister):
    before = localnet.metrics()
    status = mgmt.canister_status(canister)
    after = localnet.metrics()
    assert status["status"] == {"running": None}
    assert status["module_hash"] is None and status["cycles"] > 0
    assert calls(after, "query") == calls(before, "query") + 1
    assert calls(after, "call") == calls(before, "call")
    assert mgmt.canister_metrics(canister) is not None


def test_status_query_refused_falls_back_to_an_update(localnet, canister):
    stranger = Agent(localnet.url, Ed25519Identity.generate(),
                     root_key_der=localnet.root_key_der)
    before = localnet.metrics()
    with pytest.raises(Reject) as info:
        Management(stranger).canister_status(canister)
    after = localnet.metrics()
    assert info.value.reject_code == 5 and info.value.error_code == "IC0512"
    assert calls(after, "query") == calls(before, "query") + 1
    assert calls(after, "call") == calls(before, "call") + 1


def test_update_settings_round_trip(mgmt, canister):
    mgmt.update_settings(canister, {"freezing_threshold": 1234, "log_visibility": "public",
                                    "wasm_memory_limit": 2**30,
                                    "environment_variables": [{"name": "A", "value": "1"}]})
    settings = mgmt.canister_status(canister)["settings"]
    assert settings["freezing_threshold"] == 1234
    assert settings["log_visibility"] == {"public": None}
    assert settings["wasm_memory_limit"] == 2**30


def test_install_upgrade_reinstall_uninstall(mgmt, agent, canister, user_wasm_gz):
    mgmt.install_code(canister, user_wasm_gz, user_init_arg(agent.sender))
    assert agent.module_hash(canister) == hashlib.sha256(user_wasm_gz).digest()
    assert text_reply(agent.query(canister, "version", b"DIDL\x00\x00"))
    assert candid.decode(agent.update(canister, "whoami", b"DIDL\x00\x00"),
                         [candid.Principal_])[0] == agent.sender
    with pytest.raises(Reject) as info:  # Motoko EOP needs wasm_memory_persistence = keep
        mgmt.install_code(canister, user_wasm_gz, user_init_arg(agent.sender), mode="upgrade")
    assert info.value.error_code == "IC0504"
    mgmt.install_code(canister, user_wasm_gz, user_init_arg(agent.sender),
                      mode={"upgrade": {"skip_pre_upgrade": None,
                                        "wasm_memory_persistence": "keep"}})
    mgmt.install_code(canister, user_wasm_gz, user_init_arg(agent.sender), mode="reinstall")
    with pytest.raises(Reject) as info:
        mgmt.install_code(canister, user_wasm_gz, user_init_arg(agent.sender))
    assert info.value.reject_code == 5
    mgmt.uninstall_code(canister)
    assert agent.module_hash(canister) is None


def test_install_mode_is_checked(mgmt, canister, user_wasm_gz):
    from _ic.errors import InputError
    with pytest.raises(InputError, match="mode"):
        mgmt.install_code(canister, user_wasm_gz, b"DIDL\x00\x00", mode="replace")


def test_chunk_store_wrappers(mgmt, canister):
    chunk = os.urandom(1000)
    assert mgmt.upload_chunk(canister, chunk) == hashlib.sha256(chunk).digest()
    assert mgmt.stored_chunks(canister) == [hashlib.sha256(chunk).digest()]
    mgmt.clear_chunk_store(canister)
    assert mgmt.stored_chunks(canister) == []


def test_large_module_goes_through_the_chunk_store(mgmt, agent, canister, user_wasm):
    module = padded_module(user_wasm, 2 * 1024 * 1024 + 4096)
    with pytest.raises(TransportError) as info:
        mgmt.install_code(canister, module, user_init_arg(agent.sender))
    assert info.value.status == 413
    result = mgmt.install(canister, module, user_init_arg(agent.sender))
    assert result == {"chunked": True, "chunks": 3, "uploaded": 3}
    assert agent.module_hash(canister) == hashlib.sha256(module).digest()
    assert mgmt.stored_chunks(canister) == []


def test_module_just_under_2_mib_leaves_room_for_the_envelope(mgmt, agent, canister,
                                                               user_wasm):
    """Module + arg a little under 2 MiB: one install_code would exceed the 2 MiB ingress
    limit once wrapped in Candid and the signed envelope, so it must go in chunks."""
    arg = user_init_arg(agent.sender)
    module = padded_module(user_wasm, 0)
    module = padded_module(user_wasm, 2 * 1024 * 1024 - 200 - len(module) - len(arg) - 8)
    assert 2 * 1024 * 1024 - 1024 < len(module) + len(arg) <= 2 * 1024 * 1024 - 200
    result = mgmt.install(canister, module, arg)
    assert result["chunked"] is True
    assert agent.module_hash(canister) == hashlib.sha256(module).digest()


def test_chunked_install_uploads_only_missing_chunks(mgmt, agent, canister, user_wasm):
    first = user_wasm[:64 * 1024]
    mgmt.upload_chunk(canister, first)
    result = mgmt.install(canister, user_wasm, user_init_arg(agent.sender),
                          chunk_threshold=0, chunk_size=64 * 1024)
    chunks = -(-len(user_wasm) // (64 * 1024))
    assert result == {"chunked": True, "chunks": chunks, "uploaded": chunks - 1}
    assert agent.module_hash(canister) == hashlib.sha256(user_wasm).digest()


def test_small_module_is_installed_in_one_message(mgmt, agent, canister, user_wasm_gz):
    assert mgmt.install(canister, user_wasm_gz, user_init_arg(agent.sender))["chunked"] is False


def test_stop_start_delete(mgmt, agent, installed):
    mgmt.stop_canister(installed)
    assert mgmt.canister_status(installed)["status"] == {"stopped": None}
    mgmt.start_canister(installed)
    assert mgmt.canister_status(installed)["status"] == {"running": None}
    with pytest.raises(Reject):
        mgmt.delete_canister(installed)
    mgmt.stop_canister(installed)
    mgmt.delete_canister(installed)
    with pytest.raises(Reject) as info:
        mgmt.canister_status(installed)
    assert info.value.error_code == "IC0301"


def test_snapshots(mgmt, agent, installed):
    set_pref = candid.encode([candid.Text, candid.Text], ["k", "before"])
    agent.update(installed, "set_preference", set_pref)
    mgmt.stop_canister(installed)
    snap = mgmt.take_canister_snapshot(installed)
    assert set(snap) >= {"id", "taken_at_timestamp", "total_size"}
    assert [s["id"] for s in mgmt.list_canister_snapshots(installed)] == [snap["id"]]
    meta = mgmt.read_canister_snapshot_metadata(installed, snap["id"])
    assert meta["wasm_module_size"] > 0
    data = mgmt.read_canister_snapshot_data(installed, snap["id"],
                                            {"wasm_module": {"offset": 0, "size": 4}})
    assert data["chunk"] == b"\x1f\x8b\x08\x00"[:4] or data["chunk"] == b"\x00asm"
    mgmt.start_canister(installed)
    agent.update(installed, "set_preference",
                 candid.encode([candid.Text, candid.Text], ["k", "after"]))
    mgmt.stop_canister(installed)
    mgmt.load_canister_snapshot(installed, snap["id"])
    mgmt.start_canister(installed)
    got = agent.query(installed, "get_preference", candid.encode([candid.Text], ["k"]))
    assert candid.decode(got, [candid.Opt(candid.Text)])[0] == "before"
    mgmt.delete_canister_snapshot(installed, snap["id"])
    assert mgmt.list_canister_snapshots(installed) == []


def test_fetch_canister_logs_is_a_query(mgmt, localnet, installed):
    before = localnet.metrics()
    logs = mgmt.fetch_canister_logs(installed)
    assert isinstance(logs["canister_log_records"], list)
    after = localnet.metrics()
    assert calls(after, "call") == calls(before, "call")
    assert calls(after, "query") == calls(before, "query") + 1


def test_top_up_adds_cycles(mgmt, canister):
    before = mgmt.canister_status(canister)["cycles"]
    mgmt.provisional_top_up_canister(canister, 10**12)
    assert mgmt.canister_status(canister)["cycles"] >= before + 10**12 - 10**10


def test_not_a_controller_is_a_typed_reject(localnet, canister):
    stranger = Management(Agent(localnet.url, Ed25519Identity.generate(),
                                root_key_der=localnet.root_key_der))
    with pytest.raises(Reject) as info:
        stranger.update_settings(canister, {"freezing_threshold": 1})
    assert info.value.as_dict()["error_code"] == "IC0512"
    assert str(canister) in info.value.as_dict()["message"]


def test_read_state_paths(localnet, agent, mgmt, installed, user_wasm_gz):
    service = agent.metadata(installed, "candid:service")
    assert service is not None and b"whoami" in service
    assert agent.metadata(installed, "no-such-section") is None
    root_subnet = Principal.self_authenticating(localnet.root_key_der)
    path = [b"subnet", root_subnet.raw, b"public_key"]
    assert agent.read_state_subnet(root_subnet, [path]).lookup(path) == localnet.root_key_der
    with pytest.raises(Exception):
        agent.read_state_subnet(Principal.self_authenticating(b"elsewhere"), [path])


def test_request_status_of_a_finished_call(agent, canister):
    from _ic import cbor
    from _ic.request import call_content, sign_envelope
    arg = candid.encode([candid.Record({"canister_id": candid.Principal_})],
                        [{"canister_id": canister}])
    content = call_content(agent.sender, Principal.management(), "start_canister", arg)
    rid = cbor.request_id(content)
    assert agent.request_status(canister, rid) == ("unknown", None)
    agent._submit(canister.to_text(), sign_envelope(agent.identity, content), rid,
                  content["ingress_expiry"])
    state, reply = agent.request_status(canister, rid)
    assert state == "replied" and reply == b"DIDL\x00\x00"


def test_wrappers_also_take_the_argument_record(mgmt, agent):
    created = mgmt.provisional_create_canister_with_cycles({"amount": 10**12})
    canister = created["canister_id"]
    assert agent.controllers(canister) == [agent.sender]
    by_record = mgmt.canister_status({"canister_id": str(canister)})
    assert by_record["settings"] == mgmt.canister_status(canister)["settings"]
    assert mgmt.stored_chunks({"canister_id": canister}) == []
    assert mgmt.list_canister_snapshots({"canister_id": canister}) == []


def test_method_not_callable_by_ingress_is_refused_locally(mgmt):
    from _ic.errors import InputError
    with pytest.raises(InputError, match="raw_rand"):
        mgmt.call("raw_rand", {})
