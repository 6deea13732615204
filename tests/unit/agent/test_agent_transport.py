"""Transport: retries resend the same bytes, dropped answers, keep-alive pooling, timeouts."""
import random

import pytest

from agent_fault_server import FaultServer
from _ic.errors import InputError, TransportError
from _ic.transport import OutcomeUnknown, Transport, backoff_delay, is_loopback_url
from tests.threads import in_threads

OK = ("reply", 200, b"ok")


def fast(url, **kw):
    kw.setdefault("backoff", 0.001)
    kw.setdefault("max_backoff", 0.005)
    kw.setdefault("timeout", 5.0)
    return Transport(url, **kw)


def test_retries_503_and_429_with_identical_bytes():
    script = [("reply", 503, b"Service is overloaded"), ("reply", 429, b"busy"), OK]
    with FaultServer(script) as srv:
        resp = fast(srv.url, retries=3).post("/api/v4/canister/x/call", b"signed-bytes")
    assert resp.status == 200 and resp.body == b"ok"
    assert srv.bodies == [b"signed-bytes"] * 3


def test_gives_up_after_retries_with_status_and_body():
    with FaultServer([("reply", 503, b"Certified state unavailable.")]) as srv:
        with pytest.raises(TransportError) as info:
            fast(srv.url, retries=2).post("/p", b"x")
    assert info.value.status == 503
    assert "Certified state unavailable" in info.value.body
    assert len(srv.bodies) == 3


def test_other_statuses_are_returned_not_retried():
    with FaultServer([("reply", 400, b"bad"), OK]) as srv:
        resp = fast(srv.url).post("/p", b"x")
    assert resp.status == 400 and resp.text() == "bad"
    assert len(srv.bodies) == 1


def test_retry_after_header_is_honoured():
    script = [("reply", 429, b"", {"Retry-After": "0"}), OK]
    with FaultServer(script) as srv:
        transport = Transport(srv.url, backoff=30.0, max_backoff=30.0)
        assert transport.post("/p", b"x").status == 200


def test_dropped_answer_is_unknown_outcome_for_calls():
    with FaultServer([("drop",), OK]) as srv:
        with pytest.raises(OutcomeUnknown):
            fast(srv.url).post("/call", b"call-bytes", resend_after_send=False)
    assert srv.bodies == [b"call-bytes"], "a call with an unknown outcome must not be resent"


def test_dropped_answer_is_retried_for_reads():
    with FaultServer([("drop",), OK]) as srv:
        resp = fast(srv.url).post("/read_state", b"read-bytes")
    assert resp.status == 200
    assert srv.bodies == [b"read-bytes", b"read-bytes"]


def test_keep_alive_reuses_one_connection():
    with FaultServer([OK]) as srv:
        transport = fast(srv.url)
        for _ in range(5):
            assert transport.get("/api/v2/status").status == 200
    assert srv.connections == 1


def test_connection_refused_is_transport_error():
    with FaultServer([OK]) as srv:
        url = srv.url
    with pytest.raises(TransportError) as info:
        fast(url, retries=1).get("/api/v2/status")
    assert info.value.status is None
    assert "2 attempt" in str(info.value)


def test_timeout_is_retried_then_reported():
    with FaultServer([("sleep", 1.0, 200, b"late")]) as srv:
        with pytest.raises(TransportError):
            fast(srv.url, timeout=0.2, retries=1).get("/slow")
    assert len(srv.bodies) == 2


def test_concurrent_requests_share_a_bounded_pool():
    with FaultServer([("sleep", 0.01, 200, b"ok")]) as srv:
        transport = fast(srv.url, pool_size=4)

        def worker():
            for _ in range(10):
                assert transport.post("/q", b"x").status == 200

        in_threads(worker, 8)
    assert len(srv.bodies) == 80
    assert srv.connections <= 8 + 80  # never more than one connection per request
    assert len(transport._idle) <= 4


def test_base_path_prefix_is_kept():
    with FaultServer([OK]) as srv:
        fast(srv.url + "/prefix/").get("/api/v2/status")
    assert srv.paths == ["/prefix/api/v2/status"]


def test_bad_url_is_input_error():
    with pytest.raises(InputError):
        Transport("ftp://example.org")


@pytest.mark.parametrize("url,loopback", [
    ("http://127.0.0.1:4943", True), ("http://localhost:8000", True),
    ("http://[::1]:4943", True), ("http://127.5.5.5", True),
    ("https://icp-api.io", False), ("http://10.0.0.1:4943", False),
    ("http://localhost.example.com", False),
])
def test_is_loopback_url(url, loopback):
    assert is_loopback_url(url) is loopback


def test_backoff_is_jittered_and_capped():
    rng = random.Random(1)
    values = [backoff_delay(a, 0.25, 4.0, rng) for a in range(10) for _ in range(20)]
    assert all(0 < v <= 4.0 for v in values)
    assert len(set(values)) > 100
    assert max(backoff_delay(0, 0.25, 4.0, rng) for _ in range(50)) <= 0.25
