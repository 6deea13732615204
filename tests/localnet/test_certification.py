"""Certificates and state tree: time, subnet, canister ranges, node keys, permissions."""
import time

import pytest

from _ic.errors import CertificateError

from _ic import cbor
from _ic.certificate import verify_certificate
from _ic.principal import Principal
from localnet.client import check_query_signature
from localnet.testing import MINIMAL_WASM, custom_section

from _ic import candid
from localnet.management.interface import DID


def install(client, cid, wasm):
    client.mgmt("install_code", {"mode": {"install": None}, "canister_id": cid,
                                 "wasm_module": wasm, "arg": b"",
                                 "sender_canister_version": None})


def test_subnet_tree_for_query_signature_checks(net, client):
    cid = client.create_canister()
    cert = client.read_state(cid, [[b"subnet"]])
    subnet = Principal.self_authenticating(net.root_key_der)
    assert cert.lookup([b"subnet", subnet.raw, b"public_key"]) == net.root_key_der
    ranges = cbor.loads(cert.lookup([b"subnet", subnet.raw, b"canister_ranges"]))
    ledger = Principal.from_text("ryjl3-tyaaa-aaaaa-aaaba-cai").raw
    assert any(lo <= ledger <= hi and lo <= cid.raw <= hi for lo, hi in ranges)
    assert abs(cert.time_ns - time.time_ns()) < 5 * 10 ** 9
    with pytest.raises(CertificateError, match="not a value"):
        cert.lookup([b"subnet", subnet.raw, b"node"])  # a subtree, not a leaf (agent-rs: an error)
    from _ic.hashtree import lookup_subtree, list_labels
    node_tree = lookup_subtree(cert.tree, [b"subnet", subnet.raw, b"node"]).value
    node_ids = list_labels(node_tree)
    assert len(node_ids) == 1
    node_key = cert.lookup([b"subnet", subnet.raw, b"node", node_ids[0], b"public_key"])
    assert len(node_key) == 44
    request_id, answer = client.query_raw(
        Principal.management(), "canister_status",
        candid.encode(DID.arg_types("canister_status"), [{"canister_id": cid}]), ecid=cid)
    body = answer.cbor()
    assert body["status"] == "replied"
    check_query_signature(body, request_id, node_key)
    assert body["signatures"][0]["identity"] == node_ids[0]


def test_subnet_endpoint_sharded_ranges(net, client):
    subnet = Principal.self_authenticating(net.root_key_der)
    cert = client.read_state(subnet, [[b"canister_ranges", subnet.raw], [b"subnet", subnet.raw]],
                             scope="subnet")
    from _ic.hashtree import list_labels, lookup_subtree
    shards = list_labels(lookup_subtree(cert.tree, [b"canister_ranges", subnet.raw]).value)
    assert len(shards) == 1
    value = cbor.loads(cert.lookup([b"canister_ranges", subnet.raw, shards[0]]))
    assert value[0][0] == shards[0]
    assert cbor.loads(cert.lookup([b"subnet", subnet.raw, b"metrics"]))["num_canisters"] >= 0
    wrong = client.post(f"/api/v3/canister/{subnet}/read_state", client.envelope(
        client.content("read_state", paths=[[b"canister_ranges", subnet.raw]])))
    assert 400 <= wrong.status < 500


def test_canister_paths_module_hash_controllers_metadata(client, make_client):
    cid = client.create_canister()
    empty = client.read_state(cid, [[b"canister", cid.raw, b"module_hash"]])
    assert empty.lookup_result([b"canister", cid.raw, b"module_hash"]).status == "absent"
    wasm = MINIMAL_WASM + custom_section("icp:public candid:service", b"service : {}") + \
        custom_section("icp:private secret", b"s3")
    install(client, cid, wasm)
    cert = client.read_state(cid, [[b"canister", cid.raw, b"module_hash"],
                                   [b"canister", cid.raw, b"controllers"],
                                   [b"canister", cid.raw, b"metadata", b"candid:service"]])
    import hashlib
    assert cert.lookup([b"canister", cid.raw, b"module_hash"]) == hashlib.sha256(wasm).digest()
    assert cbor.loads(cert.lookup([b"canister", cid.raw, b"controllers"])) == \
        [client.identity.sender.raw]
    assert cert.lookup([b"canister", cid.raw, b"metadata", b"candid:service"]) == \
        b"service : {}"
    other = make_client()
    public = other.read_state(cid, [[b"canister", cid.raw, b"metadata", b"candid:service"]])
    assert public.lookup([b"canister", cid.raw, b"metadata", b"candid:service"])
    denied = other.post(f"/api/v3/canister/{cid}/read_state", other.envelope(other.content(
        "read_state", paths=[[b"canister", cid.raw, b"metadata", b"secret"]])))
    assert denied.status == 403
    assert client.read_state(cid, [[b"canister", cid.raw, b"metadata", b"secret"]]).lookup(
        [b"canister", cid.raw, b"metadata", b"secret"]) == b"s3"
    elsewhere = client.create_canister()
    wrong = client.post(f"/api/v3/canister/{elsewhere}/read_state", client.envelope(
        client.content("read_state", paths=[[b"canister", cid.raw, b"module_hash"]])))
    assert wrong.status == 403


def test_request_status_only_for_its_sender(client, make_client):
    cid = client.create_canister()
    arg = candid.encode(DID.arg_types("canister_status"), [{"canister_id": cid}])
    request_id, answer = client.call_raw(Principal.management(), "canister_status", arg,
                                         ecid=cid)
    assert answer.status == 200
    cert = verify_certificate(answer.cbor()["certificate"], client.root_key_der)
    assert cert.lookup([b"request_status", request_id, b"status"]) == b"replied"
    other = make_client()
    denied = other.post(f"/api/v3/canister/{cid}/read_state", other.envelope(other.content(
        "read_state", paths=[[b"request_status", request_id]])))
    assert denied.status == 403
    unknown = client.read_state(cid, [[b"request_status", b"\x01" * 32]])
    assert unknown.lookup([b"request_status", b"\x01" * 32, b"status"]) is None


def test_certificates_signed_by_the_root_key_only(net, client):
    cid = client.create_canister()
    answer = client.post(f"/api/v3/canister/{cid}/read_state", client.envelope(
        client.content("read_state", paths=[[b"time"]])))
    raw = answer.cbor()["certificate"]
    verify_certificate(raw, net.root_key_der)
    from _ic.certificate import MAINNET_ROOT_KEY_DER
    import pytest
    from _ic.errors import CertificateError
    with pytest.raises(CertificateError):
        verify_certificate(raw, MAINNET_ROOT_KEY_DER)
