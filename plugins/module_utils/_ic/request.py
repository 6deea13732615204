"""Content maps and signed envelopes for call, query and read_state requests."""
import os
import time

from . import cbor
from .errors import InputError
from .principal import Principal

REQUEST_DOMAIN = b"\x0aic-request"
MAX_INGRESS_TTL_NS = 5 * 60 * 1_000_000_000
_EXPIRY_DELTA_NS = 4 * 60 * 1_000_000_000
_MINUTE_NS = 60 * 1_000_000_000


def default_ingress_expiry(now_ns=None):
    """Now + 4 minutes rounded down to the minute (icp-cli's choice), in ns since the epoch."""
    now = time.time_ns() if now_ns is None else int(now_ns)
    expiry = now + _EXPIRY_DELTA_NS
    return expiry - expiry % _MINUTE_NS


def new_nonce():
    """A random 16-byte nonce that makes otherwise identical update calls distinct."""
    return os.urandom(16)


def _blob(value, field):
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise InputError(field, f"expected bytes, got {type(value).__name__}")


def _expiry(value):
    if value is None:
        return default_ingress_expiry()
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InputError("ingress_expiry", "expected a non-negative integer of nanoseconds")
    return value


def _method_content(kind, sender, canister_id, method, arg, ingress_expiry, nonce):
    if not isinstance(method, str) or not method:
        raise InputError("method_name", "expected a non-empty method name")
    content = {
        "request_type": kind,
        "sender": Principal.coerce(sender, "sender").raw,
        "ingress_expiry": _expiry(ingress_expiry),
        "canister_id": Principal.coerce(canister_id, "canister_id").raw,
        "method_name": method,
        "arg": _blob(arg, "arg"),
    }
    if nonce is not None:
        nonce = _blob(nonce, "nonce")
        if len(nonce) > 32:
            raise InputError("nonce", f"is {len(nonce)} bytes; at most 32 allowed")
        content["nonce"] = nonce
    return content


def call_content(sender, canister_id, method, arg, ingress_expiry=None, nonce=None):
    """Content map of an update call; a random nonce is added when none is given."""
    if nonce is None:
        nonce = new_nonce()
    return _method_content("call", sender, canister_id, method, arg, ingress_expiry, nonce)


def query_content(sender, canister_id, method, arg, ingress_expiry=None, nonce=None):
    """Content map of a query call (no nonce unless one is given)."""
    return _method_content("query", sender, canister_id, method, arg, ingress_expiry, nonce)


def read_state_content(sender, paths, ingress_expiry=None):
    """Content map of a read_state request; ``paths`` is a list of lists of labels."""
    if not isinstance(paths, (list, tuple)):
        raise InputError("paths", "expected a list of paths (each a list of labels)")
    encoded = []
    for i, path in enumerate(paths):
        if not isinstance(path, (list, tuple)):
            raise InputError(f"paths[{i}]", "expected a list of labels")
        labels = []
        for j, label in enumerate(path):
            if isinstance(label, str):
                label = label.encode("utf-8")
            elif isinstance(label, Principal):
                label = label.raw
            labels.append(_blob(label, f"paths[{i}][{j}]"))
        encoded.append(labels)
    return {
        "request_type": "read_state",
        "sender": Principal.coerce(sender, "sender").raw,
        "ingress_expiry": _expiry(ingress_expiry),
        "paths": encoded,
    }


def sign_envelope(identity, content, request_id=None):
    """CBOR envelope {content, sender_pubkey, sender_sig}; unsigned for anonymous senders.
    ``request_id``: the content's request id when the caller has computed it already."""
    envelope = {"content": content}
    public_key = identity.public_key_der
    if public_key is not None:
        rid = request_id or cbor.request_id(content)
        envelope["sender_pubkey"] = public_key
        envelope["sender_sig"] = identity.sign(REQUEST_DOMAIN + rid)
    return cbor.dumps(envelope)
