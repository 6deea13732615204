"""stop_canister as on the replica: a canister with an open call context (here one awaiting a
call to another canister) stays ``stopping``, refuses new calls and deletion, and the stop is
answered only once the context closes; start cancels a waiting stop; a stop that waits too
long is rejected while the canister stays ``stopping``."""
import pytest

from _ic import candid
from _ic.errors import Reject
from localnet.client import DID
from localnet.testing import wait_until
from tests.fixtures.holder_canister import EMPTY_ARGS, holder_wasm



def _install(client):
    cid = client.create_canister()
    client.mgmt("install_code", {"mode": {"install": None}, "canister_id": cid,
                                 "wasm_module": holder_wasm(), "arg": b"",
                                 "sender_canister_version": None})
    return cid


def _submit(client, canister_id, method, arg, ecid=None):
    """Send a call without waiting for it (v2); returns its request id."""
    request_id, answer = client.call_raw(canister_id, method, arg, ecid=ecid, version=2)
    assert answer.status == 202, answer
    return request_id


def _request_status(client, ecid, request_id):
    cert = client.read_state(ecid, [[b"request_status", request_id]])
    status = cert.lookup([b"request_status", request_id, b"status"])
    return status.decode() if status else None


def _stop_arg(canister_id):
    return candid.encode(DID.arg_types("stop_canister"), [{"canister_id": canister_id}])


def _stop_request(client, canister_id):
    return _submit(client, "aaaaa-aa", "stop_canister", _stop_arg(canister_id), ecid=canister_id)


def _status(client, canister_id):
    return next(iter(client.mgmt("canister_status", {"canister_id": canister_id})["status"]))


def _rounds(client, canister_id):
    return int.from_bytes(client.query(canister_id, "rounds", b""), "little")


@pytest.fixture
def held(client):
    """(waiter, holder, request id of waiter.wait(holder)): the waiter awaits the holder."""
    holder, waiter = _install(client), _install(client)
    wait_id = _submit(client, waiter, "wait", holder.raw)
    start = _rounds(client, holder)
    assert wait_until(lambda: _rounds(client, holder) > start + 1, timeout=20), \
        "the holder never went through a round"
    assert _request_status(client, waiter, wait_id) == "processing"
    return waiter, holder, wait_id


def test_stop_waits_for_the_open_call_context(client, held):
    waiter, holder, wait_id = held
    stop_id = _stop_request(client, waiter)
    assert wait_until(lambda: _status(client, waiter) == "stopping", timeout=10)
    rounds = _rounds(client, holder)
    assert wait_until(lambda: _rounds(client, holder) > rounds + 2, timeout=20)
    assert _request_status(client, waiter, stop_id) == "processing", "answered before stopped"
    assert _status(client, waiter) == "stopping"

    with pytest.raises(Reject) as refused:
        client.call(waiter, "reset", b"")
    assert refused.value.error_code == "IC0509"
    assert "is stopping" in refused.value.reject_message
    with pytest.raises(Reject) as refused:
        client.mgmt("delete_canister", {"canister_id": waiter})
    assert refused.value.error_code == "IC0510"
    assert "must be stopped before it is deleted" in refused.value.reject_message

    assert client.call(holder, "release", b"") == EMPTY_ARGS
    assert wait_until(lambda: _request_status(client, waiter, stop_id) == "replied", timeout=20)
    assert _status(client, waiter) == "stopped"
    assert _request_status(client, waiter, wait_id) == "replied"
    client.mgmt("delete_canister", {"canister_id": waiter})


def test_start_cancels_a_waiting_stop(client, held):
    waiter, holder, wait_id = held
    stop_id = _stop_request(client, waiter)
    assert wait_until(lambda: _status(client, waiter) == "stopping", timeout=10)
    client.mgmt("start_canister", {"canister_id": waiter})
    assert _status(client, waiter) == "running"
    assert wait_until(lambda: _request_status(client, waiter, stop_id) == "rejected", timeout=10)
    cert = client.read_state(waiter, [[b"request_status", stop_id]])
    assert cert.lookup([b"request_status", stop_id, b"error_code"]) == b"IC0511"
    assert cert.lookup([b"request_status", stop_id, b"reject_message"]) == \
        f"Canister {waiter}'s stop request was cancelled.".encode()
    client.call(holder, "release", b"")
    assert wait_until(lambda: _request_status(client, waiter, wait_id) == "replied", timeout=20)
    assert _status(client, waiter) == "running"


def test_a_stop_that_waits_too_long_is_rejected_and_the_canister_stays_stopping(net, client,
                                                                                 held):
    waiter, holder, _ = held
    stop_id = _stop_request(client, waiter)
    assert wait_until(lambda: _status(client, waiter) == "stopping", timeout=10)
    net.advance_time(5 * 60 + 1)
    assert wait_until(lambda: _request_status(client, waiter, stop_id) == "rejected", timeout=10)
    cert = client.read_state(waiter, [[b"request_status", stop_id]])
    assert cert.lookup([b"request_status", stop_id, b"error_code"]) == b"IC0206"
    assert cert.lookup([b"request_status", stop_id, b"reject_code"]) == b"\x02"
    assert cert.lookup([b"request_status", stop_id, b"reject_message"]) == \
        b"Stop canister request timed out"
    assert _status(client, waiter) == "stopping"
    client.call(holder, "release", b"")
    # No stop is waiting any more, but the canister still stops once its context closes.
    assert wait_until(lambda: _status(client, waiter) == "stopped", timeout=20)


def test_a_canister_without_open_calls_stops_at_once(client):
    cid = _install(client)
    client.mgmt("stop_canister", {"canister_id": cid})
    assert _status(client, cid) == "stopped"


def test_a_canister_calling_stop_is_answered_when_the_other_has_stopped(client, held):
    waiter, holder, _ = held
    stopper = _install(client)
    client.mgmt("update_settings", {"canister_id": waiter, "settings": {
        "controllers": [client.identity.sender, stopper]}, "sender_canister_version": None})
    stop_id = _submit(client, stopper, "stop_other", _stop_arg(waiter))
    assert wait_until(lambda: _status(client, waiter) == "stopping", timeout=10)
    assert _request_status(client, stopper, stop_id) == "processing"

    client.mgmt("start_canister", {"canister_id": waiter})   # cancels the canister's stop
    assert wait_until(lambda: _request_status(client, stopper, stop_id) == "rejected", timeout=10)
    cert = client.read_state(stopper, [[b"request_status", stop_id]])
    assert cert.lookup([b"request_status", stop_id, b"reject_message"]) == \
        f"Canister {waiter}'s stop request cancelled".encode()

    stop_id = _submit(client, stopper, "stop_other", _stop_arg(waiter))
    assert wait_until(lambda: _status(client, waiter) == "stopping", timeout=10)
    client.call(holder, "release", b"")
    assert wait_until(lambda: _request_status(client, stopper, stop_id) == "replied", timeout=20)
    assert _status(client, waiter) == "stopped"


def test_uninstall_rejects_the_open_call_context_and_completes_the_stop(client, held):
    waiter, _, wait_id = held
    stop_id = _stop_request(client, waiter)
    assert wait_until(lambda: _status(client, waiter) == "stopping", timeout=10)
    client.mgmt("uninstall_code", {"canister_id": waiter, "sender_canister_version": None})
    assert _request_status(client, waiter, wait_id) == "rejected"
    cert = client.read_state(waiter, [[b"request_status", wait_id]])
    assert cert.lookup([b"request_status", wait_id, b"reject_code"]) == b"\x04"
    assert wait_until(lambda: _request_status(client, waiter, stop_id) == "replied", timeout=10)
    assert _status(client, waiter) == "stopped"
