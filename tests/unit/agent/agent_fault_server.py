"""A tiny loopback HTTP/1.1 server that answers from a script, to inject transport faults.

Each request pops the next action from ``script`` (the last one repeats):
``("reply", status, body, headers)``, ``("drop",)`` = read the request and close the
connection without answering, ``("sleep", seconds, status, body)``.
"""
import http.server
import threading


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # Clients in these tests hang up on purpose (timeouts); that is not a server error.
        pass


class FaultServer:
    """Start with ``with FaultServer(script) as srv:``; ``srv.url``, ``srv.bodies`` (request
    bodies in arrival order), ``srv.paths``, ``srv.connections`` (distinct connections)."""

    def __init__(self, script, handler=None):
        self.script = list(script)
        self.handler = handler
        self.bodies = []
        self.paths = []
        self.connections = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                with outer.lock:
                    outer.connections += 1

            def log_message(self, *args):
                pass

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with outer.lock:
                    outer.bodies.append(body)
                    outer.paths.append(self.path)
                    action = outer.script.pop(0) if len(outer.script) > 1 else outer.script[0]
                if outer.handler is not None and action == ("handler",):
                    action = outer.handler(self.path, body)
                kind = action[0]
                if kind == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if kind == "sleep":
                    import time
                    time.sleep(action[1])
                    action = ("reply",) + tuple(action[2:])
                status, payload = action[1], action[2]
                headers = action[3] if len(action) > 3 else {}
                self.send_response(status)
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Content-Type", headers.pop("Content-Type",
                                                             "application/cbor"))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _serve
            do_POST = _serve

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,),
                                       daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
