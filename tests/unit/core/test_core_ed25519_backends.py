"""Ed25519 checks give the same answers with either backend: libsodium (PyNaCl, when installed,
twice as fast) and cryptography (OpenSSL); libsodium also refuses small-order keys."""
import pytest

from _ic import deps, identity
from _ic.identity import ED25519_DER_PREFIX, Ed25519Identity, verify_signature

# The group order of edwards25519 (RFC 8032): S + L encodes the same scalar non-canonically.
L = 2**252 + 27742317777372353535851937790883648493


@pytest.fixture(params=["sodium", "cryptography"])
def backend(request, monkeypatch):
    if request.param == "sodium":
        pytest.importorskip("nacl.bindings")
    else:
        real = deps.optional
        monkeypatch.setattr(deps, "optional", lambda name: None if name.startswith("nacl") else real(name))
    identity._ed25519_check.cache_clear()
    yield request.param
    identity._ed25519_check.cache_clear()


def test_sodium_is_used_when_installed(monkeypatch):
    pytest.importorskip("nacl.bindings")
    identity._ed25519_check.cache_clear()
    seen = []
    real = deps.optional
    monkeypatch.setattr(deps, "optional", lambda name: seen.append(name) or real(name))
    signer = Ed25519Identity.generate()
    assert verify_signature(signer.public_key_der, b"m", signer.sign(b"m"))
    assert "nacl.bindings" in seen
    identity._ed25519_check.cache_clear()


def test_both_backends_agree_on_genuine_and_broken_signatures(backend):
    signer, other = Ed25519Identity.generate(), Ed25519Identity.generate()
    message = b"\x0aic-response" + bytes(32)
    signature = signer.sign(message)
    assert verify_signature(signer.public_key_der, message, signature)
    assert not verify_signature(signer.public_key_der, message + b"!", signature)
    assert not verify_signature(other.public_key_der, message, signature)
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    assert not verify_signature(signer.public_key_der, message, flipped)
    assert not verify_signature(signer.public_key_der, message, signature[:63])
    s = int.from_bytes(signature[32:], "little")
    assert s + L < 2**256
    non_canonical = signature[:32] + (s + L).to_bytes(32, "little")
    assert not verify_signature(signer.public_key_der, message, non_canonical)
    # A key that is not a curve point at all
    assert not verify_signature(ED25519_DER_PREFIX + b"\x02" + bytes(30) + b"\x80", message, signature)


def test_sodium_refuses_a_small_order_key():
    """The identity point as a key with the signature (R = identity, S = 0) holds the
    cofactorless equation for any message; OpenSSL's check lets it through, libsodium's not."""
    pytest.importorskip("nacl.bindings")
    identity._ed25519_check.cache_clear()
    neutral = bytes([1]) + bytes(31)
    assert not verify_signature(ED25519_DER_PREFIX + neutral, b"any message", neutral + bytes(32))
