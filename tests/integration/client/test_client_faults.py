"""Transport faults injected by localnet (``/_/faults``): retries never do the work twice."""
import pytest

from _ic.agent import Agent
from localnet.signing import bls_keypair, bls_public_key_der
from _ic.errors import CertificateError
from _ic.identity import Ed25519Identity
from _ic.management import Management
from tests.threads import in_threads

CREATE = "provisional_create_canister_with_cycles"


def calls(localnet, endpoint_kind):
    return sum(n for endpoint, n in localnet.metrics()["by_endpoint"].items()
               if endpoint.endswith("/" + endpoint_kind))


def created(localnet):
    return localnet.metrics()["by_method"].get(f"aaaaa-aa.{CREATE}", 0)


def test_dropped_response_executes_once(localnet, mgmt, agent):
    localnet.faults({"match": {"method": CREATE, "sender": str(agent.sender)},
                     "action": "drop_response"})
    before_calls, before_created = calls(localnet, "call"), created(localnet)
    canister = mgmt.provisional_create_canister_with_cycles(amount=10**12)
    assert agent.controllers(canister) == [agent.sender]
    assert calls(localnet, "call") == before_calls + 1, "the call must not be sent again"
    assert created(localnet) == before_created + 1


@pytest.mark.parametrize("action", ["http_503", "http_429"])
def test_overload_is_retried_with_the_same_request(localnet, mgmt, agent, action):
    canister = mgmt.provisional_create_canister_with_cycles(amount=10**12)
    localnet.faults({"match": {"method": "update_settings", "sender": str(agent.sender)},
                     "action": action, "count": 2})
    before = calls(localnet, "call")
    mgmt.update_settings(canister, {"freezing_threshold": 4321})
    assert calls(localnet, "call") == before + 3
    assert mgmt.canister_status(canister)["settings"]["freezing_threshold"] == 4321


def test_overloaded_query_is_retried(localnet, mgmt, agent):
    canister = mgmt.provisional_create_canister_with_cycles(amount=10**12)
    localnet.faults({"match": {"endpoint": "query", "sender": str(agent.sender)},
                     "action": "http_503"})
    assert mgmt.canister_status(canister)["status"] == {"running": None}


def test_dropped_query_answer_is_retried(localnet, mgmt, agent):
    canister = mgmt.provisional_create_canister_with_cycles(amount=10**12)
    localnet.faults({"match": {"endpoint": "query", "sender": str(agent.sender)},
                     "action": "drop_response"})
    assert mgmt.canister_status(canister)["status"] == {"running": None}


def test_wrong_root_key_refuses_certified_and_signed_answers(localnet, mgmt):
    canister = mgmt.provisional_create_canister_with_cycles(amount=10**12)
    impostor_key = bls_public_key_der(bls_keypair(b"not the root")[0])
    fooled = Management(Agent(localnet.url, Ed25519Identity.generate(),
                              root_key_der=impostor_key))
    with pytest.raises(CertificateError):
        fooled.provisional_create_canister_with_cycles(amount=10**12)
    with pytest.raises(CertificateError):
        fooled.canister_status(canister)


def test_one_agent_serves_many_threads(localnet, agent, mgmt):
    def work():
        cid = mgmt.provisional_create_canister_with_cycles(amount=10**12)
        return cid, mgmt.canister_status(cid)["status"]

    results = in_threads(work, 12)
    assert len({cid for cid, _ in results}) == 12
    assert all(status == {"running": None} for _, status in results)


@pytest.mark.parametrize("version_index", [1, 2])
def test_older_call_endpoints_work_against_localnet(localnet, agent, mgmt, version_index):
    """v3 (sync) and v2 (202 + request_status polling), as the fallbacks would use them."""
    agent._call_version = version_index
    canister = mgmt.provisional_create_canister_with_cycles(amount=10**12)
    mgmt.update_settings(canister, {"freezing_threshold": 55})
    assert mgmt.canister_status(canister)["settings"]["freezing_threshold"] == 55
    endpoints = localnet.metrics()["by_endpoint"]
    assert endpoints.get(f"v{(4, 3, 2)[version_index]}/canister/call", 0) >= 2


def test_anonymous_agent(localnet):
    anonymous = Management(Agent(localnet.url, root_key_der="fetch"))
    canister = anonymous.provisional_create_canister_with_cycles(amount=10**12)
    assert anonymous.canister_status(canister)["status"] == {"running": None}
