"""The HTTP interface: status, content rules, authentication, expiry, effective ids, dedup."""
import os
import time

import pytest

from _ic import candid, cbor
from _ic.errors import Reject
from _ic.identity import AnonymousIdentity, EcdsaIdentity, Ed25519Identity
from _ic.principal import Principal
from localnet.client import MiniClient
from localnet.management.interface import DID

MGMT = Principal.management()


def status_arg(cid):
    return candid.encode(DID.arg_types("canister_status"), [{"canister_id": cid}])


def test_status_endpoint(net, client):
    answer = client.get("/api/v2/status")
    assert answer.status == 200 and answer.content_type == "application/cbor"
    assert answer.body.startswith(b"\xd9\xd9\xf7")
    body = answer.cbor()
    assert body["root_key"] == net.root_key_der
    assert body["replica_health_status"] == "healthy"
    assert isinstance(body["impl_version"], str)


def test_content_type_bad_cbor_and_size(client):
    cid = client.create_canister()
    envelope = client.envelope(client.content("call", MGMT, "canister_status", status_arg(cid)))
    path = f"/api/v4/canister/{cid}/call"
    wrong = client.post(path, envelope, content_type="application/json")
    assert (wrong.status, wrong.body) == (
        400, b"Unexpected content-type, expected application/cbor.")
    assert wrong.content_type.startswith("text/plain")
    bad = client.post(path, b"\xd9\xd9\xf7\xa1")
    assert bad.status == 400 and bad.body.startswith(b"Failed to deserialize cbor request")
    huge = client.post(path, b"\x00" * (2 * 1024 * 1024 + 1))
    assert huge.status == 413
    ok = client.post(path, client.envelope(client.content("call", MGMT, "canister_status",
                                                          status_arg(cid))))
    assert ok.status == 200 and ok.cbor()["status"] == "replied"


def test_bad_signature_and_sender_mismatch(client, make_client):
    cid = client.create_canister()
    content = client.content("call", MGMT, "canister_status", status_arg(cid))
    envelope = cbor.loads(client.envelope(content))
    envelope["sender_sig"] = bytes(64)
    answer = client.post(f"/api/v4/canister/{cid}/call", cbor.dumps(envelope))
    assert answer.status == 400 and answer.body.startswith(b"Invalid signature")
    other = make_client()
    envelope = cbor.loads(client.envelope(content))
    envelope["sender_pubkey"] = other.identity.public_key_der
    answer = client.post(f"/api/v4/canister/{cid}/call", cbor.dumps(envelope))
    assert answer.status == 400 and b"does not match the public key" in answer.body


@pytest.mark.parametrize("kind", ["secp256k1", "p256"])
def test_ecdsa_identities(net, kind):
    c = MiniClient(net.url, EcdsaIdentity.generate(kind), net.root_key_der)
    cid = c.create_canister()
    assert c.mgmt("canister_status", {"canister_id": cid})["settings"]["controllers"] == \
        [c.identity.sender]
    c.close()


def test_anonymous_calls_allowed(net):
    c = MiniClient(net.url, AnonymousIdentity(), net.root_key_der)
    cid = c.create_canister()
    assert c.mgmt("canister_status", {"canister_id": cid})["settings"]["controllers"] == \
        [Principal.anonymous()]
    c.close()


def test_expiry_window(client):
    cid = client.create_canister()
    for expiry in (time.time_ns() - 10 ** 9, time.time_ns() + 400 * 10 ** 9):
        content = client.content("call", MGMT, "canister_status", status_arg(cid),
                                 expiry=expiry)
        answer = client.post(f"/api/v4/canister/{cid}/call", client.envelope(content))
        assert answer.status == 400
        assert answer.body.startswith(b"Invalid request expiry: ")
    content = client.content("call", MGMT, "canister_status", status_arg(cid),
                             expiry=time.time_ns() + 325 * 10 ** 9)
    assert client.post(f"/api/v4/canister/{cid}/call", client.envelope(content)).status == 200


def test_effective_canister_id_rules(client):
    cid = client.create_canister()
    other = client.create_canister()
    _, answer = client.call_raw(MGMT, "canister_status", status_arg(cid), ecid=other)
    assert answer.status == 400 and b"does not match effective canister id" in answer.body
    _, answer = client.call_raw(cid, "greet", b"DIDL\x00\x00", ecid=other)
    assert answer.status == 400
    bad = client.post("/api/v4/canister/not-a-principal/call", b"")
    assert bad.status == 400
    # provisional create accepts any effective canister id
    assert client.create_canister() != cid
    assert client.mgmt("provisional_create_canister_with_cycles",
                       {"amount": None, "settings": None, "specified_id": None,
                        "sender_canister_version": None}, ecid=other)["canister_id"]


def test_unknown_routes_and_query_to_missing_canister(client):
    assert client.get("/api/v9/status").status == 404
    missing = Principal.from_canister_index(0x80000000001FFFF1)
    _, answer = client.query_raw(missing, "get", b"DIDL\x00\x00")
    assert answer.status == 404


def test_duplicate_submission_executes_once(net, client):
    before = net.metrics()["update_calls"]
    content = client.content("call", MGMT, "provisional_create_canister_with_cycles",
                             candid.encode(DID.arg_types(
                                 "provisional_create_canister_with_cycles"),
                                 [{"amount": None, "settings": None, "specified_id": None,
                                   "sender_canister_version": None}]))
    body = client.envelope(content)
    first = client.post(f"/api/v4/canister/{MGMT}/call", body)
    second = client.post(f"/api/v4/canister/{MGMT}/call", body)
    third = client.post(f"/api/v2/canister/{MGMT}/call", body)
    assert first.status == second.status == 200 and third.status == 202
    request_id = cbor.request_id(content)
    replies = {client.verify(a.cbor()["certificate"]).lookup(
        [b"request_status", request_id, b"reply"]) for a in (first, second)}
    assert len(replies) == 1
    assert net.metrics()["update_calls"] == before + 1


def test_v2_call_then_read_state_polling(client):
    cid = client.create_canister()
    request_id, answer = client.call_raw(MGMT, "canister_status", status_arg(cid), ecid=cid,
                                         version=2)
    assert (answer.status, answer.body) == (202, b"")
    cert = client.read_state(cid, [[b"request_status", request_id]])
    assert cert.lookup([b"request_status", request_id, b"status"]) == b"replied"
    reply = cert.lookup([b"request_status", request_id, b"reply"])
    assert candid.decode(reply, DID.ret_types("canister_status"))[0]["cycles"] > 0
    # v3 is served too, with the same certified shape as v4
    _, answer = client.call_raw(MGMT, "canister_status", status_arg(cid), ecid=cid, version=3)
    assert answer.status == 200 and answer.cbor()["status"] == "replied"


def test_non_replicated_rejection_shapes(client, make_client):
    cid = client.create_canister()
    other = make_client()
    _, v4 = other.call_raw(MGMT, "canister_status", status_arg(cid), ecid=cid)
    body = v4.cbor()
    assert body["status"] == "non_replicated_rejection" and body["error_code"] == "IC0512"
    _, v2 = other.call_raw(MGMT, "canister_status", status_arg(cid), ecid=cid, version=2)
    assert v2.status == 200 and "status" not in v2.cbor()
    assert v2.cbor()["reject_code"] == 5


def test_nonce_too_long(client):
    cid = client.create_canister()
    content = client.content("call", MGMT, "canister_status", status_arg(cid))
    content["nonce"] = os.urandom(33)
    answer = client.post(f"/api/v4/canister/{cid}/call", client.envelope(content))
    assert answer.status == 400 and b"Nonce" in answer.body


def test_call_to_canister_without_engine_method(client):
    cid = client.create_canister()
    with pytest.raises(Reject) as info:
        client.call(cid, "greet", b"DIDL\x00\x00")
    assert info.value.error_code == "IC0537"


def test_mint_and_admin(net, client):
    owner = Ed25519Identity.generate().sender
    assert net.mint(owner, 1000) == 1000
    assert net.mint(owner, 500) == 1500
    cid = client.create_canister(12345)
    listed = {c["id"]: c for c in net.canisters()}
    assert listed[str(cid)]["controllers"] == [str(client.identity.sender)]
    assert listed[str(cid)]["status"] == "running"
