"""Principals: the IC's identifiers for users and canisters (text <-> bytes)."""
import base64
import hashlib
import zlib
from functools import lru_cache, total_ordering

from .errors import InputError

MAX_LENGTH = 29
_ALPHABET = set("abcdefghijklmnopqrstuvwxyz234567")
_SELF_AUTH = 0x02
_ANONYMOUS = 0x04
_CANISTER_SUFFIX = b"\x01\x01"


# Texts parsed before (only valid ones): a fleet run reads each of its canister ids many times.
_PARSED = {}
_PARSED_MAX = 4096


@lru_cache(maxsize=4096)  # a fleet run prints each of its canister ids many times
def _encode_text(raw):
    checksum = zlib.crc32(raw).to_bytes(4, "big")
    b32 = base64.b32encode(checksum + raw).decode("ascii").lower().rstrip("=")
    return "-".join(b32[i:i + 5] for i in range(0, len(b32), 5))


@total_ordering
class Principal:
    """An immutable principal, hashable and ordered by its raw bytes."""

    __slots__ = ("_raw",)

    def __init__(self, raw):
        if isinstance(raw, (bytearray, memoryview)):
            raw = bytes(raw)
        if not isinstance(raw, bytes):
            raise InputError("principal", f"expected bytes, got {type(raw).__name__}")
        if len(raw) > MAX_LENGTH:
            raise InputError("principal", f"is {len(raw)} bytes long; at most {MAX_LENGTH} allowed")
        object.__setattr__(self, "_raw", raw)

    def __setattr__(self, name, value):
        raise AttributeError("Principal is immutable")

    @property
    def raw(self):
        """The principal's bytes."""
        return self._raw

    @classmethod
    def from_text(cls, text, field="principal"):
        """Parse the textual form (e.g. ``aaaaa-aa``), checking grouping and CRC32."""
        if not isinstance(text, str):
            raise InputError(field, f"expected principal text, got {type(text).__name__}")
        raw = _PARSED.get(text)
        if raw is not None:
            return cls(raw)
        stripped = text.strip()
        if not stripped:
            raise InputError(field, "is empty; give principal text such as 'aaaaa-aa'")
        lowered = stripped.lower()
        for pos, char in enumerate(lowered):
            if char != "-" and char not in _ALPHABET:
                raise InputError(
                    field, f"invalid character {char!r} at position {pos} in {stripped!r}; "
                    "principal text uses only a-z, 2-7 and '-'")
        groups = lowered.split("-")
        for i, group in enumerate(groups):
            last = i == len(groups) - 1
            if not group or len(group) > 5 or (not last and len(group) != 5):
                raise InputError(
                    field, f"bad grouping in {stripped!r}: groups of 5 characters separated "
                    "by '-' (the last may be shorter)")
        b32 = "".join(groups)
        padded = b32.upper() + "=" * (-len(b32) % 8)
        try:
            data = base64.b32decode(padded)
        except ValueError:
            raise InputError(field, f"{stripped!r} is not valid base32 (wrong length)") from None
        if len(data) < 4:
            raise InputError(field, f"{stripped!r} is too short to hold a checksum")
        checksum, raw = data[:4], data[4:]
        if len(raw) > MAX_LENGTH:
            raise InputError(
                field, f"{stripped!r} is too long: {len(raw)} bytes, at most {MAX_LENGTH}")
        if zlib.crc32(raw).to_bytes(4, "big") != checksum:
            raise InputError(field, f"checksum mismatch in {stripped!r}; check for a typo")
        canonical = _encode_text(raw)
        if canonical != lowered:
            raise InputError(field, f"{stripped!r} is not canonical; did you mean {canonical!r}?")
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[text] = raw
        return cls(raw)

    def to_text(self):
        """The textual form, e.g. ``ryjl3-tyaaa-aaaaa-aaaba-cai``."""
        return _encode_text(self._raw)

    def __str__(self):
        return self.to_text()

    def __repr__(self):
        return f"Principal({self.to_text()!r})"

    def __eq__(self, other):
        if not isinstance(other, Principal):
            return NotImplemented
        return self._raw == other._raw

    def __lt__(self, other):
        if not isinstance(other, Principal):
            return NotImplemented
        return self._raw < other._raw

    def __hash__(self):
        return hash((Principal, self._raw))

    def __reduce__(self):
        return (Principal, (self._raw,))

    @classmethod
    def anonymous(cls):
        """The anonymous principal ``2vxsx-fae``."""
        return cls(bytes([_ANONYMOUS]))

    @classmethod
    def management(cls):
        """The management canister ``aaaaa-aa`` (empty bytes)."""
        return cls(b"")

    @classmethod
    def self_authenticating(cls, der_public_key):
        """The principal of a DER-encoded public key: SHA-224(key) followed by 0x02."""
        if not isinstance(der_public_key, (bytes, bytearray)) or not der_public_key:
            raise InputError("public_key", "expected DER-encoded public key bytes")
        return cls(hashlib.sha224(bytes(der_public_key)).digest() + bytes([_SELF_AUTH]))

    @classmethod
    def from_canister_index(cls, index):
        """The canister id for a u64 index: 8 big-endian bytes followed by 0x01 0x01."""
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < 2 ** 64:
            raise InputError("canister_index", f"{index!r} is not an integer in 0..2^64-1")
        return cls(index.to_bytes(8, "big") + _CANISTER_SUFFIX)

    def canister_index(self):
        """The u64 index of a canister id, or None if this is not one."""
        if len(self._raw) == 10 and self._raw.endswith(_CANISTER_SUFFIX):
            return int.from_bytes(self._raw[:8], "big")
        return None

    @property
    def is_anonymous(self):
        """True for the anonymous principal."""
        return self._raw == bytes([_ANONYMOUS])

    @property
    def is_self_authenticating(self):
        """True for a principal derived from a public key."""
        return len(self._raw) == 29 and self._raw[-1] == _SELF_AUTH

    @classmethod
    def coerce(cls, value, field=""):
        """Accept a Principal, principal text or raw bytes; errors name ``field``."""
        if isinstance(value, Principal):
            return value
        if isinstance(value, str):
            return cls.from_text(value, field=field)
        if isinstance(value, (bytes, bytearray, memoryview)):
            raw = bytes(value)
            if len(raw) > MAX_LENGTH:
                raise InputError(field, f"principal is {len(raw)} bytes; at most {MAX_LENGTH}")
            return cls(raw)
        raise InputError(field, f"not a principal: expected text such as 'aaaaa-aa', "
                         f"got {type(value).__name__}")
