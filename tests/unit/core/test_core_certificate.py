"""Certificates: the mainnet vector, delegations with flat and sharded ranges, BLS."""
import time

import pytest

from _ic import cbor
from _ic.certificate import (MAINNET_ROOT_KEY_DER, Certificate, bls_verify, list_paths,
                            raw_from_root_key_der, root_key_der_from_raw, verify_certificate)
from localnet.signing import bls_keypair, bls_public_key_der, bls_sign, sign_certificate
from localnet.treebuild import build_tree
from _ic.errors import CertificateError, InputError
from _ic.principal import Principal

T0 = 1_700_000_000_000_000_000
ROOT_SK, ROOT_PK = bls_keypair(b"root")
SUBNET_SK, _ = bls_keypair(b"subnet")
SUBNET = Principal.self_authenticating(b"subnet-key")
RANGE_A = (Principal.from_canister_index(0).raw, Principal.from_canister_index(99).raw)
RANGE_B = (Principal.from_canister_index(1000).raw, Principal.from_canister_index(1999).raw)


def _delegated(sharded, outer=None, ranges=(RANGE_A, RANGE_B), subnet=SUBNET, nested=None,
               with_key=True):
    subnet_entry = {"public_key": bls_public_key_der(SUBNET_SK)} if with_key else {"type": b"x"}
    parent = {"time": cbor.uleb128(T0), "subnet": {subnet.raw: subnet_entry}}
    if sharded:
        # One shard per range, labelled by its lower bound.
        parent["canister_ranges"] = {subnet.raw: {lo: cbor.dumps([[lo, hi]])
                                                  for lo, hi in ranges}}
    elif ranges:
        subnet_entry["canister_ranges"] = cbor.dumps([list(r) for r in ranges])
    parent_cert = sign_certificate(build_tree(parent), ROOT_SK, delegation=nested)
    tree = build_tree(outer or {"time": cbor.uleb128(T0 + 5)})
    return sign_certificate(tree, SUBNET_SK,
                            delegation={"subnet_id": subnet.raw, "certificate": parent_cert})


def test_mainnet_vector_verifies_with_ranges(cert_vectors):
    raw = cert_vectors["sample_cert"]
    assert cert_vectors["ic_root_key"] == MAINNET_ROOT_KEY_DER
    cert = verify_certificate(raw, MAINNET_ROOT_KEY_DER,
                              effective_canister_id=cert_vectors["sample_cert_canister_in_range"])
    assert cert.root_hash.hex() == \
        "b294b418b11ebe5dd7dd1dcb099e4e0372b9a42aef7a7a37fb4f25667d705ea9"
    assert str(cert.subnet_id) == \
        "qxesv-zoxpm-vc64m-zxguk-5sj74-35vrb-tbgwg-pcird-5gr26-62oxl-cae"
    status = [p for p in list_paths(cert.tree)
              if p[-1] == b"reject_message"]
    assert b"has no update method 'register'" in cert.lookup(status[0])
    with pytest.raises(CertificateError, match="not in the delegated subnet's canister ranges"):
        verify_certificate(raw, MAINNET_ROOT_KEY_DER,
                           effective_canister_id=cert_vectors["sample_cert_canister_out_of_range"])


def test_mainnet_vector_tampered_or_wrong_key_fails(cert_vectors):
    raw = cert_vectors["sample_cert"]
    verify_certificate(raw, MAINNET_ROOT_KEY_DER)  # warms the cache for the right key
    other_root = root_key_der_from_raw(ROOT_PK)
    with pytest.raises(CertificateError, match="delegation certificate signature"):
        verify_certificate(raw, other_root)
    decoded = cbor.loads(raw)
    zeroed = dict(decoded, signature=b"\xc0" + b"\x00" * 47)
    with pytest.raises(CertificateError, match="^certificate signature does not verify"):
        verify_certificate(zeroed, MAINNET_ROOT_KEY_DER)
    tampered = bytearray(raw)
    index = bytes(raw).index(b"register")
    tampered[index] ^= 0x01
    with pytest.raises(CertificateError, match="signature does not verify"):
        verify_certificate(bytes(tampered), MAINNET_ROOT_KEY_DER)


def test_freshness(cert_vectors):
    raw = cert_vectors["sample_cert"]
    cert_time = Certificate.decode(raw).time_ns
    verify_certificate(raw, MAINNET_ROOT_KEY_DER, max_age_ns=60e9, now_ns=cert_time + 59e9)
    with pytest.raises(CertificateError, match="stale"):
        verify_certificate(raw, MAINNET_ROOT_KEY_DER, max_age_ns=60e9,
                           now_ns=cert_time + 61 * 10 ** 9)
    with pytest.raises(CertificateError, match="stale"):
        verify_certificate(raw, MAINNET_ROOT_KEY_DER, max_age_ns=300 * 10 ** 9)


def test_bls_vector(cert_vectors):
    pk, sig = cert_vectors["verify_pk"], cert_vectors["verify_sig"]
    assert bls_verify(pk, sig, cert_vectors["verify_msg_ok"].encode())
    assert not bls_verify(pk, sig, cert_vectors["verify_msg_bad"].encode())
    assert not bls_verify(pk, b"\x00" * 48, b"hello")
    assert not bls_verify(b"\x00" * 96, sig, b"hello")


@pytest.mark.parametrize("sharded", [False, True])
def test_delegation_ranges(sharded):
    root = root_key_der_from_raw(ROOT_PK)
    raw = _delegated(sharded)
    for index in (0, 50, 99, 1000, 1999):
        cert = verify_certificate(raw, root, Principal.from_canister_index(index))
        assert cert.subnet_id == SUBNET and cert.time_ns == T0 + 5
    for index in (100, 999, 2000):
        with pytest.raises(CertificateError, match="not in the delegated subnet"):
            verify_certificate(raw, root, Principal.from_canister_index(index))


def test_delegation_subnet_and_structure_checks():
    root = root_key_der_from_raw(ROOT_PK)
    raw = _delegated(True)
    verify_certificate(raw, root, effective_subnet_id=SUBNET)
    with pytest.raises(CertificateError, match="another subnet"):
        verify_certificate(raw, root, effective_subnet_id=Principal.anonymous())
    with pytest.raises(CertificateError, match="reveals no canister ranges"):
        verify_certificate(_delegated(False, ranges=()), root, Principal.from_canister_index(1))
    with pytest.raises(CertificateError, match="no subnet public key"):
        verify_certificate(_delegated(False, with_key=False), root)
    nested = {"subnet_id": SUBNET.raw, "certificate": _delegated(False)}
    with pytest.raises(CertificateError, match="must not carry its own delegation"):
        verify_certificate(_delegated(False, nested=nested), root)


def test_root_signed_certificate_and_lookup():
    tree = build_tree({"time": cbor.uleb128(T0), "request_status": {b"\x01" * 32: {
        "status": b"replied", "reply": b"DIDL\x00\x00"}}})
    raw = sign_certificate(tree, ROOT_SK)
    cert = verify_certificate(raw, bls_public_key_der(ROOT_SK), max_age_ns=10 ** 9,
                              now_ns=T0 + 1)
    assert cert.subnet_id is None and cert.time_ns == T0
    assert cert.lookup(["request_status", b"\x01" * 32, "status"]) == b"replied"
    assert cert.lookup(["request_status", b"\x02" * 32, "status"]) is None
    assert cert.lookup_result(["nothing"]).status == "absent"
    with pytest.raises(CertificateError):
        verify_certificate(raw, MAINNET_ROOT_KEY_DER)


@pytest.mark.parametrize("data,match", [
    (b"\xff\x00", "not valid CBOR"),
    (cbor.dumps({"tree": [0]}), "'tree' and 'signature'"),
    (cbor.dumps({"tree": [9], "signature": b"s"}), "malformed hash tree"),
    (cbor.dumps({"tree": [0], "signature": b"s", "delegation": {"subnet_id": b""}}),
     "subnet_id and certificate"),
])
def test_decode_errors(data, match):
    with pytest.raises(CertificateError, match=match):
        verify_certificate(data, MAINNET_ROOT_KEY_DER)


def test_missing_time_and_bad_root_key():
    cert = Certificate.decode(sign_certificate(build_tree({"a": b"b"}), ROOT_SK))
    with pytest.raises(CertificateError, match="no /time"):
        cert.time_ns
    with pytest.raises(CertificateError, match="not a DER BLS12-381 public key"):
        verify_certificate(sign_certificate(build_tree({}), ROOT_SK), b"\x30\x00")


def test_signing_side():
    assert bls_keypair(b"s") == bls_keypair(b"s") and bls_keypair(b"s") != bls_keypair(b"t")
    secret, public = bls_keypair(b"s")
    der = bls_public_key_der(secret)
    assert len(der) == 133 and raw_from_root_key_der(der) == public
    assert der.startswith(MAINNET_ROOT_KEY_DER[:37])
    sig = bls_sign(secret, b"msg")
    assert len(sig) == 48 and bls_verify(public, sig, b"msg")
    assert not bls_verify(public, sig, b"msh")
    with pytest.raises(InputError, match="secret_key"):
        bls_sign(b"\x00" * 32, b"m")
    with pytest.raises(InputError, match="root_key"):
        root_key_der_from_raw(b"\x01" * 95)
    with pytest.raises(InputError, match="root_key"):
        raw_from_root_key_der(MAINNET_ROOT_KEY_DER[:-1])


def test_verify_time(cert_vectors):
    raw = cert_vectors["sample_cert"]
    runs = 20
    start = time.perf_counter()
    for _ in range(runs):
        bls_verify.cache_clear()
        verify_certificate(raw, MAINNET_ROOT_KEY_DER)
    cold = (time.perf_counter() - start) / runs
    start = time.perf_counter()
    for _ in range(runs):
        verify_certificate(raw, MAINNET_ROOT_KEY_DER)
    warm = (time.perf_counter() - start) / runs
    print(f"\ncertificate verify (2 pairings): {cold * 1e3:.2f} ms; cached: {warm * 1e3:.2f} ms")
    assert cold < 0.1
