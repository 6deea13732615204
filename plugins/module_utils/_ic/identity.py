"""Identities that sign requests: anonymous, Ed25519, secp256k1 and P-256 (ECDSA).

Keys load from PEM text or files (dfx and icp-cli formats, including icp-cli's
password-encrypted PKCS#8) and from the dfx and icp-cli identity stores by name.
Error messages never include key material.
"""
import functools
import os
import re

from . import deps, keyfile
from .keyfile import crypto
from .errors import InputError
from .principal import Principal

ED25519_DER_PREFIX = bytes.fromhex("302a300506032b6570032100")
SECP256K1_DER_PREFIX = bytes.fromhex("3056301006072a8648ce3d020106052b8104000a034200")
P256_DER_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200")
_ORDERS = {
    "secp256k1": 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141,
    "p256": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
}
_CURVES = {"secp256k1": "SECP256K1", "p256": "SECP256R1"}
_PREFIXES = {"secp256k1": SECP256K1_DER_PREFIX, "p256": P256_DER_PREFIX}
_FIELD = "identity"
_NAME_RE = re.compile(r"[A-Za-z0-9_@-][A-Za-z0-9._@-]*")


def _ed25519():
    return crypto("hazmat.primitives.asymmetric.ed25519")


def _ec():
    return crypto("hazmat.primitives.asymmetric.ec")


def _curve(kind):
    return getattr(_ec(), _CURVES[kind])()


def _ecdsa_sha256():
    return _ec().ECDSA(crypto("hazmat.primitives.hashes").SHA256())


class Identity:
    """Base class: a sender principal, its DER public key and a signing function."""

    kind = "anonymous"

    @property
    def public_key_der(self):
        """DER SubjectPublicKeyInfo of the signing key, or None for anonymous."""
        return None

    @property
    def sender(self):
        """The principal requests from this identity are sent as."""
        return Principal.self_authenticating(self.public_key_der)

    def sign(self, message):
        """Signature over ``message`` (the caller adds the domain separator)."""
        return None

    def __repr__(self):
        return f"<{type(self).__name__} {self.sender}>"


class AnonymousIdentity(Identity):
    """The anonymous identity ``2vxsx-fae``: requests are sent unsigned."""

    @property
    def sender(self):
        return Principal.anonymous()


class Ed25519Identity(Identity):
    """An Ed25519 key (RFC 8032 signatures, 64 bytes)."""

    kind = "ed25519"

    def __init__(self, private_key):
        self._key = private_key
        self._der = ED25519_DER_PREFIX + keyfile.ed25519_public_raw(private_key)

    @classmethod
    def generate(cls):
        """A fresh random Ed25519 identity."""
        return cls(_ed25519().Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, seed):
        """The Ed25519 identity of a 32-byte seed (the RFC 8032 private key)."""
        if not isinstance(seed, (bytes, bytearray)) or len(seed) != 32:
            raise InputError("seed", "expected 32 bytes")
        return cls(_ed25519().Ed25519PrivateKey.from_private_bytes(bytes(seed)))

    @property
    def public_key_der(self):
        return self._der

    def sign(self, message):
        return self._key.sign(bytes(message))


class EcdsaIdentity(Identity):
    """An ECDSA key on secp256k1 or P-256; signatures are 64-byte r‖s with low S."""

    def __init__(self, private_key, kind):
        self._key = private_key
        self.kind = kind
        # The X9.62 uncompressed point, built from the coordinates: cryptography's
        # serialization module costs more to import than the rest of the signing path.
        numbers = private_key.public_key().public_numbers()
        point = b"\x04" + numbers.x.to_bytes(32, "big") + numbers.y.to_bytes(32, "big")
        self._der = _PREFIXES[kind] + point

    @classmethod
    def generate(cls, kind="secp256k1"):
        """A fresh random key on ``kind`` (``secp256k1`` or ``p256``)."""
        if kind not in _CURVES:
            raise InputError("kind", "expected 'secp256k1' or 'p256'")
        return cls(_ec().generate_private_key(_curve(kind)), kind)

    @classmethod
    def from_scalar(cls, scalar, kind):
        """The identity of private scalar ``scalar`` on curve ``kind``."""
        if not 0 < scalar < _ORDERS[kind]:
            raise InputError(_FIELD, f"{kind} private key is out of range")
        return cls(_ec().derive_private_key(scalar, _curve(kind)), kind)

    @property
    def public_key_der(self):
        return self._der

    def sign(self, message):
        utils = crypto("hazmat.primitives.asymmetric.utils")
        r, s = utils.decode_dss_signature(self._key.sign(bytes(message), _ecdsa_sha256()))
        order = _ORDERS[self.kind]
        if s > order // 2:
            s = order - s
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _from_private_key_info(kind, secret):
    if kind == "ed25519":
        return Ed25519Identity.from_seed(secret)
    return EcdsaIdentity.from_scalar(secret, kind)


def load_identity(pem, password=None):
    """An identity from PEM text (Ed25519, secp256k1 or P-256; PKCS#8, SEC1 or encrypted)."""
    if isinstance(pem, (bytes, bytearray)):
        try:
            pem = bytes(pem).decode("ascii")
        except UnicodeDecodeError:
            raise InputError(_FIELD, "PEM data is not ASCII text") from None
    if not isinstance(pem, str):
        raise InputError(_FIELD, "expected PEM text")
    blocks = keyfile.pem_blocks(pem)
    if not blocks:
        raise InputError(_FIELD, "no PEM block found; expected '-----BEGIN PRIVATE KEY-----'")
    curve_oid = None
    for label, der, legacy in blocks:
        if legacy:
            raise InputError(_FIELD, "legacy OpenSSL-encrypted PEM is not supported; convert "
                             "it with 'openssl pkcs8 -topk8' or decrypt it first")
        if label == "EC PARAMETERS":
            tag, oid, _end = keyfile.read_tlv(der)
            curve_oid = oid if tag == 0x06 else None
        elif label == "PRIVATE KEY":
            return _from_private_key_info(*keyfile.parse_pkcs8(der))
        elif label == "EC PRIVATE KEY":
            oid, scalar = keyfile.parse_sec1(der, curve_oid)
            if oid not in keyfile.CURVES:
                raise InputError(_FIELD, "unsupported EC curve; use secp256k1 or P-256")
            return EcdsaIdentity.from_scalar(scalar, keyfile.CURVES[oid])
        elif label == "ENCRYPTED PRIVATE KEY":
            if not password:
                raise InputError(_FIELD, "the key is encrypted; give its password")
            plain = keyfile.decrypt_pkcs8(der, password)
            return _from_private_key_info(*keyfile.parse_pkcs8(plain))
    labels = ", ".join(label for label, _der, _legacy in blocks)
    raise InputError(_FIELD, f"unsupported PEM block ({labels}); expected an Ed25519, "
                     "secp256k1 or P-256 private key")


def load_identity_file(path, password=None):
    """An identity from a PEM file."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise InputError(_FIELD, f"cannot read key file {path}: {exc.strerror}") from None
    return load_identity(data, password)


def _check_name(name):
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise InputError(_FIELD, f"bad identity name {name!r}; use letters, digits, '.', "
                         "'_', '-' or '@'")


def _home(home):
    return os.path.expanduser("~") if home is None else os.fspath(home)


def dfx_identity(name, home=None):
    """The dfx identity ``name`` from ``~/.config/dfx/identity/<name>/identity.pem``."""
    _check_name(name)
    if name == "anonymous":
        return AnonymousIdentity()
    root = os.environ.get("DFX_CONFIG_ROOT") if home is None else None
    base = os.path.join(root or _home(home), ".config", "dfx", "identity", name)
    pem_path = os.path.join(base, "identity.pem")
    if os.path.exists(pem_path):
        return load_identity_file(pem_path)
    if os.path.exists(pem_path + ".encrypted"):
        raise InputError(_FIELD, f"dfx identity {name!r} is password-encrypted, which is not "
                         "supported; export it with 'dfx identity export' and use the PEM")
    config = os.path.join(base, "identity.json")
    if os.path.exists(config):
        raise InputError(_FIELD, f"dfx identity {name!r} lives in the OS keyring or an HSM, "
                         "which is not supported; export it with 'dfx identity export'")
    raise InputError(_FIELD, f"no dfx identity named {name!r} (looked in {base})")


def icp_cli_identity_dir(home=None):
    """The icp-cli identity directory: $ICP_HOME/identity, else the per-OS data directory."""
    if home is None and os.environ.get("ICP_HOME"):
        return os.path.join(os.environ["ICP_HOME"], "identity")
    base = _home(home)
    mac = os.path.join(base, "Library", "Application Support", "org.dfinity.icp-cli")
    if os.path.isdir(mac):
        return os.path.join(mac, "identity")
    data = os.environ.get("XDG_DATA_HOME") if home is None else None
    return os.path.join(data or os.path.join(base, ".local", "share"), "icp-cli", "identity")


def icp_cli_identity(name, password=None, home=None):
    """The icp-cli identity ``name`` (identity_list.json + keys/<name>.pem)."""
    _check_name(name)
    directory = icp_cli_identity_dir(home)
    list_path = os.path.join(directory, "identity_list.json")
    import json

    try:
        with open(list_path, encoding="utf-8") as handle:
            listing = json.load(handle)
    except FileNotFoundError:
        listing = {"v": 1, "identities": {"anonymous": {"kind": "anonymous"}}}
    except (OSError, ValueError) as exc:
        raise InputError(_FIELD, f"cannot read {list_path}: {exc}") from None
    if not isinstance(listing, dict) or listing.get("v") != 1:
        raise InputError(_FIELD, f"{list_path} has an unknown format version")
    spec = listing.get("identities", {}).get(name)
    if spec is None:
        raise InputError(_FIELD, f"no icp-cli identity named {name!r} (see {list_path})")
    kind = spec.get("kind")
    if kind == "anonymous":
        return AnonymousIdentity()
    if kind != "pem":
        raise InputError(_FIELD, f"icp-cli identity {name!r} is stored as {kind!r}, which is "
                         "not supported; export it with 'icp identity export'")
    if spec.get("format") == "pbes2" and not password:
        raise InputError(_FIELD, f"icp-cli identity {name!r} is password-protected; "
                         "give its password")
    identity = load_identity_file(os.path.join(directory, "keys", f"{name}.pem"), password)
    expected = spec.get("principal")
    if expected and str(identity.sender) != expected:
        raise InputError(_FIELD, f"icp-cli identity {name!r}: key does not match the "
                         f"principal {expected} recorded in identity_list.json")
    return identity


@functools.lru_cache(maxsize=256)
def _ed25519_check(raw):
    """``check(signature, message) -> bool`` for the Ed25519 public key ``raw`` (32 bytes), made
    once per key: a fleet's query replies are signed by a subnet's few nodes (a key that does
    not load raises each time; nothing is remembered).

    With PyNaCl installed, libsodium checks: twice as fast as OpenSSL (a node signature is
    checked on every query reply), and it also refuses small-order keys, which OpenSSL's check
    lets through (no IC node or sane client has one). Without it, ``cryptography`` checks."""
    sodium = deps.optional("nacl.bindings")
    if sodium is not None:
        def check(signature, message):
            try:
                sodium.crypto_sign_open(signature + message, raw)
            except (deps.optional("nacl.exceptions").CryptoError, ValueError, TypeError):
                return False
            return True
        return check
    key = _ed25519().Ed25519PublicKey.from_public_bytes(raw)
    invalid = crypto("exceptions").InvalidSignature

    def check(signature, message):
        try:
            key.verify(signature, message)
        except invalid:
            return False
        return True
    return check


def verify_signature(public_key_der, message, signature):
    """True if ``signature`` over ``message`` verifies under the DER key (Ed25519/ECDSA)."""
    key_der, message, signature = bytes(public_key_der), bytes(message), bytes(signature)
    invalid = crypto("exceptions").InvalidSignature
    try:
        if key_der.startswith(ED25519_DER_PREFIX) and len(key_der) == 44:
            if len(signature) != 64:
                return False
            return _ed25519_check(key_der[12:])(signature, message)
        for kind, prefix in _PREFIXES.items():
            if key_der.startswith(prefix) and len(key_der) == len(prefix) + 65:
                if len(signature) != 64:
                    return False
                key = _ec().EllipticCurvePublicKey.from_encoded_point(
                    _curve(kind), key_der[len(prefix):])
                utils = crypto("hazmat.primitives.asymmetric.utils")
                der_sig = utils.encode_dss_signature(int.from_bytes(signature[:32], "big"),
                                                     int.from_bytes(signature[32:], "big"))
                key.verify(der_sig, message, _ecdsa_sha256())
                return True
    except (invalid, ValueError):
        return False
    return False
