"""Unknown outcomes stay unknown: polling outlives the ingress expiry while a call is
``processing`` (localnet's ``hold_processing`` fault), and an answered request survives a
kill -9 of localnet (its ingress history is persisted with the state change)."""
import time

import pytest

from _ic import candid, cbor
from _ic import agent as agent_module
from _ic.agent import Agent
from _ic.identity import Ed25519Identity
from _ic.management import Management
from _ic.principal import Principal
from _ic.request import call_content, sign_envelope
from localnet.management.interface import DID

CREATE = "provisional_create_canister_with_cycles"
MGMT = Principal.management()


def created(net):
    return net.metrics()["by_method"].get(f"aaaaa-aa.{CREATE}", 0)


def signed_create(identity, expiry_ns):
    """(body, request_id, expiry) of a signed provisional create expiring at ``expiry_ns``."""
    arg = candid.encode(DID.arg_types(CREATE), [{"amount": 10 ** 12, "settings": None,
                                                 "specified_id": None}])
    content = call_content(identity.sender, MGMT, CREATE, arg, ingress_expiry=expiry_ns)
    return sign_envelope(identity, content), cbor.request_id(content), expiry_ns


def test_polling_continues_while_processing_past_the_expiry(localnet, monkeypatch):
    """The spec bounds only the move into ``processing`` by the expiry; agent-rs keeps
    waiting on such a call. Giving up would make the caller create again."""
    monkeypatch.setattr(agent_module, "_EXPIRY_GRACE_S", 1.0)
    identity = Ed25519Identity.generate()
    agent = Agent(localnet.url, identity, root_key_der=localnet.root_key_der)
    localnet.faults({"match": {"method": CREATE, "sender": str(identity.sender)},
                     "action": "hold_processing", "seconds": 5})
    body, request_id, expiry = signed_create(identity, time.time_ns() + 2 * 10 ** 9)
    before = created(localnet)
    reply = agent._submit(str(MGMT), body, request_id, expiry)
    canister = candid.decode(reply, DID.ret_types(CREATE))[0]["canister_id"]
    assert time.time_ns() > expiry, "the call must have finished after its expiry"
    assert agent.controllers(canister) == [identity.sender]
    assert created(localnet) == before + 1
    agent.close()


def test_unknown_after_the_expiry_is_a_timeout(localnet, monkeypatch):
    """A request the IC never saw, once its expiry and the grace have passed, is final:
    PollTimeout with last status ``unknown`` (the caller may then decide it never ran)."""
    from _ic.polling import PollTimeout
    monkeypatch.setattr(agent_module, "_EXPIRY_GRACE_S", 0.5)
    identity = Ed25519Identity.generate()
    agent = Agent(localnet.url, identity, root_key_der=localnet.root_key_der)
    with pytest.raises(PollTimeout) as info:
        agent._poll(str(MGMT), bytes(32), time.time_ns() + 10 ** 9)
    assert info.value.last_status == "unknown"
    agent.close()


def test_hold_processing_needs_seconds(localnet):
    from localnet.testing import LocalnetError
    with pytest.raises(LocalnetError, match="seconds"):
        localnet.faults({"match": {"method": CREATE}, "action": "hold_processing"})


def test_answered_request_survives_kill_9_of_localnet(tmp_path):
    """The agent resends the same signed bytes after a lost reply. The IC keeps a request's
    status until its expiry, so even after localnet is killed (-9) and restarted on its
    state the resend must get the first answer, not make a second canister."""
    from localnet.testing import LocalnetProcess
    identity = Ed25519Identity.generate()
    net = LocalnetProcess(state_dir=str(tmp_path / "state"))
    try:
        body, request_id, expiry = signed_create(identity, time.time_ns() + 120 * 10 ** 9)
        agent = Agent(net.url, identity, root_key_der=net.root_key_der)
        first = candid.decode(agent._submit(str(MGMT), body, request_id, expiry),
                              DID.ret_types(CREATE))[0]["canister_id"]
        agent.close()
        before = len(net.canisters())
        net.kill()
        net.start()
        agent = Agent(net.url, identity, root_key_der=net.root_key_der)
        assert agent.request_status(MGMT, request_id)[0] == "replied"
        again = candid.decode(agent._submit(str(MGMT), body, request_id, expiry),
                              DID.ret_types(CREATE))[0]["canister_id"]
        agent.close()
        assert again == first
        assert len(net.canisters()) == before, "the resend created a second canister"
    finally:
        net.kill()
