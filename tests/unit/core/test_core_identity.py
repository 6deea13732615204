"""Identities: key formats, signatures, identity stores and error messages."""
import base64
import json
import os
import time

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from core_helpers import (PBES2_PASSWORD, PBES2_PEM, PEM_PRINCIPALS, fixture_path,
                          read_fixture)
from _ic.errors import InputError
from _ic.identity import (AnonymousIdentity, EcdsaIdentity, Ed25519Identity, dfx_identity,
                         icp_cli_identity, load_identity, load_identity_file,
                         verify_signature)
from _ic.principal import Principal

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.mark.parametrize("name", sorted(PEM_PRINCIPALS))
def test_vector_pems_give_listed_principals(name):
    kind, principal = PEM_PRINCIPALS[name]
    identity = load_identity_file(fixture_path(name))
    assert identity.kind == kind and str(identity.sender) == principal
    assert load_identity(read_fixture(name)).sender == identity.sender
    assert load_identity(read_fixture(name, "rb")).sender == identity.sender
    signature = identity.sign(b"payload")
    assert len(signature) == 64
    assert verify_signature(identity.public_key_der, b"payload", signature)
    assert not verify_signature(identity.public_key_der, b"payload!", signature)


def test_icp_cli_pbes2_scrypt_with_password():
    identity = load_identity_file(fixture_path(PBES2_PEM), password=PBES2_PASSWORD)
    assert str(identity.sender) == PEM_PRINCIPALS["secp256k1_pkcs8_icpcli_plain.pem"][1]
    with pytest.raises(InputError, match="^identity: wrong password"):
        load_identity_file(fixture_path(PBES2_PEM), password="hunter3")
    with pytest.raises(InputError, match="encrypted; give its password"):
        load_identity_file(fixture_path(PBES2_PEM))


def test_ed25519_matches_cryptography():
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    identity = load_identity(pem)
    assert identity.public_key_der == key.public_key().public_bytes(*SPKI)
    assert len(identity.public_key_der) == 44
    assert identity.sign(b"m") == key.sign(b"m")


@pytest.mark.parametrize("curve,kind,fmt", [
    (ec.SECP256R1, "p256", serialization.PrivateFormat.PKCS8),
    (ec.SECP256R1, "p256", serialization.PrivateFormat.TraditionalOpenSSL),
    (ec.SECP256K1, "secp256k1", serialization.PrivateFormat.PKCS8),
])
def test_ecdsa_keys_match_cryptography(curve, kind, fmt):
    key = ec.generate_private_key(curve())
    pem = key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())
    identity = load_identity(pem)
    assert identity.kind == kind
    assert identity.public_key_der == key.public_key().public_bytes(*SPKI)
    assert identity.sender == Principal.self_authenticating(key.public_key().public_bytes(*SPKI))


@pytest.mark.parametrize("kind,order", [("secp256k1", SECP256K1_N), ("p256", P256_N)])
def test_ecdsa_signatures_are_low_s_and_high_s_still_verifies(kind, order):
    identity = EcdsaIdentity.generate(kind)
    for i in range(20):
        message = b"msg-%d" % i
        sig = identity.sign(message)
        r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
        assert 0 < s <= order // 2
        high = sig[:32] + (order - s).to_bytes(32, "big")
        assert verify_signature(identity.public_key_der, message, high)


def test_encrypted_pkcs8_with_pbkdf2_and_ed25519():
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.BestAvailableEncryption(b"s3cret-pass"))
    assert b"ENCRYPTED PRIVATE KEY" in pem
    identity = load_identity(pem, password="s3cret-pass")
    assert identity.public_key_der == key.public_key().public_bytes(*SPKI)
    with pytest.raises(InputError, match="wrong password"):
        load_identity(pem, password="other")


def test_unsupported_keys_and_garbage():
    rsa_pem = rsa.generate_private_key(public_exponent=65537, key_size=1024).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    with pytest.raises(InputError, match="^identity: unsupported key type"):
        load_identity(rsa_pem)
    p384 = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption())
    with pytest.raises(InputError, match="unsupported EC curve"):
        load_identity(p384)
    legacy = ec.generate_private_key(ec.SECP256K1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.BestAvailableEncryption(b"pw"))
    with pytest.raises(InputError, match="legacy OpenSSL-encrypted"):
        load_identity(legacy, password="pw")
    with pytest.raises(InputError, match="no PEM block"):
        load_identity("not a key")
    with pytest.raises(InputError, match="not valid base64"):
        load_identity("-----BEGIN PRIVATE KEY-----\n@@@\n-----END PRIVATE KEY-----\n")
    with pytest.raises(InputError, match="^identity: "):
        load_identity("-----BEGIN PRIVATE KEY-----\nMAMCAQA=\n-----END PRIVATE KEY-----\n")
    with pytest.raises(InputError, match="unsupported PEM block"):
        load_identity("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n")
    with pytest.raises(InputError, match="cannot read key file"):
        load_identity_file("/nonexistent/key.pem")


def test_truncated_der_is_a_clean_error():
    body = read_fixture("secp256k1_sec1.pem").splitlines()
    truncated = "\n".join(body[:2] + body[-1:])
    with pytest.raises(InputError, match="^identity: "):
        load_identity(truncated)


def test_errors_do_not_leak_key_material():
    secret_line = read_fixture(PBES2_PEM).splitlines()[2]
    with pytest.raises(InputError) as info:
        load_identity_file(fixture_path(PBES2_PEM), password="bad")
    assert secret_line[:16] not in str(info.value) and "\n" not in str(info.value)


def test_anonymous_and_generate():
    anon = AnonymousIdentity()
    assert str(anon.sender) == "2vxsx-fae"
    assert anon.public_key_der is None and anon.sign(b"x") is None and anon.kind == "anonymous"
    a, b = Ed25519Identity.generate(), Ed25519Identity.generate()
    assert a.sender != b.sender and a.sender.is_self_authenticating
    seeded = Ed25519Identity.from_seed(b"\x01" * 32)
    assert seeded.sender == Ed25519Identity.from_seed(b"\x01" * 32).sender
    assert "PRIVATE" not in repr(seeded)


def test_verify_signature_rejects_bad_shapes():
    identity = Ed25519Identity.generate()
    sig = identity.sign(b"m")
    assert not verify_signature(identity.public_key_der, b"m", sig[:63])
    assert not verify_signature(identity.public_key_der[:-1], b"m", sig)
    assert not verify_signature(b"\x30\x00", b"m", sig)
    ecdsa = EcdsaIdentity.generate("p256")
    assert not verify_signature(ecdsa.public_key_der, b"m", b"\x00" * 64)
    assert not verify_signature(ecdsa.public_key_der, b"m", ecdsa.sign(b"m") + b"\x00")
    # A DER-encoded ECDSA signature is not the IC's r||s form.
    der_sig = ecdsa._key.sign(b"m", ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der_sig)
    assert r and not verify_signature(ecdsa.public_key_der, b"m", der_sig)


def _write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(text)


def test_dfx_identity_store(tmp_path):
    base = tmp_path / ".config" / "dfx" / "identity"
    _write(str(base / "alice" / "identity.pem"), read_fixture("secp256k1_sec1.pem"))
    _write(str(base / "locked" / "identity.pem.encrypted"), "xx")
    _write(str(base / "locked" / "identity.json"), "{}")
    _write(str(base / "ring" / "identity.json"), '{"keyring_identity_suffix": "ring"}')
    alice = dfx_identity("alice", home=tmp_path)
    assert str(alice.sender) == PEM_PRINCIPALS["secp256k1_sec1.pem"][1]
    assert dfx_identity("anonymous", home=tmp_path).sender.is_anonymous
    with pytest.raises(InputError, match="password-encrypted"):
        dfx_identity("locked", home=tmp_path)
    with pytest.raises(InputError, match="keyring"):
        dfx_identity("ring", home=tmp_path)
    with pytest.raises(InputError, match="no dfx identity named 'bob'"):
        dfx_identity("bob", home=tmp_path)
    for bad in ("../alice", "", ".hidden", None):
        with pytest.raises(InputError, match="bad identity name"):
            dfx_identity(bad, home=tmp_path)
        with pytest.raises(InputError, match="bad identity name"):
            icp_cli_identity(bad, home=tmp_path)


def _icp_store(directory, identities):
    _write(os.path.join(directory, "identity_list.json"),
           json.dumps({"v": 1, "identities": identities}))


def _count_scrypt_derivations(monkeypatch):
    """Wrap cryptography's Scrypt so the test sees how many times a key is derived."""
    from cryptography.hazmat.primitives.kdf import scrypt

    real = scrypt.Scrypt
    calls = []

    def counting(*args, **kwargs):
        calls.append(kwargs.get("n"))
        return real(*args, **kwargs)

    monkeypatch.setattr(scrypt, "Scrypt", counting)
    return calls


def test_icp_cli_identity_store(tmp_path, monkeypatch):
    directory = str(tmp_path / ".local" / "share" / "icp-cli" / "identity")
    plain_principal = PEM_PRINCIPALS["secp256k1_pkcs8_icpcli_plain.pem"][1]
    _icp_store(directory, {
        "anonymous": {"kind": "anonymous"},
        "plain": {"kind": "pem", "format": "plaintext", "algorithm": "secp256k1",
                  "principal": plain_principal},
        "secret": {"kind": "pem", "format": "pbes2", "algorithm": "secp256k1",
                   "principal": plain_principal},
        "wrong": {"kind": "pem", "format": "plaintext", "algorithm": "secp256k1",
                  "principal": "2vxsx-fae"},
        "ring": {"kind": "keyring", "algorithm": "secp256k1", "principal": plain_principal},
    })
    for name, source in (("plain", "secp256k1_pkcs8_icpcli_plain.pem"),
                         ("secret", PBES2_PEM), ("wrong", "secp256k1_sec1.pem")):
        _write(os.path.join(directory, "keys", f"{name}.pem"), read_fixture(source))
    assert str(icp_cli_identity("plain", home=tmp_path).sender) == plain_principal
    derivations = _count_scrypt_derivations(monkeypatch)
    secret = icp_cli_identity("secret", password=PBES2_PASSWORD, home=tmp_path)
    assert str(secret.sender) == plain_principal
    # The costly step (scrypt with the file's own parameters) runs once per load, whatever the
    # machine's load; a wall-clock bound here failed on a busy machine.
    assert len(derivations) == 1, derivations
    assert icp_cli_identity("anonymous", home=tmp_path).sender.is_anonymous
    with pytest.raises(InputError, match="password-protected"):
        icp_cli_identity("secret", home=tmp_path)
    with pytest.raises(InputError, match="does not match the principal"):
        icp_cli_identity("wrong", home=tmp_path)
    with pytest.raises(InputError, match="stored as 'keyring'"):
        icp_cli_identity("ring", home=tmp_path)
    with pytest.raises(InputError, match="no icp-cli identity named 'nobody'"):
        icp_cli_identity("nobody", home=tmp_path)


def test_icp_cli_identity_from_icp_home(tmp_path, monkeypatch):
    directory = str(tmp_path / "custom" / "identity")
    _icp_store(directory, {"me": {"kind": "pem", "format": "plaintext",
                                  "algorithm": "ed25519"}})
    _write(os.path.join(directory, "keys", "me.pem"), read_fixture("ed25519_dfx_v2.pem"))
    monkeypatch.setenv("ICP_HOME", str(tmp_path / "custom"))
    assert str(icp_cli_identity("me").sender) == PEM_PRINCIPALS["ed25519_dfx_v2.pem"][1]
    # Without a list file only the built-in anonymous identity exists.
    monkeypatch.setenv("ICP_HOME", str(tmp_path / "empty"))
    assert icp_cli_identity("anonymous").sender.is_anonymous
    _write(str(tmp_path / "bad" / "identity" / "identity_list.json"), '{"v": 2}')
    monkeypatch.setenv("ICP_HOME", str(tmp_path / "bad"))
    with pytest.raises(InputError, match="unknown format version"):
        icp_cli_identity("me")


def test_ed25519_sign_speed():
    identity = Ed25519Identity.generate()
    message = b"\x0aic-request" + b"\x11" * 32
    start = time.perf_counter()
    for _ in range(200):
        identity.sign(message)
    per_sign = (time.perf_counter() - start) / 200
    print(f"\nEd25519 sign: {per_sign * 1e6:.1f} us")
    assert per_sign < 0.005


def test_dfx_v2_embedded_public_key_must_match():
    lines = read_fixture("ed25519_dfx_v2.pem").splitlines()
    der = bytearray(base64.b64decode("".join(lines[1:-1])))
    der[-1] ^= 0x01
    pem = f"{lines[0]}\n{base64.b64encode(bytes(der)).decode()}\n{lines[-1]}\n"
    with pytest.raises(InputError, match="does not match its private key"):
        load_identity(pem)
