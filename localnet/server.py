"""The HTTP server: keep-alive HTTP/1.1 on threads, routing to the IC API and the admin API."""
import json
import logging
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from . import admin, api
from .errors import HttpError

log = logging.getLogger("localnet.http")
_CORS = (b"Access-Control-Allow-Origin: *\r\n"
         b"Access-Control-Allow-Methods: GET, POST, OPTIONS\r\n"
         b"Access-Control-Allow-Headers: Accept, Authorization, Content-Type\r\n")
_DRAIN_LIMIT = 32 * 1024 * 1024
_REASONS = {200: "OK", 202: "Accepted", 204: "No Content", 400: "Bad Request",
            403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
            411: "Length Required", 413: "Payload Too Large", 429: "Too Many Requests",
            500: "Internal Server Error", 503: "Service Unavailable"}


class Handler(BaseHTTPRequestHandler):
    """One connection; requests are served one after the other (keep-alive)."""

    protocol_version = "HTTP/1.1"
    server_version = "localnet"

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):
        log.debug("%s %s", self.address_string(), fmt % args)

    def _send(self, response):
        if response.drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        reason = _REASONS.get(response.status, "")
        head = (f"HTTP/1.1 {response.status} {reason}\r\n"
                f"Content-Type: {response.content_type}\r\n"
                f"Content-Length: {len(response.body)}\r\n").encode("latin-1") + _CORS
        if self.close_connection:
            head += b"Connection: close\r\n"
        self.wfile.write(head + b"\r\n" + response.body)
        log.debug("%s %s -> %s", self.command, self.path, response.status)

    def _read_body(self):
        length = self.headers.get("Content-Length")
        if length is None:
            if self.headers.get("Transfer-Encoding"):
                self.close_connection = True
                raise HttpError(411, "Content-Length is required.")
            return b""
        try:
            size = int(length)
        except ValueError:
            self.close_connection = True
            raise HttpError(400, "Invalid Content-Length.") from None
        if size < 0:
            self.close_connection = True
            raise HttpError(400, "Invalid Content-Length.")
        if size > api.limits.MAX_INGRESS_BYTES:
            # Drain a moderately large body so the client can read the answer; close after.
            self.close_connection = True
            remaining = size if size <= _DRAIN_LIMIT else 0
            while remaining > 0:
                chunk = self.rfile.read(min(remaining, 65536))
                if not chunk:
                    break
                remaining -= len(chunk)
            raise HttpError(413, f"Request is too large. Message byte size {size} is larger "
                                 f"than the max allowed {api.limits.MAX_INGRESS_BYTES}.")
        return self.rfile.read(size)

    def _serve(self):
        node = self.server.node
        path = urlsplit(self.path).path
        try:
            if path.startswith("/_/"):
                body = self._read_body() if self.command == "POST" else b""
                response = admin.handle(self.server, self.command, path, self.path, body)
            elif path == "/api/v2/status":
                if self.command != "GET":
                    raise HttpError(405, "Method not allowed.")
                node.metrics.endpoint("v2/status")
                response = api.status_response(node)
            else:
                ic_route = api.route(path)
                if ic_route is None:
                    if self.command == "POST":
                        self._read_body()
                    raise HttpError(404, f"Not found: {path}")
                if self.command != "POST":
                    raise HttpError(405, "Method not allowed.")
                body = self._read_body()
                api.check_body(self.headers, len(body))
                response = api.handle_ic(node, *ic_route, body)
        except HttpError as err:
            node.metrics.outcome(f"http_{err.status}")
            response = api.text(err.status, err.text)
        except Exception:  # noqa: BLE001 - one bad request must not stop the server
            log.exception("internal error serving %s %s", self.command, self.path)
            node.metrics.outcome("http_500")
            response = api.text(500, "Unexpected error: internal error in localnet")
        self._send(response)

    def do_GET(self):  # noqa: N802 - http.server naming
        self._serve()

    def do_POST(self):  # noqa: N802
        self._serve()

    def do_DELETE(self):  # noqa: N802
        self._serve()

    def do_OPTIONS(self):  # noqa: N802
        self._send(api.Response(204, b"", api.TEXT))


class Server(ThreadingHTTPServer):
    """A threaded HTTP server bound to one Node."""

    daemon_threads = True
    request_queue_size = 256

    def __init__(self, node, host="127.0.0.1", port=4943):
        self.node = node
        super().__init__((host, port), Handler)

    @property
    def url(self):
        """The base URL clients use."""
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


def json_response(value, status=200):
    """A JSON response for the admin surface."""
    return api.Response(status, json.dumps(value).encode(), "application/json")
