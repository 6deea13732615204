"""The IC agent: update calls, queries and read_state against one network, all verified.

Layers, each replaceable: ``transport`` moves bytes (pooling, retries), ``request`` builds and
signs envelopes, ``certificate`` verifies certified state, ``query_signature`` checks node
signatures on query replies, ``polling`` waits for asynchronous calls. This module decides
which endpoint to use and what the answers mean.
"""
import copy
import threading
import time

from . import cbor, polling
from .errors import CertificateError, Reject, TransportError
from .principal import Principal
from .query_signature import SubnetInfo, UnknownNode, verify_query_response
from .request import (call_content, default_ingress_expiry, query_content,
                      read_state_content, sign_envelope)
from .network import Network, resolve_network, root_key_for
from .transport import OutcomeUnknown, Transport

MAX_CERT_AGE_NS = 5 * 60 * 1_000_000_000
SUBNET_CACHE_SECONDS = 300.0
CALL_VERSIONS = (4, 3, 2)
# A request the IC has no record of can no longer start once its ingress expiry (plus the
# replica's tolerance for clock drift) has passed; one already received or processing can
# still finish later, so it gets its own, longer wait.
_EXPIRY_GRACE_S = 60.0
PROCESSING_TIMEOUT = 1800.0


def _mainnet_root_key():
    from .certificate import MAINNET_ROOT_KEY_DER
    return MAINNET_ROOT_KEY_DER


def _text(principal):
    return Principal.coerce(principal, "canister_id").to_text()


def _reject_from(data):
    return Reject(data.get("reject_code", 0), data.get("reject_message", ""),
                  data.get("error_code"))


class Agent:
    """A client of one IC network (see docs/internals.md).

    ``root_key_der``: None (mainnet key), ``"fetch"`` (read from /api/v2/status; allowed only
    for a loopback URL or with ``local=True``), DER bytes or their hex. ``timeout`` bounds each
    HTTP exchange, ``poll_timeout`` the wait for an asynchronous update's answer while the
    IC has no record of it (never past the request's ingress expiry plus a grace),
    ``processing_timeout`` the wait once the IC reports it ``received``/``processing``
    (such a call may finish after its expiry); ``retries`` counts resends on 429/503 and
    connection failures.
    """

    def __init__(self, url, identity=None, root_key_der=None, timeout=30.0, retries=3,
                 local=False, verify_query_signatures=True, max_cert_age_ns=MAX_CERT_AGE_NS,
                 poll_timeout=300.0, transport=None, processing_timeout=PROCESSING_TIMEOUT):
        network = resolve_network(url)
        self.url = network.url
        if identity is None:
            from .identity import AnonymousIdentity
            identity = AnonymousIdentity()
        self.identity = identity
        self.timeout = float(timeout)
        self.poll_timeout = float(poll_timeout)
        self.processing_timeout = float(processing_timeout)
        self.local = bool(local) or network.loopback
        self.verify_query_signatures = verify_query_signatures
        self.max_cert_age_ns = max_cert_age_ns
        self.transport = transport or Transport(self.url, timeout=timeout, retries=retries)
        self._lock = threading.Lock()
        self._subnets = []
        self._call_version = 0
        self._query_v2 = False
        self._read_state_v2 = False
        self._root_key = self._initial_root_key(root_key_der)

    def _initial_root_key(self, root_key_der):
        if root_key_der is None:
            return None
        # ``local=True`` vouches for the network as loopback does (the caller runs it).
        return root_key_for(root_key_der, Network(self.url, self.local, False))

    @property
    def sender(self):
        """The principal this agent's requests come from."""
        return self.identity.sender

    @property
    def root_key(self):
        """The DER root key certificates are verified against (fetched once if asked to)."""
        key = self._root_key
        if key is None:
            return _mainnet_root_key()
        if key == "fetch":
            with self._lock:
                if self._root_key == "fetch":
                    fetched = self.status().get("root_key")
                    if not isinstance(fetched, bytes):
                        raise TransportError(f"{self.url}/api/v2/status has no root_key")
                    self._root_key = fetched
                key = self._root_key
        return key

    def close(self):
        """Close pooled connections."""
        self.transport.close()

    def waiting_at_most(self, seconds):
        """This agent (same identity, connections and caches) waiting at most ``seconds`` for
        an update's answer, for calls the IC may answer late (stop_canister is answered only
        once the canister has stopped); past that the call raises ``polling.PollTimeout``."""
        other = copy.copy(self)
        other.poll_timeout = float(seconds)
        # "At most" holds for a call the IC reports as processing too (stop_canister stays so).
        other.processing_timeout = min(self.processing_timeout, float(seconds))
        # And for the call itself: the v3/v4 call endpoints keep a call up to the replica's own
        # limit (~10 s) before they answer 202. An answer not read in time is a lost answer,
        # which the agent looks up (request_status) as it looks up any other.
        if float(seconds) < self.transport.timeout:
            other.transport = self.transport.with_timeout(seconds)
        return other

    # -- plain endpoints ------------------------------------------------------------------

    def status(self):
        """``GET /api/v2/status`` decoded (``root_key``, ``impl_version``, health, ...)."""
        resp = self.transport.get("/api/v2/status")
        if resp.status != 200:
            raise TransportError(f"status: {resp.text()}", resp.status, resp.text())
        data = self._decode(resp, "status")
        if not isinstance(data, dict):
            raise TransportError("status: the reply is not a CBOR map")
        return data

    def _decode(self, resp, what):
        try:
            return cbor.loads(resp.body)
        except ValueError as exc:
            raise TransportError(f"{what}: undecodable CBOR reply ({exc})", resp.status,
                                 resp.text(200)) from exc

    def _fail(self, resp, what):
        body = resp.text()
        hint = ""
        if "Invalid request expiry" in body:
            hint = " (is this machine's clock right?)"
        raise TransportError(f"{what}: {body or 'HTTP ' + str(resp.status)}{hint}",
                             resp.status, body)

    def verify(self, certificate, effective_canister_id=None, effective_subnet_id=None):
        """Verify certificate bytes against the root key; return the Certificate."""
        from .certificate import verify_certificate
        if not isinstance(certificate, bytes):
            raise CertificateError("the reply carries no certificate")
        return verify_certificate(certificate, self.root_key,
                                  effective_canister_id=effective_canister_id,
                                  max_age_ns=self.max_cert_age_ns,
                                  effective_subnet_id=effective_subnet_id)

    # -- read_state ------------------------------------------------------------------------

    def _read_state_raw(self, scope, target, paths):
        content = read_state_content(self.sender, paths)
        body = sign_envelope(self.identity, content)
        versions = (2,) if (scope == "canister" and self._read_state_v2) else (3, 2)
        for version in versions:
            path = f"/api/v{version}/{scope}/{target}/read_state"
            resp = self.transport.post(path, body)
            if resp.status == 404 and version == 3:
                continue
            if resp.status != 200:
                self._fail(resp, f"read_state {target}")
            if version == 2 and scope == "canister":
                self._read_state_v2 = True
            data = self._decode(resp, "read_state")
            if not isinstance(data, dict) or not isinstance(data.get("certificate"), bytes):
                raise TransportError(f"read_state {target}: the reply has no certificate")
            return data["certificate"]
        self._fail(resp, f"read_state {target}")

    def read_state(self, effective_canister_id, paths):
        """Certified read of ``paths`` (lists of labels) via the canister endpoint."""
        ecid = _text(effective_canister_id)
        return self.verify(self._read_state_raw("canister", ecid, paths),
                           effective_canister_id=ecid)

    def read_state_subnet(self, subnet_id, paths):
        """Certified read of ``paths`` via ``/api/v3/subnet/<subnet_id>/read_state``."""
        sid = Principal.coerce(subnet_id, "subnet_id")
        cert = self.verify(self._read_state_raw("subnet", sid.to_text(), paths),
                           effective_subnet_id=sid)
        signer = certificate_subnet_id(cert, self.root_key)
        if signer != sid:
            raise CertificateError(f"subnet read_state for {sid} was certified by {signer}")
        return cert

    def request_status(self, effective_canister_id, request_id):
        """``(status, value)`` of an update request from certified state: ``("replied",
        reply_bytes)``, ``("rejected", Reject)``, ``("done"|"received"|"processing", None)``
        or ``("unknown", None)`` when the IC has no record of it."""
        cert = self.read_state(effective_canister_id, [[b"request_status", request_id]])
        return status_from_certificate(cert, request_id)

    def module_hash(self, canister_id):
        """SHA-256 of the installed module (bytes), or None for an empty canister."""
        cid = Principal.coerce(canister_id, "canister_id")
        path = [b"canister", cid.raw, b"module_hash"]
        return self.read_state(cid, [path]).lookup(path)

    def controllers(self, canister_id):
        """The canister's controllers as a list of Principal, from certified state."""
        cid = Principal.coerce(canister_id, "canister_id")
        path = [b"canister", cid.raw, b"controllers"]
        value = self.read_state(cid, [path]).lookup(path)
        if value is None:
            raise Reject(3, f"Canister {cid} not found", "IC0301")
        return [Principal(bytes(raw)) for raw in cbor.loads(value)]

    def metadata(self, canister_id, name):
        """Raw bytes of the custom section ``icp:public|private <name>``, or None."""
        cid = Principal.coerce(canister_id, "canister_id")
        path = [b"canister", cid.raw, b"metadata", name.encode("utf-8")]
        return self.read_state(cid, [path]).lookup(path)

    # -- update calls ----------------------------------------------------------------------

    def update(self, canister_id, method, arg, effective_canister_id=None):
        """Call ``method`` as an update; return the certified reply bytes or raise Reject."""
        ecid = _text(effective_canister_id if effective_canister_id is not None
                     else canister_id)
        content = call_content(self.sender, canister_id, method, arg,
                               ingress_expiry=default_ingress_expiry())
        request_id = cbor.request_id(content)
        body = sign_envelope(self.identity, content, request_id)
        return self._submit(ecid, body, request_id, content["ingress_expiry"])

    def _submit(self, ecid, body, request_id, expiry):
        # A 404 means "endpoint not served" (agent-js's rule) only if an older endpoint then
        # answers; a network that says 404 everywhere (e.g. unknown canister) changes nothing.
        start = self._call_version
        first_404 = None
        for index in range(start, len(CALL_VERSIONS)):
            version = CALL_VERSIONS[index]
            try:
                resp = self.transport.post(f"/api/v{version}/canister/{ecid}/call", body,
                                           resend_after_send=False)
            except OutcomeUnknown:
                return self._poll(ecid, request_id, expiry, resubmit=(version, body))
            if resp.status == 404:
                first_404 = first_404 or resp
                continue
            if index != start:
                with self._lock:
                    self._call_version = max(self._call_version, index)
            return self._interpret_call(resp, version, ecid, request_id, expiry)
        self._fail(first_404, f"call to {ecid}")

    def _interpret_call(self, resp, version, ecid, request_id, expiry):
        if resp.status == 202:
            return self._poll(ecid, request_id, expiry)
        if resp.status != 200:
            self._fail(resp, f"call to {ecid}")
        data = self._decode(resp, "call")
        if not isinstance(data, dict):
            raise TransportError(f"call to {ecid}: the reply is not a CBOR map")
        status = data.get("status")
        if status == "replied" and version != 2:
            cert = self.verify(data.get("certificate"), effective_canister_id=ecid)
            state, value = status_from_certificate(cert, request_id)
            return self._outcome(state, value, ecid, request_id, expiry)
        if status == "non_replicated_rejection" or (version == 2 and "reject_code" in data):
            raise _reject_from(data)
        raise TransportError(f"call to {ecid}: unexpected reply {sorted(data)}")

    def _outcome(self, state, value, ecid, request_id, expiry):
        if state == "replied":
            return value
        if state == "rejected":
            raise value
        if state == "done":
            raise TransportError(f"request 0x{request_id.hex()} is done but its reply is no "
                                 "longer available")
        return self._poll(ecid, request_id, expiry)

    def _poll(self, ecid, request_id, expiry, resubmit=None):
        """Poll request_status until terminal. ``resubmit`` = (version, body) after an unknown
        outcome: if the IC has no record of the request, the same signed bytes go again (the
        same request id can never run twice)."""
        resends = [0]

        def check():
            state, value = self.request_status(ecid, request_id)
            if state in polling.TERMINAL:
                return True, (state, value)
            if state == "unknown" and resubmit is not None and resends[0] < 3:
                resends[0] += 1
                version, body = resubmit
                try:
                    resp = self.transport.post(f"/api/v{version}/canister/{ecid}/call", body,
                                               resend_after_send=False)
                except OutcomeUnknown:
                    return False, state
                if resp.status in (200, 202):
                    return True, ("resent", (resp, version))
            return False, state

        remaining = (expiry - time.time_ns()) / 1e9 + _EXPIRY_GRACE_S
        timeout = max(1.0, min(self.poll_timeout, remaining))
        state, value = polling.poll(check, timeout, busy_timeout=self.processing_timeout)
        if state == "resent":
            resp, version = value
            return self._interpret_call(resp, version, ecid, request_id, expiry)
        return self._outcome(state, value, ecid, request_id, expiry)

    # -- queries ---------------------------------------------------------------------------

    def query(self, canister_id, method, arg, effective_canister_id=None):
        """Call ``method`` as a query; return the reply bytes after checking the node
        signature (unless disabled), or raise Reject (also signature-checked)."""
        ecid = Principal.coerce(effective_canister_id if effective_canister_id is not None
                                else canister_id, "effective_canister_id")
        content = query_content(self.sender, canister_id, method, arg,
                                ingress_expiry=default_ingress_expiry())
        request_id = cbor.request_id(content)
        body = sign_envelope(self.identity, content, request_id)
        resp = first = None
        for version in ((2,) if self._query_v2 else (3, 2)):
            resp = self.transport.post(f"/api/v{version}/canister/{ecid}/query", body)
            if resp.status != 404:
                self._query_v2 = self._query_v2 or version == 2
                break
            first = first or resp
        if resp.status == 404:
            resp = first
        return self._query_answer(resp, method, ecid, request_id)

    def _query_answer(self, resp, method, ecid, request_id):
        """The reply bytes of a query's HTTP answer, signature-checked; raise Reject or TransportError."""
        if resp.status != 200:
            self._fail(resp, f"query {method} on {ecid}")
        data = self._decode(resp, "query")
        if not isinstance(data, dict):
            raise TransportError(f"query {method}: the reply is not a CBOR map")
        if self.verify_query_signatures:
            self._check_query_signature(data, request_id, ecid)
        if data.get("status") == "replied":
            return data["reply"]["arg"]
        if data.get("status") == "rejected":
            raise _reject_from(data)
        raise TransportError(f"query {method}: unexpected status {data.get('status')!r}")

    def query_many(self, calls, in_flight=4):
        """``query`` for each ``(canister_id, method, arg, effective_canister_id)`` of ``calls``,
        several on the wire at once (``Transport.post_many``); yield ``(index, answer)`` for
        each call as its answer comes: the reply bytes or the Reject ``query`` would raise.

        An answer that is not a plain 200 (an exchange that failed, a busy or refusing
        server, an endpoint this network lacks) is asked again through ``query`` at the end,
        with its retries and endpoint fallback; whatever that raises, besides a Reject, is
        raised. Every answer's node signatures are checked as ``query`` checks them.
        """
        calls = list(calls)
        sent = [None] * len(calls)  # (effective canister id, request id) of each call
        again = []
        version = 2 if self._query_v2 else 3

        def requests():
            for index, (canister_id, method, arg, effective) in enumerate(calls):
                ecid = Principal.coerce(effective if effective is not None else canister_id,
                                        "effective_canister_id")
                content = query_content(self.sender, canister_id, method, arg,
                                        ingress_expiry=default_ingress_expiry())
                request_id = cbor.request_id(content)
                sent[index] = ecid, request_id
                yield f"/api/v{version}/canister/{ecid}/query", sign_envelope(self.identity, content, request_id)

        for index, resp in self.transport.post_many(requests(), in_flight):
            if resp is None or resp.status != 200:
                again.append(index)
                continue
            ecid, request_id = sent[index]
            try:
                answer = self._query_answer(resp, calls[index][1], ecid, request_id)
            except Reject as exc:
                answer = exc
            yield index, answer
        for index in again:
            canister_id, method, arg, effective = calls[index]
            try:
                answer = self.query(canister_id, method, arg, effective_canister_id=effective)
            except Reject as exc:
                answer = exc
            yield index, answer

    def _check_query_signature(self, data, request_id, ecid):
        subnet = self.subnet_for(ecid)
        try:
            verify_query_response(data, request_id, subnet)
        except UnknownNode:
            # Node membership changes; a signer we do not know may be new, so refresh once.
            subnet = self.subnet_for(ecid, refresh=True)
            verify_query_response(data, request_id, subnet)

    def subnet_for(self, canister_id, refresh=False):
        """SubnetInfo (node keys, ranges) of the subnet hosting ``canister_id``, cached 5 min."""
        cid = Principal.coerce(canister_id, "canister_id")
        now = time.monotonic()
        with self._lock:
            self._subnets = [s for s in self._subnets
                             if now - s.fetched_at < SUBNET_CACHE_SECONDS]
            if not refresh:
                for subnet in self._subnets:
                    if subnet.hosts(cid):
                        return subnet
        cert = self.read_state(cid, [[b"subnet"]])
        subnet = subnet_info(cert, self.root_key)
        if not subnet.hosts(cid):
            raise CertificateError(f"canister {cid} is outside the ranges of subnet "
                                   f"{subnet.subnet_id}")
        self._remember(subnet)
        return subnet

    def subnet_by_id(self, subnet_id):
        """SubnetInfo (node keys, ranges) of subnet ``subnet_id``, read through its own
        ``/api/v3/subnet/<id>/read_state`` (as icp-cli does); a delegated subnet's ranges come
        from the root-signed delegation."""
        sid = Principal.coerce(subnet_id, "subnet")
        cert = self.read_state_subnet(sid, [[b"canister_ranges", sid.raw], [b"subnet", sid.raw]])
        subnet = subnet_info(cert, self.root_key)
        self._remember(subnet)
        return subnet

    def _remember(self, subnet):
        with self._lock:
            self._subnets = [s for s in self._subnets if s.subnet_id != subnet.subnet_id]
            self._subnets.append(subnet)


def certificate_subnet_id(cert, root_key_der):
    """The subnet that signed a verified certificate: the delegation's, else the root
    subnet (the self-authenticating id of the root key)."""
    if cert.subnet_id is not None:
        return cert.subnet_id
    return Principal.self_authenticating(root_key_der)


def subnet_info(cert, root_key_der):
    """SubnetInfo for the subnet that signed a verified ``subnet`` read_state certificate;
    with a delegation, ranges come from the delegation's certificate only (as agent-rs)."""
    from .certificate import Certificate

    sid = certificate_subnet_id(cert, root_key_der)
    info = SubnetInfo.from_tree(cert.tree, sid)
    if cert.delegation is not None:
        # Only the root-signed delegation says which canisters a subnet may speak for; the
        # subnet's own tree could claim any range.
        parent = Certificate.decode(cert.delegation["certificate"])
        info.ranges = SubnetInfo.ranges_from_tree(parent.tree, sid)
    return info


def status_from_certificate(cert, request_id):
    """Interpret ``request_status/<id>`` in a verified certificate (see Agent.request_status)."""
    base = [b"request_status", request_id]
    raw = cert.lookup(base + [b"status"])
    if raw is None:
        return "unknown", None
    state = bytes(raw).decode("utf-8", "replace")
    if state == "replied":
        reply = cert.lookup(base + [b"reply"])
        if reply is None:
            raise CertificateError("request replied but the certificate lacks the reply")
        return state, bytes(reply)
    if state == "rejected":
        code = cert.lookup(base + [b"reject_code"])
        message = cert.lookup(base + [b"reject_message"]) or b""
        error_code = cert.lookup(base + [b"error_code"])
        return state, Reject(_leb128(code) if code is not None else 0,
                             bytes(message).decode("utf-8", "replace"),
                             bytes(error_code).decode() if error_code is not None else None)
    return state, None


def _leb128(data):
    from .certificate import decode_leb128
    return decode_leb128(bytes(data))
