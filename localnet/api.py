"""The IC HTTP interface (``/api/...``) over a Node, independent of the HTTP server.

``handle(node, method, path, headers, body)`` returns a ``Response``; the server only moves
bytes. Statuses, bodies and content types follow the replica (see
/work/shared/reference/http-interface.md).
"""
import functools
import json
import re
import time
from dataclasses import dataclass

from _ic import cbor
from _ic.errors import InputError, Reject
from _ic.principal import Principal

from . import VERSION, ingress, limits
from .errors import HttpError
from .statetree import ReadState

CBOR = "application/cbor"
TEXT = "text/plain; charset=utf-8"
_ROUTE = re.compile(r"^/api/v(\d+)/(canister|subnet)/([^/]+)/(call|query|read_state)$")
# (version, scope, endpoint) pairs the replica serves.
_SERVED = {(2, "canister", "call"), (3, "canister", "call"), (4, "canister", "call"),
           (2, "canister", "query"), (3, "canister", "query"),
           (2, "canister", "read_state"), (3, "canister", "read_state"),
           (2, "subnet", "read_state"), (3, "subnet", "read_state")}


@dataclass
class Response:
    """An HTTP answer; ``drop`` closes the connection without sending it."""

    status: int
    body: bytes = b""
    content_type: str = TEXT
    drop: bool = False


def text(status, message):
    """A plain-text response."""
    return Response(status, message.encode("utf-8"), TEXT)


def cbor_response(value, status=200, tagged=True):
    """A CBOR response (with the self-describe tag unless ``tagged`` is false)."""
    return Response(status, cbor.dumps(value, self_describe=tagged), CBOR)


def json_response(value, status=200):
    """A JSON response (the admin surface)."""
    return Response(status, json.dumps(value).encode(), "application/json")


def status_response(node):
    """``GET /api/v2/status``."""
    return cbor_response({
        "root_key": node.keys.root_key_der,
        "impl_version": VERSION,
        "impl_hash": "",
        "replica_health_status": "healthy",
        "certified_height": node.metrics.update_calls,
    })


@functools.lru_cache(maxsize=4096)
def route(path):
    """``(version, scope, id_text, endpoint)`` for an IC route, or None (remembered per path:
    a fleet's clients ask the same few endpoints of each canister over and over)."""
    match = _ROUTE.match(path)
    if match is None:
        return None
    version, scope, id_text, endpoint = match.groups()
    if (int(version), scope, endpoint) not in _SERVED:
        return None
    return int(version), scope, id_text, endpoint


def check_body(content_type, length):
    """Content-type and size checks that come before decoding."""
    ctype = content_type.split(";")[0].strip().lower()
    if ctype != CBOR:
        raise HttpError(400, "Unexpected content-type, expected application/cbor.")
    if length > limits.MAX_INGRESS_BYTES:
        raise HttpError(413, f"Request is too large. Message byte size {length} is larger "
                             f"than the max allowed {limits.MAX_INGRESS_BYTES}.")


_PARSED = {}


def _principal(id_text, what):
    found = _PARSED.get(id_text)
    if found is not None:
        return found
    try:
        found = Principal.from_text(id_text)
    except InputError as err:
        raise HttpError(400, f"Invalid {what}: {err.message}") from None
    if len(_PARSED) > 10_000:
        _PARSED.clear()
    _PARSED[id_text] = found
    return found


def handle_ic(node, version, scope, id_text, endpoint, body):
    """Serve one IC endpoint; returns a Response (HttpError answers are made here too)."""
    try:
        node.metrics.endpoint(f"v{version}/{scope}/{endpoint}")
        target = _principal(id_text, "effective canister id" if scope == "canister"
                            else "effective subnet id")
        envelope, request = ingress.parse(body, endpoint)
        refused, drop, hold = _apply_faults(node, endpoint, target, request)
        if refused is not None:
            return refused
        ingress.authenticate(envelope, request, node.clock.now_ns())
        if scope == "canister":
            ingress.check_targets(request, target)
        if endpoint == "call":
            response = _call(node, version, target, request, hold)
        elif endpoint == "query":
            # ic-py 1.0.1 (the only v2 query user) refuses a tagged map under cbor2 >= 5.6,
            # which decodes tag 55799 content as a frozendict; the tag is optional.
            response = _query(node, target, request, tagged=version != 2)
        else:
            response = _read_state(node, version, scope, target, request)
        response.drop = drop
        return response
    except HttpError as err:
        node.metrics.outcome(f"http_{err.status}")
        return text(err.status, err.text)


def _apply_faults(node, endpoint, target, request):
    """``(refusal Response or None, drop the answer?, seconds to hold a call in processing)``
    from the first matching fault."""
    if not node.faults.active:
        return None, False, 0
    called = (str(target),) if request.canister_id is None else \
        (str(request.canister_id), str(target))
    rule = node.faults.take(endpoint, called, request.method_name, str(request.sender))
    if rule is None:
        return None, False, 0
    action = rule["action"]
    if action == "http_503":
        node.metrics.outcome("http_503")
        return text(503, "Service is overloaded, try again later."), False, 0
    if action == "http_429":
        node.metrics.outcome("http_429")
        return text(429, "The service is overloaded."), False, 0
    if action == "delay_ms":
        time.sleep(rule["ms"] / 1000.0)
    hold = rule["seconds"] if action == "hold_processing" and endpoint == "call" else 0
    return None, action == "drop_response", hold


def _call(node, version, ecid, request, hold=0):
    try:
        entry = node.call(request, ecid, hold=hold)
    except Reject as err:
        node.metrics.outcome("non_replicated_rejection")
        body = {"reject_code": err.reject_code, "reject_message": err.reject_message,
                "error_code": err.error_code}
        if version >= 3:
            body = {"status": "non_replicated_rejection", **body}
        return cbor_response(body)
    if version == 2:
        return Response(202, b"", TEXT)
    # As the replica: wait for the answer up to the ingress timeout, then 202 (poll instead).
    if not entry.done.wait(node.sync_call_timeout):
        return text(202, "Message did not complete execution and certification within the "
                         "replica defined timeout.")
    # v3 replies carry the delegation with flat canister ranges, v4 with sharded ones.
    certifier = node.certifier_of(node.subnet_of(ecid))
    return cbor_response({"status": "replied", "certificate": certifier.request_status(
        entry, fmt="flat" if version == 3 else "sharded")})


def _query(node, ecid, request, tagged=True):
    if request.canister_id != Principal.management():
        ingress.check_effective_canister(request, ecid)
        if node.store.get(ecid) is None:
            raise HttpError(404, f"Canister {ecid} not found")
    outcome = node.query(request, ecid)
    timestamp = node.clock.now_ns()
    if outcome.replied:
        signed = {"status": "replied", "reply": {"arg": outcome.reply},
                  "timestamp": timestamp, "request_id": request.request_id}
        body = {"status": "replied", "reply": {"arg": outcome.reply}}
    else:
        signed = {"status": "rejected", "reject_code": outcome.reject_code,
                  "reject_message": outcome.reject_message,
                  "error_code": outcome.error_code,
                  "timestamp": timestamp, "request_id": request.request_id}
        body = {"status": "rejected", "reject_code": outcome.reject_code,
                "reject_message": outcome.reject_message}
        if outcome.error_code:
            body["error_code"] = outcome.error_code
    node.metrics.outcome("query_replied" if outcome.replied else "query_rejected")
    subnet = node.subnet_of(ecid)
    signature = subnet.sign_response(cbor.hash_of_map(signed))
    body["signatures"] = [{"timestamp": timestamp, "signature": signature,
                           "identity": subnet.node_id.raw}]
    return cbor_response(body, tagged=tagged)


def _read_state(node, version, scope, target, request):
    if scope == "subnet":
        subnet = node.topology.get(target)
        if subnet is None:
            raise HttpError(404, f"Subnet {target} not found")
        reader = ReadState(node, request, esid=target, legacy=version == 2, subnet=subnet)
    else:
        subnet = node.subnet_of(target)
        reader = ReadState(node, request, ecid=target, legacy=version == 2, subnet=subnet)
    mapping = reader.mapping()
    node.metrics.read_state()
    # v2 answers carry the delegation with flat canister ranges, v3 with sharded ones.
    return cbor_response({"certificate": node.certifier_of(subnet).certificate(
        mapping, paths=request.paths, fmt="flat" if version == 2 else "sharded")})
