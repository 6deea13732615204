"""Replies of older and newer replicas decode (localnet ``serve --reply-shape``): a field an
older replica lacks is reported as unknown (None), never as 0; unknown fields are ignored."""
import pytest

from _ic.agent import Agent
from _ic.identity import Ed25519Identity
from _ic.management import Management
from localnet.testing import LocalnetProcess


@pytest.fixture(scope="module", params=["older", "newer"])
def shaped(request):
    with LocalnetProcess(reply_shape=request.param) as net:
        identity = Ed25519Identity.generate()
        agent = Agent(net.url, identity, root_key_der=net.root_key_der)
        yield request.param, Management(agent), agent
        agent.close()


def test_canister_status_decodes_in_every_shape(shaped):
    shape, mgmt, agent = shaped
    canister = mgmt.provisional_create_canister_with_cycles(amount=10 ** 12)
    mgmt.update_settings(canister, {"freezing_threshold": 1234})
    status = mgmt.canister_status(canister)
    assert status["status"] == {"running": None}
    assert status["settings"]["freezing_threshold"] == 1234
    assert status["settings"]["controllers"] == [agent.sender]
    assert status["cycles"] > 0
    if shape == "older":
        # Not sent by this replica: unknown, not zero or a default.
        assert status["settings"]["status_visibility"] is None
        assert status["settings"]["minimum_incoming_canister_call_cycles"] is None
        assert status["version"] is None and status["memory_metrics"] is None
    else:
        assert "future_flag" not in status and "future_setting_limit" not in status["settings"]
        assert status["settings"]["status_visibility"] == {"controllers": None}
        assert isinstance(status["version"], int)


def test_localnet_refuses_an_unknown_reply_shape(tmp_path):
    from localnet.testing import LocalnetError
    with pytest.raises(LocalnetError, match="reply-shape"):
        LocalnetProcess(state_dir=str(tmp_path), reply_shape="ancient", timeout=10)
