"""Agent protocol logic against a scripted endpoint: endpoint fallbacks, polling, rejects,
certificate and query-signature checks, unknown outcomes, root-key policy."""
import pytest

from agent_fake_replica import FakeReplica
from _ic.agent import Agent
from _ic.errors import CertificateError, InputError, Reject
from _ic.identity import Ed25519Identity
from _ic.principal import Principal

CANISTER = Principal.from_canister_index(7)


@pytest.fixture
def replica():
    with FakeReplica() as rep:
        yield rep


def agent_for(rep, **kw):
    kw.setdefault("identity", Ed25519Identity.generate())
    return Agent(rep.url, root_key_der=rep.root_key, timeout=5, **kw)


def test_v4_sync_call_returns_the_certified_reply(replica):
    assert agent_for(replica).update(CANISTER, "m", b"hi") == b"echo:hi"
    assert replica.paths("call") == [f"/api/v4/canister/{CANISTER}/call"]
    assert list(replica.executions.values()) == [1]


def test_v4_missing_falls_back_to_v3_and_remembers(replica):
    replica.call_versions = {2, 3}
    agent = agent_for(replica)
    assert agent.update(CANISTER, "m", b"a") == b"echo:a"
    assert agent.update(CANISTER, "m", b"b") == b"echo:b"
    assert [p.split("/")[2] for p in replica.paths("call")] == ["v4", "v3", "v3"]


def test_404_everywhere_does_not_downgrade_later_calls(replica):
    from _ic.errors import TransportError
    replica.call_versions = set()
    agent = agent_for(replica)
    with pytest.raises(TransportError) as info:
        agent.update(CANISTER, "m", b"x")
    assert info.value.status == 404
    replica.call_versions = {2, 3, 4}
    assert agent.update(CANISTER, "m", b"y") == b"echo:y"
    assert replica.paths("call")[-1].startswith("/api/v4/")


def test_query_falls_back_to_v2_and_remembers(replica):
    replica.query_versions = {2}
    agent = agent_for(replica)
    assert agent.query(CANISTER, "q", b"1") == b"q:1"
    assert agent.query(CANISTER, "q", b"2") == b"q:2"
    assert [p.split("/")[2] for p in replica.paths("query")] == ["v3", "v2", "v2"]


def test_only_v2_means_202_then_polling(replica):
    replica.call_versions = {2}
    assert agent_for(replica).update(CANISTER, "m", b"x") == b"echo:x"
    assert [p.split("/")[2] for p in replica.paths("call")] == ["v4", "v3", "v2"]
    assert replica.paths("read_state"), "the reply must come from a request_status poll"


def test_v4_202_leads_to_polling(replica):
    replica.sync = False
    assert agent_for(replica).update(CANISTER, "m", b"x") == b"echo:x"
    assert len(replica.paths("call")) == 1 and replica.paths("read_state")


def test_polling_a_processing_call_gives_up_after_processing_timeout(replica):
    """``poll_timeout`` bounds only the wait for a request the IC has no record of; one in
    ``processing`` is waited for up to ``processing_timeout``, then its outcome is unknown."""
    from _ic.polling import PollTimeout
    replica.hold = True
    with pytest.raises(PollTimeout) as info:
        agent_for(replica, poll_timeout=0.2, processing_timeout=1.0).update(CANISTER, "m", b"x")
    assert info.value.last_status == "processing"


def test_waiting_at_most_bounds_a_call_the_endpoint_keeps(replica):
    """The v3/v4 call endpoints keep a call up to the replica's own limit (~10 s) before they
    answer: an agent ``waiting_at_most(1)`` stops reading after ~1 s and looks the call up, so
    ``stop_and_wait``'s ``wait_timeout`` holds for a canister that does not stop."""
    import time

    from _ic.polling import PollTimeout
    original = replica.handle

    def slow_calls(path, body):
        answer = original(path, body)
        return ("sleep", 4) + answer[1:] if path.endswith("/call") else answer
    replica.server.handler = slow_calls
    replica.hold = True  # the call stays processing: nothing answers it in time
    agent = agent_for(replica)
    started = time.monotonic()
    with pytest.raises(PollTimeout):
        agent.waiting_at_most(1).update(CANISTER, "m", b"x")
    assert time.monotonic() - started < 3.5
    assert agent.transport.timeout == 5, "the agent itself keeps its own timeout"


def test_certified_reject_is_raised_typed(replica):
    replica.reject = "certified"
    with pytest.raises(Reject) as info:
        agent_for(replica).update(CANISTER, "m", b"x")
    assert (info.value.reject_code, info.value.error_code) == (5, "IC0503")
    assert info.value.as_dict()["message"] == "trapped"


@pytest.mark.parametrize("versions", [{2, 3, 4}, {2}])
def test_early_rejection_is_raised_typed(replica, versions):
    replica.reject, replica.call_versions = "early", versions
    with pytest.raises(Reject) as info:
        agent_for(replica).update(CANISTER, "m", b"x")
    assert (info.value.reject_code, info.value.error_code) == (3, "IC0301")


def test_tampered_certificate_is_refused(replica):
    replica.tamper_cert = True
    with pytest.raises(CertificateError):
        agent_for(replica).update(CANISTER, "m", b"x")


def test_certificate_under_another_root_key_is_refused(replica):
    with FakeReplica(seed=b"other") as other:
        agent = Agent(replica.url, root_key_der=other.root_key, timeout=5)
        with pytest.raises(CertificateError):
            agent.update(CANISTER, "m", b"x")


def test_stale_certificate_is_refused(replica):
    replica.cert_age_s = 600
    with pytest.raises(CertificateError, match="stale"):
        agent_for(replica).update(CANISTER, "m", b"x")


def test_dropped_answer_is_polled_not_executed_twice(replica):
    replica.drop_calls = 1
    assert agent_for(replica).update(CANISTER, "m", b"once") == b"echo:once"
    assert list(replica.executions.values()) == [1]
    assert len(replica.paths("call")) == 1, "the call must not be sent again"


def test_lost_request_is_resent_with_the_same_bytes(replica):
    replica.drop_calls, replica.execute_dropped = 1, False
    assert agent_for(replica).update(CANISTER, "m", b"lost") == b"echo:lost"
    bodies = [b for b, p in zip(replica.server.bodies, replica.server.paths)
              if p.endswith("/call")]
    assert len(bodies) == 2 and bodies[0] == bodies[1]
    assert list(replica.executions.values()) == [1]


def test_query_signature_is_checked(replica):
    agent = agent_for(replica)
    assert agent.query(CANISTER, "q", b"x") == b"q:x"
    assert agent.query(CANISTER, "q", b"y") == b"q:y"
    subnet_reads = [p for p in replica.paths("read_state")]
    assert len(subnet_reads) == 1, "node keys are cached"


def test_forged_query_reply_is_refused(replica):
    replica.tamper_query = True
    with pytest.raises(CertificateError, match="does not verify"):
        agent_for(replica).query(CANISTER, "q", b"x")


def test_query_for_a_canister_outside_the_subnet_is_refused(replica):
    with pytest.raises(CertificateError, match="outside the ranges"):
        agent_for(replica).query(Principal.from_canister_index(5000), "q", b"x")


def test_root_key_fetch_only_for_loopback(replica):
    agent = Agent(replica.url, root_key_der="fetch", timeout=5)
    assert agent.root_key == replica.root_key
    with pytest.raises(InputError, match="allowed only for loopback"):
        Agent("https://icp-api.io", root_key_der="fetch")
    assert Agent("http://10.1.2.3:4943", root_key_der="fetch", local=True).local


def test_default_root_key_is_mainnet():
    from _ic.certificate import MAINNET_ROOT_KEY_DER
    assert Agent("ic").root_key == MAINNET_ROOT_KEY_DER
    assert Agent("local", root_key_der=MAINNET_ROOT_KEY_DER.hex()).url == \
        "http://127.0.0.1:4943"


def test_read_state_helpers(replica):
    agent = agent_for(replica)
    assert agent.module_hash(CANISTER) is None
    with pytest.raises(Reject):
        agent.controllers(CANISTER)
    state, value = agent.request_status(CANISTER, b"\x00" * 32)
    assert (state, value) == ("unknown", None)
