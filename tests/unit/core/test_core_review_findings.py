"""Review findings against agent-rs/agent-js: pruned = unknown, delegation ranges and age."""
import pytest

from _ic import cbor
from _ic.agent import status_from_certificate, subnet_info
from _ic.certificate import Certificate, root_key_der_from_raw, verify_certificate
from _ic.errors import CertificateError
from _ic.principal import Principal
from localnet.signing import bls_keypair, bls_public_key_der, sign_certificate
from localnet.treebuild import build_tree, prune

T0 = 1_700_000_000_000_000_000
DAY_NS = 24 * 3600 * 10 ** 9
ROOT_SK, ROOT_PK = bls_keypair(b"review-root")
SUBNET_SK, _ = bls_keypair(b"review-subnet")
SUBNET = Principal.self_authenticating(b"review-subnet-key")
ROOT_DER = root_key_der_from_raw(ROOT_PK)
DELEGATED = (Principal.from_canister_index(0).raw, Principal.from_canister_index(99).raw)
CLAIMED = (Principal.from_canister_index(0).raw, Principal.from_canister_index(5000).raw)
REQUEST_ID = bytes(range(32))


def _delegated_cert(outer, parent_time=T0):
    parent = {"time": cbor.uleb128(parent_time),
              "subnet": {SUBNET.raw: {"public_key": bls_public_key_der(SUBNET_SK),
                                      "canister_ranges": cbor.dumps([list(DELEGATED)])}}}
    parent_cert = sign_certificate(build_tree(parent), ROOT_SK)
    return sign_certificate(build_tree(outer), SUBNET_SK,
                            delegation={"subnet_id": SUBNET.raw, "certificate": parent_cert})


def test_pruned_request_status_is_an_error_not_unknown():
    """agent-rs: a pruned status path is LookupPathUnknown (an error); only a provably
    absent one means the IC has no record of the request (which would allow a resend)."""
    tree = build_tree({"time": cbor.uleb128(T0), "request_status": {
        REQUEST_ID: {"status": b"replied", "reply": b"DIDL\x00\x00"}}})
    hidden = prune(tree, [["time"]])
    cert = Certificate.decode(sign_certificate(hidden, ROOT_SK))
    with pytest.raises(CertificateError, match="prunes /request_status/.*unknown"):
        status_from_certificate(cert, REQUEST_ID)
    absent = Certificate.decode(sign_certificate(
        prune(tree, [["request_status", bytes(32)]]), ROOT_SK))
    assert status_from_certificate(absent, bytes(32)) == ("unknown", None)
    assert status_from_certificate(Certificate.decode(sign_certificate(tree, ROOT_SK)),
                                   REQUEST_ID) == ("replied", b"DIDL\x00\x00")


def test_subnet_ranges_come_from_the_delegation_only():
    """The subnet's own tree may claim more; only the NNS-signed delegation counts."""
    node_id = Principal.self_authenticating(b"node").raw
    outer = {"time": cbor.uleb128(T0 + 5), "subnet": {SUBNET.raw: {
        "canister_ranges": cbor.dumps([list(CLAIMED)]),
        "node": {node_id: {"public_key": b"\x30" * 44}}}}}
    cert = verify_certificate(_delegated_cert(outer), ROOT_DER)
    info = subnet_info(cert, ROOT_DER)
    assert info.hosts(Principal.from_canister_index(50))
    assert not info.hosts(Principal.from_canister_index(4000))


def test_delegation_certificate_older_than_30_days_is_refused():
    raw = _delegated_cert({"time": cbor.uleb128(T0 + 40 * DAY_NS)})
    now = T0 + 40 * DAY_NS + 10 ** 9
    with pytest.raises(CertificateError, match="delegation certificate is stale"):
        verify_certificate(raw, ROOT_DER, max_age_ns=300 * 10 ** 9, now_ns=now)
    fresh = _delegated_cert({"time": cbor.uleb128(T0 + 29 * DAY_NS)})
    verify_certificate(fresh, ROOT_DER, max_age_ns=300 * 10 ** 9,
                       now_ns=T0 + 29 * DAY_NS + 10 ** 9)
