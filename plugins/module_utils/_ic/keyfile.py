"""Private-key files: PEM blocks, the DER shapes of PKCS#8 / SEC1, and PBES2 decryption.

The ASN.1 is parsed here rather than by ``cryptography`` because older dfx wrote Ed25519
keys as PKCS#8 v2 (with the public key inside), which OpenSSL 3 refuses, and because a
decryption failure must be told apart from an unsupported key ("wrong password" vs "not a
supported key type").
"""
import base64
import re

from .deps import CRYPTOGRAPHY, load
from .errors import InputError

OID_ED25519 = bytes.fromhex("2b6570")
OID_EC_PUBLIC_KEY = bytes.fromhex("2a8648ce3d0201")
OID_SECP256K1 = bytes.fromhex("2b8104000a")
OID_P256 = bytes.fromhex("2a8648ce3d030107")
_OID_PBES2 = bytes.fromhex("2a864886f70d01050d")
_OID_PBKDF2 = bytes.fromhex("2a864886f70d01050c")
_OID_SCRYPT = bytes.fromhex("2b06010401da47040b")
_OID_HMAC_SHA1 = bytes.fromhex("2a864886f70d0207")
_OID_HMAC_SHA256 = bytes.fromhex("2a864886f70d0209")
_AES_CBC = {
    bytes.fromhex("608648016503040102"): 16,
    bytes.fromhex("608648016503040116"): 24,
    bytes.fromhex("60864801650304012a"): 32,
}
CURVES = {OID_SECP256K1: "secp256k1", OID_P256: "p256"}
_FIELD = "identity"
_PEM_RE = re.compile(
    r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)


def _bad(message):
    return InputError(_FIELD, message)


def crypto(name):
    """The module ``cryptography.<name>``, imported on first use (see ``deps``)."""
    return load("cryptography." + name, CRYPTOGRAPHY)


def ed25519_public_raw(private_key):
    """The raw 32-byte public key of a ``cryptography`` Ed25519 private key."""
    public = private_key.public_key()
    if hasattr(public, "public_bytes_raw"):
        return public.public_bytes_raw()
    # cryptography < 40; its serialization module costs more to import than the key itself.
    serialization = crypto("hazmat.primitives.serialization")
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def read_tlv(data, pos=0):
    """Read one DER item at ``pos``: returns (tag, value bytes, position after it)."""
    if pos + 2 > len(data):
        raise _bad("key data is truncated (bad DER)")
    tag, length = data[pos], data[pos + 1]
    pos += 2
    if length & 0x80:
        nbytes = length & 0x7F
        if nbytes == 0 or nbytes > 4 or pos + nbytes > len(data):
            raise _bad("key data has a bad DER length")
        length = int.from_bytes(data[pos:pos + nbytes], "big")
        pos += nbytes
    if pos + length > len(data):
        raise _bad("key data is truncated (bad DER)")
    return tag, data[pos:pos + length], pos + length


def read_sequence(data, expect_tag=0x30):
    """Split a constructed DER item into its children's (tag, value) pairs."""
    tag, body, end = read_tlv(data)
    if tag != expect_tag or end != len(data):
        raise _bad("key data is not the expected DER structure")
    return children(body)


def children(body):
    """The (tag, value) pairs inside the contents of a constructed DER item."""
    items, pos = [], 0
    while pos < len(body):
        child_tag, value, pos = read_tlv(body, pos)
        items.append((child_tag, value))
    return items


def pem_blocks(text):
    """All PEM blocks in ``text`` as (label, der bytes, has legacy encryption headers)."""
    blocks = []
    for label, body in _PEM_RE.findall(text):
        legacy = "Proc-Type:" in body and "ENCRYPTED" in body
        b64 = "".join(line.strip() for line in body.splitlines() if ":" not in line)
        try:
            der = base64.b64decode(b64, validate=True)
        except ValueError:
            raise _bad(f"the {label} PEM block is not valid base64") from None
        blocks.append((label, der, legacy))
    return blocks


def parse_sec1(der, curve_oid=None):
    """ECPrivateKey (RFC 5915) → (curve oid, private scalar)."""
    items = read_sequence(der)
    if len(items) < 2 or items[0] != (0x02, b"\x01") or items[1][0] != 0x04:
        raise _bad("EC PRIVATE KEY is not a version-1 SEC1 key")
    scalar = int.from_bytes(items[1][1], "big")
    for tag, value in items[2:]:
        if tag == 0xA0:
            oid_tag, oid, _end = read_tlv(value)
            if oid_tag == 0x06:
                curve_oid = oid
    if curve_oid is None:
        raise _bad("EC PRIVATE KEY does not name its curve; add the EC PARAMETERS block")
    return curve_oid, scalar


def parse_pkcs8(der):
    """PrivateKeyInfo (v1 or v2) → ("ed25519", seed) or ("secp256k1"|"p256", scalar)."""
    items = read_sequence(der)
    if len(items) < 3 or items[0][0] != 0x02 or items[1][0] != 0x30 or items[2][0] != 0x04:
        raise _bad("PRIVATE KEY is not a PKCS#8 structure")
    if items[0][1] not in (b"\x00", b"\x01"):
        raise _bad("PRIVATE KEY has an unknown PKCS#8 version")
    alg = children(items[1][1])
    if not alg or alg[0][0] != 0x06:
        raise _bad("PRIVATE KEY has no algorithm identifier")
    oid = alg[0][1]
    if oid == OID_ED25519:
        tag, seed, _end = read_tlv(items[2][1])
        if tag != 0x04 or len(seed) != 32:
            raise _bad("Ed25519 PRIVATE KEY does not hold a 32-byte seed")
        _check_embedded_ed25519(seed, items[3:])
        return "ed25519", seed
    if oid == OID_EC_PUBLIC_KEY:
        curve = alg[1][1] if len(alg) > 1 and alg[1][0] == 0x06 else None
        curve, scalar = parse_sec1(items[2][1], curve)
        if curve not in CURVES:
            raise _bad("unsupported EC curve; use secp256k1 or P-256 (prime256v1)")
        return CURVES[curve], scalar
    raise _bad("unsupported key type; use Ed25519, secp256k1 or P-256")


def _check_embedded_ed25519(seed, extra_items):
    # PKCS#8 v2 (older dfx) carries the public key as [1] BIT STRING; a mismatch means a
    # corrupt or hand-edited file, which would otherwise sign as an unexpected principal.
    for tag, value in extra_items:
        if tag in (0x81, 0xA1):
            if tag == 0xA1:
                inner_tag, value, _end = read_tlv(value)
                if inner_tag != 0x03:
                    raise _bad("Ed25519 PRIVATE KEY has a malformed public key field")
            ed25519 = crypto("hazmat.primitives.asymmetric.ed25519")
            raw = ed25519_public_raw(ed25519.Ed25519PrivateKey.from_private_bytes(seed))
            if value != b"\x00" + raw:
                raise _bad("the public key inside the Ed25519 key file does not match its "
                           "private key; the file is corrupt")


def _int(tlv, what):
    if tlv[0] != 0x02:
        raise _bad(f"encrypted key: {what} is not an integer")
    return int.from_bytes(tlv[1], "big")


def _derive_key(kdf_oid, params, key_len, password):
    if kdf_oid == _OID_SCRYPT:
        if len(params) < 4 or params[0][0] != 0x04:
            raise _bad("encrypted key: bad scrypt parameters")
        n, r, p = (_int(params[i], "scrypt parameter") for i in (1, 2, 3))
        if n > 2 ** 20 or r > 32 or p > 16:
            raise _bad("encrypted key: scrypt cost parameters are unreasonably large")
        scrypt = crypto("hazmat.primitives.kdf.scrypt")
        return scrypt.Scrypt(salt=params[0][1], length=key_len, n=n, r=r, p=p).derive(password)
    if kdf_oid == _OID_PBKDF2:
        if len(params) < 2 or params[0][0] != 0x04:
            raise _bad("encrypted key: bad PBKDF2 parameters")
        iterations = _int(params[1], "PBKDF2 iteration count")
        if iterations > 10_000_000:
            raise _bad("encrypted key: PBKDF2 iteration count is unreasonably large")
        hashes = crypto("hazmat.primitives.hashes")
        prf = hashes.SHA1()
        for tag, value in params[2:]:
            if tag == 0x30:
                prf_oid = children(value)[0][1]
                if prf_oid == _OID_HMAC_SHA256:
                    prf = hashes.SHA256()
                elif prf_oid != _OID_HMAC_SHA1:
                    raise _bad("encrypted key: unsupported PBKDF2 hash; use HMAC-SHA256")
        pbkdf2 = crypto("hazmat.primitives.kdf.pbkdf2")
        return pbkdf2.PBKDF2HMAC(algorithm=prf, length=key_len, salt=params[0][1],
                                 iterations=iterations).derive(password)
    raise _bad("encrypted key: unsupported key derivation; use scrypt or PBKDF2")


def _pbes2_parameters(der):
    items = read_sequence(der)
    if len(items) != 2 or items[0][0] != 0x30 or items[1][0] != 0x04:
        raise _bad("ENCRYPTED PRIVATE KEY is not an EncryptedPrivateKeyInfo")
    scheme = children(items[0][1])
    if len(scheme) != 2 or scheme[0] != (0x06, _OID_PBES2):
        raise _bad("encrypted key: only PBES2 encryption is supported")
    kdf, enc = children(scheme[1][1])
    kdf_items = children(kdf[1])
    enc_items = children(enc[1])
    kdf_params = children(kdf_items[1][1]) if len(kdf_items) > 1 else []
    return kdf_items[0][1], kdf_params, enc_items, items[1][1]


def decrypt_pkcs8(der, password):
    """EncryptedPrivateKeyInfo (PBES2 with scrypt or PBKDF2, AES-CBC) → PrivateKeyInfo DER."""
    try:
        kdf_oid, kdf_params, enc_items, ciphertext = _pbes2_parameters(der)
    except (ValueError, IndexError) as exc:
        if isinstance(exc, InputError):
            raise
        raise _bad("ENCRYPTED PRIVATE KEY is malformed") from None
    key_len = _AES_CBC.get(enc_items[0][1])
    if key_len is None or len(enc_items) < 2 or len(enc_items[1][1]) != 16:
        raise _bad("encrypted key: unsupported cipher; use AES-CBC")
    key = _derive_key(kdf_oid, kdf_params, key_len, password.encode("utf-8"))
    if not ciphertext or len(ciphertext) % 16:
        raise _bad("encrypted key: ciphertext length is not a multiple of the block size")
    cipher = crypto("hazmat.primitives.ciphers").Cipher
    aes = crypto("hazmat.primitives.ciphers.algorithms").AES
    cbc = crypto("hazmat.primitives.ciphers.modes").CBC
    padding = crypto("hazmat.primitives.padding")
    unsupported = crypto("exceptions").UnsupportedAlgorithm
    try:
        decryptor = cipher(aes(key), cbc(enc_items[1][1])).decryptor()
        padded = decryptor.update(ciphertext) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        plain = unpadder.update(padded) + unpadder.finalize()
        read_sequence(plain)
    except (ValueError, unsupported):
        raise _bad("wrong password for the encrypted key (decryption failed)") from None
    return plain
