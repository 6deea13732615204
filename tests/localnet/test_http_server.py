"""The HTTP/1.1 layer itself: keep-alive, framing errors, Expect, CORS, admin errors."""
import socket


def exchange(net, raw):
    """Send raw bytes, half-close, and return everything the server answers."""
    host, port = net.url.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return data
            data += chunk


def test_keep_alive_serves_several_requests_on_one_connection(net):
    request = b"GET /api/v2/status HTTP/1.1\r\nHost: x\r\n\r\n"
    data = exchange(net, request * 3)
    assert data.count(b"HTTP/1.1 200 OK") == 3


def test_malformed_framing_gets_4xx(net):
    assert exchange(net, b"NONSENSE\r\n\r\n").startswith(b"HTTP/1.1 400")
    broken = b"GET /api/v2/status HTTP/1.1\r\nbroken header\r\n\r\n"
    assert exchange(net, broken).startswith(b"HTTP/1.1 400")
    chunked = (b"POST /api/v4/canister/aaaaa-aa/call HTTP/1.1\r\nHost: x\r\n"
               b"Content-Type: application/cbor\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
    assert exchange(net, chunked).startswith(b"HTTP/1.1 411")
    bad_length = (b"POST /api/v4/canister/aaaaa-aa/call HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Length: -5\r\n\r\n")
    assert exchange(net, bad_length).startswith(b"HTTP/1.1 400")


def test_http_1_0_closes_and_expect_continue(net):
    data = exchange(net, b"GET /api/v2/status HTTP/1.0\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 200") and b"Connection: close" in data
    body = b"\xd9\xd9\xf7\xa0"
    request = (b"POST /api/v4/canister/aaaaa-aa/call HTTP/1.1\r\nHost: x\r\n"
               b"Content-Type: application/cbor\r\nExpect: 100-continue\r\n"
               b"Content-Length: 4\r\n\r\n" + body)
    data = exchange(net, request)
    assert data.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 400")


def test_cors_and_admin_errors(net):
    data = exchange(net, b"OPTIONS /api/v2/status HTTP/1.1\r\nHost: x\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 204") and b"Access-Control-Allow-Origin: *" in data
    bad_json = (b"POST /_/mint HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n{x}")
    assert exchange(net, bad_json).startswith(b"HTTP/1.1 400")
    negative = (b'POST /_/time HTTP/1.1\r\nHost: x\r\nContent-Length: 25\r\n\r\n'
                b'{"advance_seconds": -100}')
    assert exchange(net, negative).startswith(b"HTTP/1.1 400")
    assert exchange(net, b"GET /_/nothing HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 404")
