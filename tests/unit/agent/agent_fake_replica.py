"""A scripted IC endpoint for agent unit tests: real BLS certificates and node signatures,
switchable endpoint versions, tampering and dropped answers. End-to-end behaviour is tested
against localnet; this peer exists to reach the branches localnet never takes (v4 missing,
forged replies)."""
import time

from agent_fault_server import FaultServer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from _ic import cbor
from localnet.signing import bls_keypair, bls_public_key_der, sign_certificate
from localnet.treebuild import build_tree
from _ic.principal import Principal
from _ic.query_signature import RESPONSE_DOMAIN, response_map


class FakeReplica:
    """Knobs: ``call_versions``/``query_versions`` (served endpoints), ``sync`` (v3/v4 answer 200 with a
    certificate, else 202), ``tamper_cert``, ``tamper_query``, ``reject_queries`` (queries answer "no such canister"), ``cert_age_s``,
    ``drop_calls`` (answers to drop; ``execute_dropped`` says whether they ran first),
    ``reject`` (``None``, ``"certified"`` or ``"early"``), ``hold`` (calls stay
    ``processing``), ``certified_nodes`` (node id → DER key the subnet certificate lists;
    None: the node that signs queries)."""

    def __init__(self, seed=b"fake"):
        self.secret, _ = bls_keypair(seed)
        self.root_key = bls_public_key_der(self.secret)
        self.subnet = Principal.self_authenticating(self.root_key)
        self.node_key = Ed25519PrivateKey.generate()
        self.node_der = self.node_key.public_key().public_bytes(
            Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        self.node_id = Principal.self_authenticating(self.node_der).raw
        self.call_versions = {2, 3, 4}
        self.query_versions = {2, 3}
        self.sync = True
        self.tamper_cert = self.tamper_query = self.reject_queries = False
        self.cert_age_s = 0
        self.drop_calls = 0
        self.execute_dropped = True
        self.reject = None
        self.hold = False
        self.certified_nodes = None
        self.status = {}
        self.executions = {}
        self.server = FaultServer([("handler",)], handler=self.handle)

    def __enter__(self):
        self.server.__enter__()
        self.url = self.server.url
        return self

    def __exit__(self, *exc):
        self.server.__exit__(*exc)

    def paths(self, kind):
        """Request paths seen whose last segment is ``kind`` (call, query, read_state)."""
        return [p for p in self.server.paths if p.endswith("/" + kind)]

    def _certificate(self, extra):
        now = time.time_ns() - self.cert_age_s * 10**9
        ranges = cbor.dumps([[Principal.from_canister_index(0).raw,
                              Principal.from_canister_index(1000).raw]])
        nodes = self.certified_nodes or {self.node_id: self.node_der}
        mapping = {b"time": cbor.uleb128(now), b"request_status": self.status,
                   b"subnet": {self.subnet.raw: {
                       b"public_key": self.root_key, b"canister_ranges": ranges,
                       b"node": {nid: {b"public_key": der} for nid, der in nodes.items()}}}}
        mapping.update(extra)
        cert = sign_certificate(build_tree(mapping), self.secret)
        if self.tamper_cert:
            decoded = cbor.loads(cert)
            decoded["signature"] = bytes(48)
            cert = cbor.dumps(decoded)
        return cert

    def _execute(self, rid, content):
        self.executions[rid] = self.executions.get(rid, 0) + 1
        if self.reject == "certified":
            self.status[rid] = {b"status": b"rejected", b"reject_code": cbor.uleb128(5),
                                b"reject_message": b"trapped", b"error_code": b"IC0503"}
        else:
            self.status[rid] = {b"status": b"replied", b"reply": b"echo:" + content["arg"]}

    def handle(self, path, body):
        if path == "/api/v2/status":
            return ("reply", 200, cbor.dumps({"root_key": self.root_key}))
        content = cbor.loads(body)["content"]
        rid = cbor.request_id(content)
        version = int(path.split("/")[2][1:])
        kind = path.rsplit("/", 1)[1]
        if kind == "call":
            return self._call(version, rid, content)
        if kind == "read_state":
            return ("reply", 200, cbor.dumps({"certificate": self._certificate({})}))
        if kind == "query" and version in self.query_versions:
            return ("reply", 200, cbor.dumps(self._query(rid, content)))
        return ("reply", 404, b"no such route", {"Content-Type": "text/plain"})

    def _call(self, version, rid, content):
        if version not in self.call_versions:
            return ("reply", 404, b"not found", {"Content-Type": "text/plain"})
        if self.reject == "early":
            answer = {"reject_code": 3, "reject_message": "Canister not found",
                      "error_code": "IC0301"}
            if version != 2:
                answer["status"] = "non_replicated_rejection"
            return ("reply", 200, cbor.dumps(answer))
        if self.hold:
            self.status[rid] = {b"status": b"processing"}
            return ("reply", 202, b"", {"Content-Type": "text/plain"})
        if self.drop_calls:
            self.drop_calls -= 1
            if self.execute_dropped and rid not in self.status:
                self._execute(rid, content)
            return ("drop",)
        if rid not in self.status:
            self._execute(rid, content)
        if version == 2 or not self.sync:
            return ("reply", 202, b"", {"Content-Type": "text/plain"})
        return ("reply", 200, cbor.dumps({"status": "replied",
                                          "certificate": self._certificate({})}))

    def _query(self, rid, content):
        response = {"status": "replied", "reply": {"arg": b"q:" + content["arg"]}}
        if self.reject_queries:
            response = {"status": "rejected", "reject_code": 3, "reject_message": "Canister not found",
                        "error_code": "IC0301"}
        timestamp = time.time_ns()
        message = RESPONSE_DOMAIN + cbor.hash_of_map(response_map(response, rid, timestamp))
        response["signatures"] = [{"timestamp": timestamp, "identity": self.node_id,
                                   "signature": self.node_key.sign(message)}]
        if self.tamper_query:
            response["reply"] = {"arg": b"q:forged"}
        return response
