"""Pipelined queries: ``Transport.post_many`` (several requests on the wire, its own HTTP/1.1
reader) and ``Agent.query_many`` (the same answers, checks and fallbacks as ``query``)."""
import socket
import threading

import pytest

from agent_fake_replica import FakeReplica
from agent_fault_server import FaultServer
from _ic.agent import Agent
from _ic.errors import CertificateError, Reject
from _ic.identity import Ed25519Identity
from _ic.principal import Principal
from _ic.transport import Transport

CANISTER = Principal.from_canister_index(7)


def transport(url):
    return Transport(url, timeout=5.0, backoff=0.001, max_backoff=0.005)


@pytest.mark.parametrize("pipelined, connections", [(True, 1), (False, 3)], ids=["loopback", "remote"])
def test_every_request_is_answered_once(pipelined, connections):
    """To a loopback server the requests share one connection, pipelined; to a remote one each of
    ``in_flight`` connections has one request at a time."""
    requests = [(f"/q/{i}", f"body-{i}".encode()) for i in range(25)]
    with FaultServer([("reply", 200, b"ok", {"Content-Type": "application/cbor"})]) as srv:
        client = transport(srv.url)
        assert client.pipelined  # a loopback URL
        client.pipelined = pipelined
        answers = list(client.post_many(iter(requests), in_flight=3))
    assert [index for index, _ in answers] == list(range(25)), "answered in the order sent"
    assert all(resp.status == 200 and resp.body == b"ok" and resp.content_type == "application/cbor"
               for _, resp in answers)
    assert sorted(srv.bodies) == sorted(body for _, body in requests)
    assert srv.connections == connections


def test_only_a_loopback_server_gets_pipelined_requests():
    assert Transport("http://127.0.0.1:4943").pipelined and Transport("http://localhost:8080").pipelined
    assert not Transport("https://icp-api.io").pipelined and not Transport("http://10.0.0.5:4943").pipelined


def test_answers_pipelined_behind_a_closed_connection_are_reported_and_the_rest_go_on():
    """The server ends the connection after the second answer: the requests pipelined behind it
    get no answer (the caller asks them again), the others go out on a new connection."""
    first = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"
    closing = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\nb"
    plain = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nc"
    server = RawServer([first, closing] + [plain] * 10)
    answers = dict(transport(server.url).post_many([(f"/{i}", b"x") for i in range(8)], in_flight=4))
    assert sorted(answers) == list(range(8))
    assert answers[0].body == b"a" and answers[1].body == b"b"
    lost = [i for i, resp in answers.items() if resp is None]
    # 4 went out on the first connection after answer 0, before the close was known
    assert lost == [2, 3, 4], "the requests pipelined behind the closing answer"
    assert [answers[i].body for i in range(5, 8)] == [b"c"] * 3


def test_a_dropped_answer_is_reported_and_the_rest_still_come():
    script = [("reply", 200, b"a"), ("drop",)] + [("reply", 200, b"b")]
    with FaultServer(script) as srv:
        answers = dict(transport(srv.url).post_many(((f"/q/{i}", b"x") for i in range(6)), in_flight=1))
    assert sorted(answers) == list(range(6))
    assert answers[0].body == b"a" and answers[1] is None
    assert [answers[i].body for i in range(2, 6)] == [b"b"] * 4


def test_statuses_other_than_200_are_handed_back_as_they_are():
    script = [("reply", 503, b"busy", {"Retry-After": "2"}), ("reply", 200, b"ok")]
    with FaultServer(script) as srv:
        answers = dict(transport(srv.url).post_many([("/q", b"1"), ("/q", b"2")], in_flight=1))
    assert (answers[0].status, answers[0].body, answers[0].retry_after) == (503, b"busy", 2.0)
    assert answers[1].status == 200


def test_nothing_listening_reports_every_request_as_failed():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    answers = list(transport(f"http://127.0.0.1:{port}").post_many([("/q", b"1"), ("/q", b"2"), ("/q", b"3")], 2))
    assert sorted(index for index, _ in answers) == [0, 1, 2]
    assert all(resp is None for _, resp in answers)


class RawServer:
    """Answers each request on a connection with the next of ``answers`` (raw bytes), then
    closes the connection when the answer says ``Connection: close``."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.heads = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while self.answers:
            conn, _ = self.sock.accept()
            reader = conn.makefile("rb")
            while self.answers:
                head = b""
                while not head.endswith(b"\r\n\r\n"):
                    line = reader.readline()
                    if not line:
                        break
                    head += line
                if not head:
                    break
                self.heads.append(head.decode("latin-1"))
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                reader.read(length)
                answer = self.answers.pop(0)
                conn.sendall(answer)
                if b"connection: close" in answer.lower():
                    break
            conn.close()


def test_chunked_answers_and_a_server_closing_the_connection_are_read():
    chunked = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/cbor\r\n\r\n"
               b"3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\nX-Trailer: t\r\n\r\n")
    closing = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi"
    plain = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nend"
    server = RawServer([chunked, closing, plain])
    answers = dict(transport(server.url).post_many([("/a", b"1"), ("/b", b"22"), ("/c", b"333")], in_flight=1))
    assert [answers[i].body for i in range(3)] == [b"abcdefg", b"hi", b"end"]
    assert answers[0].content_type == "application/cbor"
    head = server.heads[0]
    assert head.startswith("POST /a HTTP/1.1\r\n") and "Content-Length: 1\r\n" in head
    assert "Host: 127.0.0.1:" in head and "Content-Type: application/cbor" in head


def test_an_answer_without_a_body_is_read_as_empty():
    no_content = b"HTTP/1.1 204 No Content\r\n\r\n"
    plain = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    server = RawServer([no_content, plain])
    answers = dict(transport(server.url).post_many([("/a", b"1"), ("/b", b"2")], in_flight=1))
    assert (answers[0].status, answers[0].body) == (204, b"") and answers[1].body == b"ok"


def test_a_malformed_answer_fails_that_request_only():
    server = RawServer([b"garbage\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"])
    answers = dict(transport(server.url).post_many([("/a", b"1"), ("/b", b"2")], in_flight=1))
    assert answers[0] is None
    assert answers[1] is None or answers[1].body == b"ok"  # its connection was the bad one


# ----- Agent.query_many -----------------------------------------------------------------------

@pytest.fixture
def replica():
    with FakeReplica() as rep:
        yield rep


def agent_for(rep):
    return Agent(rep.url, Ed25519Identity.generate(), root_key_der=rep.root_key, timeout=5)


def test_query_many_gives_what_query_gives_for_each_call(replica):
    agent = agent_for(replica)
    calls = [(CANISTER, "q", f"{i}".encode(), None) for i in range(12)]
    answers = dict(agent.query_many(calls, in_flight=4))
    assert answers == {i: b"q:" + f"{i}".encode() for i in range(12)}
    assert [p.split("/")[2] for p in replica.paths("query")] == ["v3"] * 12


def test_query_many_checks_every_node_signature(replica):
    replica.tamper_query = True
    with pytest.raises(CertificateError):
        list(agent_for(replica).query_many([(CANISTER, "q", b"x", None)]))


def test_query_many_asks_again_through_query_when_the_endpoint_is_missing(replica):
    replica.query_versions = {2}
    agent = agent_for(replica)
    answers = dict(agent.query_many([(CANISTER, "q", b"1", None), (CANISTER, "q", b"2", None)]))
    assert answers == {0: b"q:1", 1: b"q:2"}
    # v3 refused both; the first was asked again (v3, then v2), the second on v2 at once,
    # and v2 is remembered for the next batch
    assert [p.split("/")[2] for p in replica.paths("query")][2:] == ["v3", "v2", "v2"]
    list(agent.query_many([(CANISTER, "q", b"3", None)]))
    assert replica.paths("query")[-1].split("/")[2] == "v2"


def test_a_rejected_query_is_answered_with_its_reject(replica):
    replica.reject_queries = True
    answers = dict(agent_for(replica).query_many([(CANISTER, "q", b"1", None)]))
    assert isinstance(answers[0], Reject) and answers[0].reject_code == 3
