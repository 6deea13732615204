"""Certificates: BLS12-381 min-sig verification, subnet delegations, canister ranges.

Only the verifying side: the signing side (key pairs, signatures, certificate building) is
localnet's (``localnet/signing.py``). The hash-tree lookup API (reconstruct, lookup_path, ...)
lives in ``hashtree`` and is re-exported here.
"""
import functools
import time

from . import cbor
from .deps import BLS, load
from .errors import CertificateError, InputError
from .hashtree import (  # noqa: F401  re-exported API; pylint: disable=unused-import
    LookupResult, from_cbor, list_labels, list_paths, lookup_path, lookup_subtree, reconstruct)
from .principal import Principal

DST = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"
STATE_ROOT_DOMAIN = b"\x0dic-state-root"
BLS_DER_PREFIX = bytes.fromhex(
    "308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100")
MAINNET_ROOT_KEY_DER = BLS_DER_PREFIX + bytes.fromhex(
    "814c0e6ec71fab583b08bd81373c255c3c371b2e84863c98a4f1e08b74235d14fb5d9c0cd546d968"
    "5f913a0c0b2cc5341583bf4b4392e467db96d65b9bb4cb717112f8472e0d5a4d14505ffd7484b012"
    "91091c5f87b98883463f98091a0baaae")
# agent-js accepts a subnet delegation for 30 days (DEFAULT_CERTIFICATE_DELEGATION_MAX_AGE):
# the NNS re-certifies delegations far more often, so an older one is a replayed or stale key.
MAX_DELEGATION_AGE_NS = 30 * 24 * 3600 * 1_000_000_000
_bls = None


def _arkworks():
    """``py_arkworks_bls12381``, imported on first use, and the G2 generator."""
    global _bls
    if _bls is None:
        module = load("py_arkworks_bls12381", BLS)
        _bls = (module, module.G2Point())
    return _bls


def root_key_der_from_raw(raw96):
    """DER (133 bytes) of a raw 96-byte BLS public key."""
    if not isinstance(raw96, (bytes, bytearray)) or len(raw96) != 96:
        raise InputError("root_key", "expected a 96-byte BLS12-381 G2 public key")
    return BLS_DER_PREFIX + bytes(raw96)


def raw_from_root_key_der(der):
    """The raw 96-byte key inside a DER BLS public key (root or subnet key)."""
    der = bytes(der)
    if len(der) != len(BLS_DER_PREFIX) + 96 or not der.startswith(BLS_DER_PREFIX):
        raise InputError("root_key", "not a DER BLS12-381 public key (expected 133 bytes "
                         "starting 308182301d...)")
    return der[len(BLS_DER_PREFIX):]


@functools.lru_cache(maxsize=512)
def bls_verify(public_key_raw, signature, message):
    """True if a 48-byte G1 signature over ``message`` verifies under a 96-byte G2 key.

    Cached on the exact (key, signature, message) triple: a cache hit never skips a check
    for any other key, which lets a repeated subnet delegation cost one pairing only.
    """
    bls, g2 = _arkworks()
    try:
        key = bls.G2Point.from_compressed_bytes(bytes(public_key_raw))
        sig = bls.G1Point.from_compressed_bytes(bytes(signature))
    except (ValueError, TypeError, OverflowError):
        return False
    if key == bls.G2Point.identity() or sig == bls.G1Point.identity():
        return False
    digest = bls.G1Point.hash_to_curve(bytes(message), DST)
    return bls.GT.pairing_check([sig, -digest], [g2, key])


def decode_leb128(data):
    """An unsigned LEB128 value, e.g. /time or reject_code."""
    value, shift = 0, 0
    for i, byte in enumerate(data):
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            if i != len(data) - 1:
                break
            return value
    raise CertificateError("malformed LEB128 number in certificate")


class Certificate:
    """A decoded certificate: ``tree``, ``signature``, optional ``delegation``."""

    def __init__(self, tree, signature, delegation=None):
        self.tree = tree
        self.signature = signature
        self.delegation = delegation

    @classmethod
    def decode(cls, data):
        """Parse CBOR bytes (or an already decoded dict) into a Certificate."""
        if isinstance(data, (bytes, bytearray, memoryview)):
            try:
                data = cbor.loads(bytes(data))
            except InputError as exc:
                raise CertificateError(f"certificate is not valid CBOR: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("signature"), bytes):
            raise CertificateError("certificate must be a map with 'tree' and 'signature'")
        delegation = data.get("delegation")
        if delegation is not None and not (
                isinstance(delegation, dict)
                and isinstance(delegation.get("subnet_id"), bytes)
                and isinstance(delegation.get("certificate"), bytes)):
            raise CertificateError("certificate delegation needs subnet_id and certificate")
        return cls(from_cbor(data.get("tree")), data["signature"], delegation)

    def lookup(self, path):
        """The leaf value at ``path``, or None when the certificate proves it absent.

        A pruned path is *unknown*, not absent, and a path to a subtree is malformed: both
        raise CertificateError, as agent-rs does (``LookupPathUnknown`` / ``LookupPathError``).
        """
        result = lookup_path(self.tree, path)
        if result.status == "found":
            return result.value
        if result.status == "absent":
            return None
        where = "/".join(_label_text(label) for label in path)
        if result.status == "unknown":
            raise CertificateError(f"the certificate prunes /{where}: its value is unknown, "
                                   "not absent; ask again")
        raise CertificateError(f"the certificate's /{where} is not a value")

    def lookup_result(self, path):
        """The full LookupResult (found / absent / unknown / error) for ``path``."""
        return lookup_path(self.tree, path)

    @property
    def time_ns(self):
        """The certified /time in ns since the epoch."""
        raw = self.lookup(["time"])
        if raw is None:
            raise CertificateError("certificate has no /time")
        return decode_leb128(raw)

    @property
    def root_hash(self):
        """The root hash of the certificate's tree."""
        return reconstruct(self.tree)

    @property
    def subnet_id(self):
        """The delegated subnet's principal, or None for a root-signed certificate."""
        if self.delegation is None:
            return None
        return Principal(self.delegation["subnet_id"])


def _label_text(label):
    if isinstance(label, str):
        return label
    raw = bytes(label)
    return raw.decode("ascii") if raw.isascii() and raw.decode("ascii").isprintable() \
        else raw.hex()


def _ranges_contain(value, canister):
    try:
        ranges = cbor.loads(value)
    except InputError:
        raise CertificateError("canister ranges in the delegation are not valid CBOR") from None
    if not isinstance(ranges, list):
        raise CertificateError("canister ranges in the delegation are not a list")
    for pair in ranges:
        if not (isinstance(pair, list) and len(pair) == 2
                and all(isinstance(x, bytes) for x in pair)):
            raise CertificateError("canister range is not a [low, high] pair of principals")
        if pair[0] <= canister <= pair[1]:
            return True
    return False


def _check_ranges(parent, subnet_raw, canister):
    shards = lookup_subtree(parent.tree, ["canister_ranges", subnet_raw])
    if shards.status == "found":
        for label in list_labels(shards.value):
            shard = lookup_path(shards.value, [label])
            if shard.status == "found" and _ranges_contain(shard.value, canister):
                return
    # Newer delegations carry only the sharded ranges; the flat path may then be pruned.
    flat = parent.lookup_result(["subnet", subnet_raw, "canister_ranges"])
    flat = flat.value if flat.status == "found" else None
    if flat is not None and _ranges_contain(flat, canister):
        return
    if shards.status != "found" and flat is None:
        raise CertificateError("delegation certificate reveals no canister ranges")
    raise CertificateError(f"canister {Principal(canister)} is not in the delegated "
                           f"subnet's canister ranges")


def _delegated_key(cert, root_key_raw, effective_canister_id, effective_subnet_id, now_ns):
    subnet_raw = cert.delegation["subnet_id"]
    parent = Certificate.decode(cert.delegation["certificate"])
    if parent.delegation is not None:
        raise CertificateError("delegation certificate must not carry its own delegation")
    _check_signature(parent, root_key_raw, "delegation certificate")
    if now_ns is not None:  # time checks on (agent-js disables both together)
        _check_age(parent, MAX_DELEGATION_AGE_NS, now_ns, "delegation certificate")
    if effective_subnet_id is not None and \
            Principal.coerce(effective_subnet_id, "effective_subnet_id").raw != subnet_raw:
        raise CertificateError("delegation is for another subnet than the one requested")
    if effective_canister_id is not None:
        canister = Principal.coerce(effective_canister_id, "effective_canister_id").raw
        _check_ranges(parent, subnet_raw, canister)
    key_der = parent.lookup(["subnet", subnet_raw, "public_key"])
    if key_der is None:
        raise CertificateError("delegation certificate has no subnet public key")
    try:
        return raw_from_root_key_der(key_der)
    except InputError:
        raise CertificateError("subnet public key in the delegation is not a BLS key") from None


def _check_signature(cert, key_raw, what):
    message = STATE_ROOT_DOMAIN + reconstruct(cert.tree)
    if not bls_verify(bytes(key_raw), bytes(cert.signature), message):
        raise CertificateError(f"{what} signature does not verify")


def verify_certificate(cert_cbor_or_dict, root_key_der, effective_canister_id=None,
                       max_age_ns=None, now_ns=None, effective_subnet_id=None):
    """Verify a certificate and return it; raises CertificateError.

    Checks the BLS signature, through a subnet delegation if present. With a delegation,
    ``effective_canister_id`` (when given) must lie in its canister ranges (sharded
    ``/canister_ranges/<sid>/*`` or flat ``/subnet/<sid>/canister_ranges``) and
    ``effective_subnet_id`` (when given) must be the delegated subnet. With ``max_age_ns``,
    /time must be at most that old and a delegation's certificate at most 30 days old.
    """
    try:
        root_key_raw = raw_from_root_key_der(root_key_der)
    except InputError as exc:
        raise CertificateError(str(exc)) from None
    cert = cert_cbor_or_dict if isinstance(cert_cbor_or_dict, Certificate) \
        else Certificate.decode(cert_cbor_or_dict)
    key_raw = root_key_raw
    now = None
    if max_age_ns is not None:
        now = time.time_ns() if now_ns is None else now_ns
    if cert.delegation is not None:
        key_raw = _delegated_key(cert, root_key_raw, effective_canister_id, effective_subnet_id,
                                 now)
    _check_signature(cert, key_raw, "certificate")
    if max_age_ns is not None:
        _check_age(cert, max_age_ns, now, "certificate")
    return cert


def _check_age(cert, max_age_ns, now_ns, what):
    age = now_ns - cert.time_ns
    if age > max_age_ns:
        raise CertificateError(f"{what} is stale: its time is {age / 1e9:.0f} s old "
                               f"(at most {max_age_ns / 1e9:.0f} s allowed); check the "
                               "clock or the replica")
