"""Node signatures on query replies: genuine replies pass, forged or stale ones are refused."""
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from _ic import cbor
from localnet.treebuild import build_tree
from _ic.errors import CertificateError
from _ic.principal import Principal
from _ic.query_signature import (RESPONSE_DOMAIN, SubnetInfo, UnknownNode, response_map,
                                verify_query_response)

SUBNET = Principal.self_authenticating(b"subnet-key")
CANISTER = Principal.from_canister_index(5)
REQUEST_ID = bytes(range(32))


def node():
    key = Ed25519PrivateKey.generate()
    der = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return key, der, Principal.self_authenticating(der).raw


def subnet_tree(nodes, flat_ranges=True):
    ranges = cbor.dumps([[Principal.from_canister_index(0).raw,
                          Principal.from_canister_index(99).raw]])
    subnet = {b"node": {nid: {b"public_key": der} for _, der, nid in nodes},
              b"public_key": b"\x00" * 133}
    mapping = {b"subnet": {SUBNET.raw: subnet}}
    if flat_ranges:
        subnet[b"canister_ranges"] = ranges
    else:
        mapping[b"canister_ranges"] = {SUBNET.raw: {Principal.from_canister_index(0).raw: ranges}}
    return build_tree(mapping)


def signed(response, key, nid, timestamp=None, request_id=REQUEST_ID):
    timestamp = time.time_ns() if timestamp is None else timestamp
    message = RESPONSE_DOMAIN + cbor.hash_of_map(response_map(response, request_id, timestamp))
    entry = {"timestamp": timestamp, "signature": key.sign(message), "identity": nid}
    return dict(response, signatures=[entry])


@pytest.fixture
def setup():
    nodes = [node(), node()]
    return nodes, SubnetInfo.from_tree(subnet_tree(nodes), SUBNET)


def reply(arg=b"DIDL\x00\x01\x7d\x05"):
    return {"status": "replied", "reply": {"arg": arg}}


def test_subnet_info_reads_nodes_and_ranges(setup):
    nodes, info = setup
    assert set(info.node_keys) == {nid for _, _, nid in nodes}
    assert info.hosts(CANISTER)
    assert not info.hosts(Principal.from_canister_index(100))


def test_sharded_ranges_are_read_too():
    info = SubnetInfo.from_tree(subnet_tree([node()], flat_ranges=False), SUBNET)
    assert info.hosts(Principal.from_canister_index(99))


def test_tree_without_the_subnet_is_refused():
    with pytest.raises(CertificateError):
        SubnetInfo.from_tree(subnet_tree([node()]), Principal.self_authenticating(b"other"))


def test_genuine_reply_and_reject_verify(setup):
    (key, _, nid), _ = setup[0]
    info = setup[1]
    verify_query_response(signed(reply(), key, nid), REQUEST_ID, info)
    reject = {"status": "rejected", "reject_code": 5, "reject_message": "trapped",
              "error_code": "IC0503"}
    verify_query_response(signed(reject, key, nid), REQUEST_ID, info)


def test_forged_reply_is_refused(setup):
    (key, _, nid), _ = setup[0]
    response = signed(reply(), key, nid)
    response["reply"] = {"arg": b"DIDL\x00\x01\x7d\x06"}
    with pytest.raises(CertificateError, match="does not verify"):
        verify_query_response(response, REQUEST_ID, setup[1])


def test_reply_to_another_request_is_refused(setup):
    (key, _, nid), _ = setup[0]
    response = signed(reply(), key, nid, request_id=b"\x01" * 32)
    with pytest.raises(CertificateError):
        verify_query_response(response, REQUEST_ID, setup[1])


def test_tampered_reject_is_refused(setup):
    (key, _, nid), _ = setup[0]
    response = signed({"status": "rejected", "reject_code": 5, "reject_message": "a"}, key, nid)
    response["reject_code"] = 4
    with pytest.raises(CertificateError):
        verify_query_response(response, REQUEST_ID, setup[1])


def test_signature_by_an_outsider_is_refused(setup):
    key, _, nid = node()
    with pytest.raises(UnknownNode):
        verify_query_response(signed(reply(), key, nid), REQUEST_ID, setup[1])


def test_outsider_key_claiming_a_member_identity_is_refused(setup):
    nodes, info = setup
    key, _, _ = node()
    with pytest.raises(CertificateError, match="does not verify"):
        verify_query_response(signed(reply(), key, nodes[0][2]), REQUEST_ID, info)


def test_stale_signature_is_refused(setup):
    (key, _, nid), _ = setup[0]
    old = time.time_ns() - 6 * 60 * 10**9
    with pytest.raises(CertificateError, match="too far"):
        verify_query_response(signed(reply(), key, nid, timestamp=old), REQUEST_ID, setup[1])


def test_unsigned_and_oversigned_replies_are_refused(setup):
    nodes, info = setup
    with pytest.raises(CertificateError, match="no node signatures"):
        verify_query_response(reply(), REQUEST_ID, info)
    key, _, nid = nodes[0]
    one = signed(reply(), key, nid)["signatures"][0]
    with pytest.raises(CertificateError, match="3 signatures"):
        verify_query_response(dict(reply(), signatures=[one] * 3), REQUEST_ID, info)


def test_unknown_status_is_refused(setup):
    (key, _, nid), _ = setup[0]
    response = signed(reply(), key, nid)
    response["status"] = "maybe"
    with pytest.raises(CertificateError):
        verify_query_response(response, REQUEST_ID, setup[1])
