"""Parsing and authenticating request envelopes, as the replica's HTTP endpoint does.

Every failure here is an ``HttpError`` (400 with the replica's wording) raised before the
request can touch any state.
"""
import datetime
from dataclasses import dataclass

from _ic import cbor
from _ic.errors import InputError
from _ic.identity import verify_signature
from _ic.principal import Principal

from . import limits
from .errors import HttpError

REQUEST_DOMAIN = b"\x0aic-request"
DELEGATION_DOMAIN = b"\x1aic-request-auth-delegation"

_METHOD_FIELDS = ("canister_id", "method_name", "arg")


@dataclass
class Request:
    """An authenticated request: its content fields and its id."""

    kind: str
    request_id: bytes
    sender: Principal
    ingress_expiry: int
    canister_id: Principal = None
    method_name: str = None
    arg: bytes = None
    paths: list = None
    nonce: bytes = None
    # Canister ids the delegation chain limits the request to (None: no limit).
    targets: frozenset = None


def parse(body, kind):
    """Decode a CBOR envelope of ``kind`` (call, query, read_state) without checking it yet."""
    try:
        envelope = cbor.loads(body)
    except (InputError, ValueError, RecursionError) as err:
        raise HttpError(400, f"Failed to deserialize cbor request: {err}") from None
    what = "call" if kind == "call" else kind
    if not isinstance(envelope, dict) or not isinstance(envelope.get("content"), dict):
        raise HttpError(400, f"Could not parse body as {what} message: missing field `content`")
    content = envelope["content"]
    try:
        request = _content(content, kind)
        request.request_id = cbor.request_id(content)
    except InputError as err:
        raise HttpError(400, f"Could not parse body as {what} message: {err}") from None
    return envelope, request


def _field(content, name, types, optional=False):
    value = content.get(name)
    if value is None:
        if optional:
            return None
        raise InputError(name, f"missing field `{name}`")
    if not isinstance(value, types) or isinstance(value, bool):
        raise InputError(name, f"invalid type for field `{name}`")
    return value


def _content(content, kind):
    request_type = _field(content, "request_type", str)
    if request_type != kind:
        raise InputError("request_type", f"expected request_type `{kind}`, got `{request_type}`")
    sender = _field(content, "sender", bytes)
    if len(sender) > 29:
        raise InputError("sender", "principal is longer than 29 bytes")
    request = Request(kind=kind, request_id=b"", sender=Principal(sender),
                      ingress_expiry=_field(content, "ingress_expiry", int),
                      nonce=_field(content, "nonce", bytes, optional=True))
    if kind == "read_state":
        paths = _field(content, "paths", list)
        for path in paths:
            if not isinstance(path, list) or not all(isinstance(x, bytes) for x in path):
                raise InputError("paths", "each path must be an array of byte strings")
        request.paths = paths
    else:
        canister = _field(content, "canister_id", bytes)
        if len(canister) > 29:
            raise InputError("canister_id", "principal is longer than 29 bytes")
        request.canister_id = Principal(canister)
        request.method_name = _field(content, "method_name", str)
        request.arg = _field(content, "arg", bytes)
    return request


def authenticate(envelope, request, now_ns, check_expiry=True):
    """Check signature, delegations, sender, expiry and nonce; raises HttpError(400)."""
    if request.nonce is not None and len(request.nonce) > limits.MAX_NONCE_BYTES:
        raise HttpError(400, f"Nonce in request is too big: got {len(request.nonce)} bytes, "
                             f"but expect at most {limits.MAX_NONCE_BYTES} bytes.")
    if request.paths is not None:
        if len(request.paths) > limits.MAX_READ_STATE_PATHS:
            raise HttpError(400, f"Too many paths in read state request: got "
                                 f"{len(request.paths)} paths, but at most "
                                 f"{limits.MAX_READ_STATE_PATHS} are allowed.")
        for path in request.paths:
            if len(path) > limits.MAX_PATH_LABELS:
                raise HttpError(400, f"At least one path is too large: got {len(path)} "
                                     f"labels, but at most {limits.MAX_PATH_LABELS} are allowed.")
    pubkey = envelope.get("sender_pubkey")
    signature = envelope.get("sender_sig")
    delegations = envelope.get("sender_delegation")
    if request.sender.is_anonymous:
        if pubkey is not None or signature is not None or delegations is not None:
            raise HttpError(400, "Invalid signature: signature or public key not allowed for "
                                 "the anonymous user.")
    else:
        _check_signed(request, pubkey, signature, delegations, now_ns)
    anonymous_read = request.sender.is_anonymous and request.kind != "call"
    if check_expiry and not anonymous_read:
        check_expiry_window(request.ingress_expiry, now_ns)


def check_expiry_window(expiry, now_ns):
    """The replica's rule: now <= expiry <= now + 5 min + 30 s of drift."""
    latest = now_ns + limits.MAX_INGRESS_TTL_NS + limits.PERMITTED_DRIFT_NS
    if not now_ns <= expiry <= latest:
        raise HttpError(400, "Invalid request expiry: Specified ingress_expiry not within "
                             f"expected range: Minimum allowed expiry: {_ns_text(now_ns)}, "
                             f"Maximum allowed expiry: {_ns_text(latest)}, "
                             f"Provided expiry: {_ns_text(expiry)}")


def _ns_text(ns):
    seconds, rest = divmod(ns, 1_000_000_000)
    try:
        stamp = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return f"{ns} ns"
    return stamp.strftime("%Y-%m-%d %H:%M:%S.") + f"{rest:09d} UTC"


def _check_signed(request, pubkey, signature, delegations, now_ns):
    if not isinstance(pubkey, bytes) or not pubkey:
        raise HttpError(400, f"Invalid signature: Missing public key for user "
                             f"{request.sender}.")
    if not isinstance(signature, bytes):
        raise HttpError(400, f"Invalid signature: Missing signature from user: "
                             f"{request.sender}")
    if Principal.self_authenticating(pubkey) != request.sender:
        raise HttpError(400, f"The user id {request.sender} does not match the public key "
                             f"{pubkey.hex()}")
    signing_key = pubkey
    if delegations is not None:
        signing_key = _check_delegations(request, pubkey, delegations, now_ns)
    if not verify_signature(signing_key, REQUEST_DOMAIN + request.request_id, signature):
        raise HttpError(400, "Invalid signature: Invalid basic signature: "
                             f"{_scheme(signing_key)} signature could not be verified: "
                             f"public key {signing_key.hex()}, signature {signature.hex()}")


def _scheme(der):
    if len(der) == 44:
        return "Ed25519"
    return "ECDSA"


def _check_delegations(request, pubkey, delegations, now_ns):
    if not isinstance(delegations, list):
        raise HttpError(400, "Could not parse body: `sender_delegation` must be an array")
    if len(delegations) > limits.MAX_DELEGATIONS:
        raise HttpError(400, f"Invalid delegation: Chain of delegations is too long: got "
                             f"{len(delegations)} delegations, but at most "
                             f"{limits.MAX_DELEGATIONS} are allowed.")
    seen = {pubkey}
    current = pubkey
    targets = None
    for i, entry in enumerate(delegations):
        delegation = entry.get("delegation") if isinstance(entry, dict) else None
        sig = entry.get("signature") if isinstance(entry, dict) else None
        if not isinstance(delegation, dict) or not isinstance(sig, bytes):
            raise HttpError(400, f"Invalid delegation: entry {i} is malformed")
        key = delegation.get("pubkey")
        expiration = delegation.get("expiration")
        if not isinstance(key, bytes) or not isinstance(expiration, int) \
                or isinstance(expiration, bool):
            raise HttpError(400, f"Invalid delegation: entry {i} is malformed")
        try:
            digest = cbor.hash_of_map(delegation)
        except InputError as err:
            raise HttpError(400, f"Invalid delegation: {err}") from None
        if not verify_signature(current, DELEGATION_DOMAIN + digest, sig):
            raise HttpError(400, f"Invalid delegation: Invalid signature: delegation {i} "
                                 f"could not be verified under public key {current.hex()}")
        if expiration < now_ns:
            raise HttpError(400, f"Invalid delegation expiry: Specified sender delegation has "
                                 f"expired: Provided expiry: {_ns_text(expiration)}, Local "
                                 f"replica timestamp: {_ns_text(now_ns)}")
        if key in seen:
            raise HttpError(400, "Invalid delegation: Chain of delegations contains a cycle: "
                                 f"{key.hex()} appears more than once")
        seen.add(key)
        targets = _narrow(targets, delegation.get("targets"), i)
        permissions = delegation.get("permissions")
        if permissions not in (None, "all", "queries"):
            raise HttpError(400, f"Invalid delegation: unknown permissions {permissions!r}")
        if permissions == "queries" and request.kind == "call":
            raise HttpError(400, "Invalid delegation: the delegation only permits queries "
                                 "and read_state requests")
        current = key
    request.targets = targets
    return current


def check_targets(request, ecid):
    """A delegation's targets must include the called canister (the ecid for aaaaa-aa)."""
    if request.targets is None:
        return
    target = request.canister_id
    if target is None or target.raw == b"":
        target = ecid
    if target not in request.targets:
        raise HttpError(400, f"Canister {target} is not one of the delegation targets.")


def _narrow(targets, given, index):
    if given is None:
        return targets
    if not isinstance(given, list) or len(given) > limits.MAX_DELEGATION_TARGETS or \
            not all(isinstance(t, bytes) and len(t) <= 29 for t in given):
        raise HttpError(400, f"Invalid delegation: targets of delegation {index} are malformed")
    allowed = frozenset(Principal(t) for t in given)
    return allowed if targets is None else targets & allowed


def check_effective_canister(request, ecid):
    """For calls/queries to a normal canister the URL's id must equal ``canister_id``."""
    if request.canister_id != ecid:
        raise HttpError(400, f"Specified CanisterId {request.canister_id} does not match "
                             f"effective canister id in URL {ecid}")
