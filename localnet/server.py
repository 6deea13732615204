"""The HTTP server: keep-alive HTTP/1.1 on threads, routing to the IC API and the admin API.

A small HTTP/1.1 reader of its own instead of ``http.server``'s: parsing headers with the
email parser costs more than a query's whole IC work, and every answer goes out in one
write (no Nagle stalls between headers and body).
"""
import logging
import socket
import socketserver
from urllib.parse import urlsplit

from . import admin, api
from .errors import HttpError

log = logging.getLogger("localnet.http")
_CORS = (b"Access-Control-Allow-Origin: *\r\n"
         b"Access-Control-Allow-Methods: GET, POST, DELETE, OPTIONS\r\n"
         b"Access-Control-Allow-Headers: Accept, Authorization, Content-Type\r\n")
_DRAIN_LIMIT = 32 * 1024 * 1024
_MAX_LINE = 65536
_MAX_HEADERS = 100
_REASONS = {200: "OK", 202: "Accepted", 204: "No Content", 400: "Bad Request",
            403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
            411: "Length Required", 413: "Payload Too Large", 429: "Too Many Requests",
            431: "Request Header Fields Too Large", 500: "Internal Server Error",
            503: "Service Unavailable", 505: "HTTP Version Not Supported"}


class _Request:
    """One parsed request line and its headers (names lower-cased)."""

    __slots__ = ("method", "target", "version", "headers", "close")

    def __init__(self, method, target, version, headers):
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        connection = headers.get("connection", "").lower()
        self.close = connection == "close" or (version == "HTTP/1.0" and
                                               connection != "keep-alive")


class Handler(socketserver.StreamRequestHandler):
    """One connection; requests are served one after the other (keep-alive)."""

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle(self):
        while True:
            try:
                request = self._read_head()
            except HttpError as err:
                self._send(api.text(err.status, err.text), close=True)
                return
            except (ConnectionError, OSError):
                return
            if request is None:
                return
            try:
                response, close = self._serve(request)
                self._send(response, close or request.close)
            except (ConnectionError, OSError):
                return
            if close or request.close or response.drop:
                return

    def _read_head(self):
        line = self.rfile.readline(_MAX_LINE + 1)
        while line in (b"\r\n", b"\n"):
            line = self.rfile.readline(_MAX_LINE + 1)
        if not line:
            return None
        if len(line) > _MAX_LINE:
            raise HttpError(400, "Request line too long.")
        parts = line.decode("latin-1").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise HttpError(400, "Bad request line.")
        headers = {}
        while True:
            header = self.rfile.readline(_MAX_LINE + 1)
            if header in (b"\r\n", b"\n", b""):
                break
            if len(header) > _MAX_LINE or len(headers) >= _MAX_HEADERS:
                raise HttpError(431, "Request header fields too large.")
            name, sep, value = header.decode("latin-1").partition(":")
            if not sep:
                raise HttpError(400, "Bad header line.")
            headers[name.strip().lower()] = value.strip()
        return _Request(parts[0], parts[1], parts[2], headers)

    def _read_body(self, request):
        """The body; returns (bytes, close_after)."""
        if "chunked" in request.headers.get("transfer-encoding", "").lower():
            raise HttpError(411, "Content-Length is required.")
        length = request.headers.get("content-length")
        if length is None:
            return b""
        if not length.isdigit():
            raise HttpError(400, "Invalid Content-Length.")
        size = int(length)
        if size > api.limits.MAX_INGRESS_BYTES:
            # Drain a moderately large body so the client can read the answer; close after.
            remaining = size if size <= _DRAIN_LIMIT else 0
            while remaining > 0:
                chunk = self.rfile.read(min(remaining, 65536))
                if not chunk:
                    break
                remaining -= len(chunk)
            raise HttpError(413, f"Request is too large. Message byte size {size} is larger "
                                 f"than the max allowed {api.limits.MAX_INGRESS_BYTES}.")
        if request.headers.get("expect", "").lower() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = self.rfile.read(size)
        if len(body) != size:
            raise ConnectionError("connection closed inside the body")
        return body

    def _serve(self, request):
        """Route one request; returns (Response, close_connection)."""
        node = self.server.node
        target = request.target
        # An origin-form target (what clients send) is its path and query; urlsplit for the rest.
        path = target.partition("?")[0] if target.startswith("/") else urlsplit(target).path
        try:
            body = self._read_body(request) if request.method in ("POST", "PUT") else b""
            if request.method == "OPTIONS":
                return api.Response(204, b"", api.TEXT), False
            if path.startswith("/_/"):
                return admin.handle(self.server, request.method, path, request.target,
                                    body), False
            if path == "/api/v2/status":
                if request.method != "GET":
                    raise HttpError(405, "Method not allowed.")
                node.metrics.endpoint("v2/status")
                return api.status_response(node), False
            ic_route = api.route(path)
            if ic_route is None:
                raise HttpError(404, f"Not found: {path}")
            if request.method != "POST":
                raise HttpError(405, "Method not allowed.")
            api.check_body(request.headers.get("content-type", ""), len(body))
            return api.handle_ic(node, *ic_route, body), False
        except HttpError as err:
            node.metrics.outcome(f"http_{err.status}")
            return api.text(err.status, err.text), err.status in (411, 413)
        except ConnectionError:
            raise
        except Exception:  # noqa: BLE001 - one bad request must not stop the server
            log.exception("internal error serving %s %s", request.method, request.target)
            node.metrics.outcome("http_500")
            return api.text(500, "Unexpected error: internal error in localnet"), False

    def _send(self, response, close):
        if response.drop:
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        head = (f"HTTP/1.1 {response.status} {_REASONS.get(response.status, '')}\r\n"
                f"Content-Type: {response.content_type}\r\n"
                f"Content-Length: {len(response.body)}\r\n").encode("latin-1") + _CORS
        if close:
            head += b"Connection: close\r\n"
        self.wfile.write(head + b"\r\n" + response.body)


class Server(socketserver.ThreadingTCPServer):
    """A threaded HTTP server bound to one Node."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, node, host="127.0.0.1", port=4943):
        self.node = node
        super().__init__((host, port), Handler)

    @property
    def url(self):
        """The base URL clients use."""
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"
