"""A minimal IC client built from the ``ic`` codecs, for localnet's own tests and benchmark.

Deliberately small and strict: it builds and signs envelopes itself, verifies every
certificate and query signature, and exposes the raw HTTP answers so tests can check status
codes and bodies. Persistent HTTP/1.1 connection per client (not thread-safe).
"""
import http.client
import os
import time

from cryptography.hazmat.primitives.serialization import load_der_public_key

from _ic import candid, cbor
from _ic.certificate import Certificate, verify_certificate
from _ic.errors import Reject
from _ic.principal import Principal

from .keys import RESPONSE_DOMAIN
from .management.interface import DID

_DOMAIN = b"\x0aic-request"
MANAGEMENT = Principal.management()


class HttpAnswer:
    """Status, content type and body of one HTTP exchange."""

    def __init__(self, status, content_type, body):
        self.status = status
        self.content_type = content_type
        self.body = body

    def cbor(self):
        """The body decoded as CBOR."""
        return cbor.loads(self.body)

    def __repr__(self):
        return f"HttpAnswer({self.status}, {self.content_type!r}, {self.body[:200]!r})"


class MiniClient:
    """Signs requests with ``identity`` (an ``ic.identity`` object) and talks to ``url``."""

    def __init__(self, url, identity, root_key_der):
        host_port = url.split("://", 1)[1].rstrip("/")
        host, port = host_port.rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port), timeout=30)
        self.identity = identity
        self.root_key_der = root_key_der

    def close(self):
        """Close the connection."""
        self.conn.close()

    # --- transport ------------------------------------------------------------------------
    def post(self, path, body, content_type="application/cbor"):
        """POST raw bytes; returns an HttpAnswer."""
        for attempt in (0, 1):
            try:
                self.conn.request("POST", path, body=body,
                                  headers={"Content-Type": content_type})
                reply = self.conn.getresponse()
                return HttpAnswer(reply.status, reply.getheader("Content-Type"), reply.read())
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def get(self, path):
        """GET; returns an HttpAnswer."""
        self.conn.request("GET", path)
        reply = self.conn.getresponse()
        return HttpAnswer(reply.status, reply.getheader("Content-Type"), reply.read())

    # --- envelopes ------------------------------------------------------------------------
    def content(self, kind, canister_id=None, method=None, arg=b"", paths=None,
                expiry=None, nonce=True):
        """A content map of ``kind`` from this client's identity."""
        content = {"request_type": kind, "sender": self.identity.sender.raw,
                   "ingress_expiry": expiry or time.time_ns() + 120 * 10 ** 9}
        if kind == "read_state":
            content["paths"] = paths
        else:
            content.update(canister_id=Principal.coerce(canister_id).raw,
                           method_name=method, arg=arg)
            if nonce and kind == "call":
                content["nonce"] = os.urandom(8)
        return content

    def envelope(self, content):
        """The signed CBOR envelope of ``content``."""
        envelope = {"content": content}
        key = self.identity.public_key_der
        if key is not None:
            envelope["sender_pubkey"] = key
            envelope["sender_sig"] = self.identity.sign(_DOMAIN + cbor.request_id(content))
        return cbor.dumps(envelope)

    # --- calls ----------------------------------------------------------------------------
    def call_raw(self, canister_id, method, arg, ecid=None, version=4):
        """Send a call; returns (request_id, HttpAnswer)."""
        ecid = Principal.coerce(ecid or canister_id)
        content = self.content("call", canister_id, method, arg)
        answer = self.post(f"/api/v{version}/canister/{ecid}/call", self.envelope(content))
        return cbor.request_id(content), answer

    def call(self, canister_id, method, arg, ecid=None):
        """A certified v4 call: the reply bytes, or raises Reject."""
        request_id, answer = self.call_raw(canister_id, method, arg, ecid)
        if answer.status != 200:
            raise AssertionError(f"HTTP {answer.status}: {answer.body[:300]!r}")
        body = answer.cbor()
        if body["status"] == "non_replicated_rejection":
            raise Reject(body["reject_code"], body["reject_message"], body.get("error_code"))
        cert = self.verify(body["certificate"])
        return outcome_of(cert, request_id)

    def verify(self, cert_bytes):
        """Verify a certificate against the root key; returns it."""
        return verify_certificate(cert_bytes, self.root_key_der, max_age_ns=60 * 10 ** 9)

    def query_raw(self, canister_id, method, arg, ecid=None, version=3):
        """Send a query; returns (request_id, HttpAnswer)."""
        ecid = Principal.coerce(ecid or canister_id)
        content = self.content("query", canister_id, method, arg)
        answer = self.post(f"/api/v{version}/canister/{ecid}/query", self.envelope(content))
        return cbor.request_id(content), answer

    def query(self, canister_id, method, arg, ecid=None, node_key=None):
        """A query's reply bytes (node signature checked when ``node_key`` is given)."""
        request_id, answer = self.query_raw(canister_id, method, arg, ecid)
        if answer.status != 200:
            raise AssertionError(f"HTTP {answer.status}: {answer.body[:300]!r}")
        body = answer.cbor()
        if node_key is not None:
            check_query_signature(body, request_id, node_key)
        if body["status"] == "rejected":
            raise Reject(body["reject_code"], body["reject_message"], body.get("error_code"))
        return body["reply"]["arg"]

    def read_state(self, ecid, paths, scope="canister", version=3):
        """A verified Certificate for ``paths``, or AssertionError on an HTTP error."""
        content = self.content("read_state", paths=paths)
        answer = self.post(f"/api/v{version}/{scope}/{Principal.coerce(ecid)}/read_state",
                           self.envelope(content))
        if answer.status != 200:
            raise AssertionError(f"HTTP {answer.status}: {answer.body[:300]!r}")
        return self.verify(answer.cbor()["certificate"])

    # --- management -----------------------------------------------------------------------
    def mgmt(self, method, args=None, ecid=None, as_query=False):
        """Call a management method with Python values; returns the decoded result."""
        arg_types = DID.arg_types(method)
        arg = candid.encode(arg_types, [args] if arg_types else [])
        if ecid is None and isinstance(args, dict):
            ecid = args.get("canister_id") or args.get("target_canister")
        ecid = ecid or MANAGEMENT
        if as_query:
            reply = self.query(MANAGEMENT, method, arg, ecid=ecid)
        else:
            reply = self.call(MANAGEMENT, method, arg, ecid=ecid)
        values = candid.decode(reply, DID.ret_types(method))
        return values[0] if values else None

    def create_canister(self, cycles=None, settings=None, specified_id=None):
        """provisional_create_canister_with_cycles; returns the new id."""
        result = self.mgmt("provisional_create_canister_with_cycles",
                           {"amount": cycles, "settings": settings,
                            "specified_id": specified_id, "sender_canister_version": None})
        return result["canister_id"]


def outcome_of(cert, request_id):
    """The reply bytes in a certificate's request_status, or raises Reject."""
    base = [b"request_status", request_id]
    status = cert.lookup(base + [b"status"])
    if status == b"replied":
        return cert.lookup(base + [b"reply"])
    if status == b"rejected":
        code = cert.lookup(base + [b"reject_code"])
        error_code = cert.lookup(base + [b"error_code"])
        return _raise(code, cert.lookup(base + [b"reject_message"]), error_code)
    raise AssertionError(f"unexpected request status {status!r}")


def _raise(code, message, error_code):
    value, shift = 0, 0
    for byte in code:
        value |= (byte & 0x7F) << shift
        shift += 7
    raise Reject(value, message.decode(), error_code.decode() if error_code else None)


def check_query_signature(body, request_id, node_key_der):
    """Verify a query response's node signature with the node's DER key."""
    sig = body["signatures"][0]
    if body["status"] == "replied":
        signed = {"status": "replied", "reply": body["reply"], "timestamp": sig["timestamp"],
                  "request_id": request_id}
    else:
        signed = {k: body.get(k) for k in ("status", "reject_code", "reject_message",
                                           "error_code")}
        signed.update(timestamp=sig["timestamp"], request_id=request_id)
    load_der_public_key(node_key_der).verify(
        sig["signature"], RESPONSE_DOMAIN + cbor.hash_of_map(signed))


__all__ = ["MiniClient", "HttpAnswer", "Certificate", "outcome_of", "check_query_signature"]
