"""CBOR (RFC 8949) encoding and decoding as the IC uses it, and request ids.

A small codec of our own rather than a third-party one, so that decoding replies from the
network is bounded (nesting depth, lengths checked against the input size) and so that the
module works wherever Ansible runs without extra packages.
"""
import functools
import hashlib
import struct

from .errors import InputError
from .leb128 import leb as uleb128, sleb as sleb128
from .principal import Principal

SELF_DESCRIBE_TAG = 55799
MAX_DEPTH = 128
_SELF_DESCRIBE = b"\xd9\xd9\xf7"


class Tag:
    """A CBOR tag the decoder does not interpret, kept as (tag, value)."""

    __slots__ = ("tag", "value")

    def __init__(self, tag, value):
        self.tag = tag
        self.value = value

    def __eq__(self, other):
        return isinstance(other, Tag) and (self.tag, self.value) == (other.tag, other.value)

    def __hash__(self):
        return hash((Tag, self.tag, self.value))

    def __repr__(self):
        return f"Tag({self.tag}, {self.value!r})"


def _head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    if n < 0x100:
        return bytes([major << 5 | 24, n])
    if n < 0x10000:
        return bytes([major << 5 | 25]) + n.to_bytes(2, "big")
    if n < 0x100000000:
        return bytes([major << 5 | 26]) + n.to_bytes(4, "big")
    return bytes([major << 5 | 27]) + n.to_bytes(8, "big")


def _encode(obj, out, depth):
    if depth > MAX_DEPTH:
        raise InputError("cbor", f"value nested deeper than {MAX_DEPTH} levels")
    if obj is None:
        out.append(b"\xf6")
    elif obj is True:
        out.append(b"\xf5")
    elif obj is False:
        out.append(b"\xf4")
    elif isinstance(obj, int):
        if 0 <= obj < 2 ** 64:
            out.append(_head(0, obj))
        elif -(2 ** 64) <= obj < 0:
            out.append(_head(1, -1 - obj))
        else:
            # Bignums (tags 2 and 3) for integers outside the 64-bit range.
            tag, mag = (2, obj) if obj > 0 else (3, -1 - obj)
            data = mag.to_bytes((mag.bit_length() + 7) // 8, "big")
            out.append(_head(6, tag) + _head(2, len(data)) + data)
    elif isinstance(obj, (bytes, bytearray, memoryview)):
        data = bytes(obj)
        out.append(_head(2, len(data)))
        out.append(data)
    elif isinstance(obj, Principal):
        out.append(_head(2, len(obj.raw)))
        out.append(obj.raw)
    elif isinstance(obj, str):
        data = obj.encode("utf-8")
        out.append(_head(3, len(data)))
        out.append(data)
    elif isinstance(obj, (list, tuple)):
        out.append(_head(4, len(obj)))
        for item in obj:
            _encode(item, out, depth + 1)
    elif isinstance(obj, dict):
        out.append(_head(5, len(obj)))
        for key, value in obj.items():
            _encode(key, out, depth + 1)
            _encode(value, out, depth + 1)
    elif isinstance(obj, float):
        out.append(b"\xfb" + struct.pack(">d", obj))
    elif isinstance(obj, Tag):
        out.append(_head(6, obj.tag))
        _encode(obj.value, out, depth + 1)
    else:
        raise InputError("cbor", f"cannot encode a value of type {type(obj).__name__}")


def dumps(obj, self_describe=True):
    """Encode ``obj`` as CBOR, prefixed with the self-describe tag 55799 by default."""
    out = [_SELF_DESCRIBE] if self_describe else []
    _encode(obj, out, 0)
    return b"".join(out)


class _Decoder:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def fail(self, message):
        raise InputError("cbor", f"{message} at byte {self.pos}")

    def take(self, n):
        if n > len(self.data) - self.pos:
            self.fail(f"truncated input: need {n} bytes")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def argument(self, info):
        if info < 24:
            return info
        if info == 24:
            return self.take(1)[0]
        if info == 25:
            return int.from_bytes(self.take(2), "big")
        if info == 26:
            return int.from_bytes(self.take(4), "big")
        if info == 27:
            return int.from_bytes(self.take(8), "big")
        return self.fail(f"invalid additional information {info}")

    def count(self, n, min_item_size):
        # Each item needs at least min_item_size bytes, so a larger claim cannot be honest.
        if n * min_item_size > len(self.data) - self.pos:
            self.fail(f"length {n} exceeds the remaining input")
        return n

    def chunks(self, major):
        parts = []
        while True:
            if self.pos >= len(self.data):
                self.fail("unterminated indefinite-length string")
            if self.data[self.pos] == 0xFF:
                self.pos += 1
                return b"".join(parts)
            initial = self.take(1)[0]
            if initial >> 5 != major or initial & 31 == 31:
                self.fail("bad chunk in indefinite-length string")
            parts.append(self.take(self.argument(initial & 31)))

    def item(self, depth):
        if depth > MAX_DEPTH:
            self.fail(f"nesting deeper than {MAX_DEPTH} levels")
        if self.pos >= len(self.data):
            self.fail("truncated input: need 1 bytes")
        initial = self.data[self.pos]
        self.pos += 1
        major, info = initial >> 5, initial & 31
        if major == 0:
            return self.argument(info)
        if major == 1:
            return -1 - self.argument(info)
        if major in (2, 3):
            raw = self.chunks(major) if info == 31 else self.take(self.argument(info))
            if major == 2:
                return bytes(raw)
            try:
                return bytes(raw).decode("utf-8")
            except UnicodeDecodeError:
                return self.fail("text string is not valid UTF-8")
        if major == 4:
            if info == 31:
                items = []
                while not self.at_break():
                    items.append(self.item(depth + 1))
                return items
            return [self.item(depth + 1) for _i in range(self.count(self.argument(info), 1))]
        if major == 5:
            result = {}
            if info == 31:
                while not self.at_break():
                    self.map_entry(result, depth)
            else:
                for _i in range(self.count(self.argument(info), 2)):
                    self.map_entry(result, depth)
            return result
        if major == 6:
            tag = self.argument(info)
            value = self.item(depth + 1)
            if tag == SELF_DESCRIBE_TAG:
                return value
            if tag in (2, 3) and isinstance(value, bytes):
                mag = int.from_bytes(value, "big")
                return mag if tag == 2 else -1 - mag
            return Tag(tag, value)
        return self.simple(info)

    def map_entry(self, result, depth):
        key = self.item(depth + 1)
        if isinstance(key, (list, dict)):
            self.fail(f"map key is {'an array' if isinstance(key, list) else 'a map'}")
        value = self.item(depth + 1)
        try:
            result[key] = value
        except TypeError:
            self.fail("map key is not hashable")

    def at_break(self):
        if self.pos >= len(self.data):
            self.fail("unterminated indefinite-length item")
        if self.data[self.pos] == 0xFF:
            self.pos += 1
            return True
        return False

    def simple(self, info):
        if info == 20:
            return False
        if info == 21:
            return True
        if info in (22, 23):
            return None
        if info == 25:
            return struct.unpack(">e", self.take(2))[0]
        if info == 26:
            return struct.unpack(">f", self.take(4))[0]
        if info == 27:
            return struct.unpack(">d", self.take(8))[0]
        return self.fail(f"unsupported simple value {info}")


def loads(data):
    """Decode one CBOR item; tag 55799 is stripped; raises InputError on malformed input."""
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise InputError("cbor", f"expected bytes, got {type(data).__name__}")
    decoder = _Decoder(data)
    value = decoder.item(0)
    if decoder.pos != len(data):
        decoder.fail(f"{len(data) - decoder.pos} trailing bytes after the CBOR item")
    return value


def _hash_value(value, field):
    if isinstance(value, (bytes, bytearray, memoryview)):
        return hashlib.sha256(bytes(value)).digest()
    if isinstance(value, Principal):
        return hashlib.sha256(value.raw).digest()
    if isinstance(value, str):
        return hashlib.sha256(value.encode("utf-8")).digest()
    if isinstance(value, bool):
        raise InputError(field, "booleans have no representation-independent hash")
    if isinstance(value, int):
        return hashlib.sha256(uleb128(value) if value >= 0 else sleb128(value)).digest()
    if isinstance(value, (list, tuple)):
        return hashlib.sha256(b"".join(
            _hash_value(v, f"{field}[{i}]") for i, v in enumerate(value))).digest()
    if isinstance(value, dict):
        return hash_of_map(value, field)
    raise InputError(field, f"cannot hash a value of type {type(value).__name__}")


@functools.lru_cache(maxsize=64)
def _key_hash(key):
    """SHA-256 of a map key: the few field names of requests, replies and certificates, hashed
    once (a fleet's probe hashes two maps per canister)."""
    return hashlib.sha256(key.encode("utf-8") if isinstance(key, str) else bytes(key)).digest()


def hash_of_map(d, field=""):
    """Representation-independent hash of a map; ``None`` values count as absent fields."""
    if not isinstance(d, dict):
        raise InputError(field or "content", "expected a map")
    parts = []
    for key, value in d.items():
        if value is None:
            continue
        sub = f"{field}.{key}" if field else str(key)
        parts.append(_key_hash(key) + _hash_value(value, sub))
    parts.sort()
    return hashlib.sha256(b"".join(parts)).digest()


def request_id(content):
    """The request id of a content map (SHA-256 representation-independent hash)."""
    return hash_of_map(content)
