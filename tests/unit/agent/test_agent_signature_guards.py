"""Query signatures dated too far in the future are refused, and a long-lived agent reloads the
subnet's node keys once they are older than the cache time, so a node removed from the subnet
stops being trusted."""
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from agent_fake_replica import FakeReplica
from _ic import agent as agent_module
from _ic import cbor
from _ic.agent import Agent
from _ic.errors import CertificateError
from _ic.principal import Principal
from localnet.treebuild import build_tree
from _ic.query_signature import (MAX_SIGNATURE_SKEW_NS, RESPONSE_DOMAIN, SubnetInfo,
                                response_map, verify_query_response)

CANISTER = Principal.from_canister_index(7)
REQUEST_ID = bytes(range(32))
MINUTE_NS = 60 * 10**9


def _node():
    key = Ed25519PrivateKey.generate()
    der = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return key, der, Principal.self_authenticating(der).raw


def _signed_reply(key, nid, timestamp):
    response = {"status": "replied", "reply": {"arg": b"DIDL\x00\x00"}}
    message = RESPONSE_DOMAIN + cbor.hash_of_map(response_map(response, REQUEST_ID, timestamp))
    return dict(response, signatures=[{"timestamp": timestamp, "identity": nid,
                                       "signature": key.sign(message)}])


@pytest.fixture
def one_node_subnet():
    key, der, nid = _node()
    sid = Principal.self_authenticating(b"subnet-key")
    tree = build_tree({b"subnet": {sid.raw: {b"node": {nid: {b"public_key": der}}}}})
    return key, nid, SubnetInfo.from_tree(tree, sid)


def test_signature_dated_beyond_the_allowed_skew_is_refused(one_node_subnet):
    key, nid, subnet = one_node_subnet
    now = time.time_ns()
    within = now + MAX_SIGNATURE_SKEW_NS - MINUTE_NS
    verify_query_response(_signed_reply(key, nid, within), REQUEST_ID, subnet, now_ns=now)
    beyond = now + MAX_SIGNATURE_SKEW_NS + MINUTE_NS
    with pytest.raises(CertificateError, match="too far"):
        verify_query_response(_signed_reply(key, nid, beyond), REQUEST_ID, subnet, now_ns=now)


def test_a_node_removed_from_the_subnet_is_distrusted_after_the_cache_time(monkeypatch):
    """The replica's node leaves the subnet (the certified node list now holds another node)
    but keeps answering queries. Within the cache time the agent still uses the keys it has;
    after it, the agent reloads them and refuses that node's signature."""
    clock = [0.0]
    real_monotonic = time.monotonic
    monkeypatch.setattr(time, "monotonic", lambda: real_monotonic() + clock[0])
    with FakeReplica() as replica:
        agent = Agent(replica.url, root_key_der=replica.root_key, timeout=5)
        assert agent.query(CANISTER, "q", b"a") == b"q:a"
        _, der, nid = _node()
        replica.certified_nodes = {nid: der}
        reads = len(replica.paths("read_state"))

        clock[0] = agent_module.SUBNET_CACHE_SECONDS - 5
        assert agent.query(CANISTER, "q", b"b") == b"q:b"
        assert len(replica.paths("read_state")) == reads, "node keys are cached"

        clock[0] = agent_module.SUBNET_CACHE_SECONDS + 5
        with pytest.raises(CertificateError, match="not in subnet"):
            agent.query(CANISTER, "q", b"c")
        assert len(replica.paths("read_state")) > reads
