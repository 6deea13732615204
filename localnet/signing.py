"""The signing side of certificates, which only a replica needs: BLS key pairs, signatures,
certificates over a hash tree. The client (``ic/certificate.py``) only verifies."""
import hashlib

from _ic import cbor
from _ic.certificate import DST, STATE_ROOT_DOMAIN, _arkworks, root_key_der_from_raw
from _ic.errors import InputError
from _ic.hashtree import reconstruct


def _secret_scalar(secret_key_bytes):
    if not isinstance(secret_key_bytes, (bytes, bytearray)) or len(secret_key_bytes) != 32:
        raise InputError("secret_key", "expected a 32-byte BLS secret key")
    scalar = _arkworks()[0].Scalar.from_be_bytes(bytes(secret_key_bytes))
    if scalar.is_zero():
        raise InputError("secret_key", "BLS secret key must not be zero")
    return scalar


def bls_keypair(seed):
    """(secret 32 bytes big-endian, public key raw 96 bytes) derived from ``seed`` bytes."""
    wide = hashlib.sha512(b"ic-bls12381-keygen" + bytes(seed)).digest()
    bls, g2 = _arkworks()
    scalar = bls.Scalar.from_be_bytes_mod_order(wide)
    if scalar.is_zero():
        raise InputError("seed", "derived a zero key; use another seed")
    return scalar.to_be_bytes(), (g2 * scalar).to_compressed_bytes()


def bls_public_key_der(secret):
    """DER public key (133 bytes) of a 32-byte secret key."""
    return root_key_der_from_raw((_arkworks()[1] * _secret_scalar(secret)).to_compressed_bytes())


def bls_sign(secret_key_bytes, message):
    """48-byte min-sig BLS signature over ``message``."""
    scalar = _secret_scalar(secret_key_bytes)
    digest = _arkworks()[0].G1Point.hash_to_curve(bytes(message), DST)
    return (digest * scalar).to_compressed_bytes()


def sign_certificate(tree, secret_key_bytes, delegation=None):
    """CBOR bytes of a certificate over ``tree`` signed with a BLS secret key."""
    cert = {"tree": tree,
            "signature": bls_sign(secret_key_bytes, STATE_ROOT_DOMAIN + reconstruct(tree))}
    if delegation is not None:
        cert["delegation"] = delegation
    return cbor.dumps(cert)
