"""HTTP transport to one IC endpoint: keep-alive connection pool, timeouts and retries.

The transport knows nothing of CBOR or certificates. It sends bytes and hands back the status
and body. Retries always resend the *same* bytes, so a retried signed request keeps its request
id. A connection that fails after the whole request was written is ambiguous (the server may
have acted on it); for requests that must not be acted on twice the caller asks for
``OutcomeUnknown`` instead of a blind resend and finds out what happened by other means.
"""
import collections
import random
import socket
import threading
import time
import urllib.parse

from .errors import InputError, TransportError

# http.client (and through it email.*) and ssl cost more to import than the rest of the
# client together; they load with the first connection, so importing the client stays cheap.
RETRY_STATUSES = frozenset((429, 503))
_MAX_RETRY_AFTER = 10.0
_http = None


def _http_client():
    global _http
    if _http is None:
        import http.client as module
        _http = module
    return _http


class OutcomeUnknown(TransportError):
    """The request was sent but no answer came back; it may or may not have been processed."""


class Response:
    """An HTTP answer: ``status``, ``body`` (bytes) and ``content_type`` (lower case)."""

    __slots__ = ("status", "body", "content_type", "retry_after")

    def __init__(self, status, body, content_type="", retry_after=None):
        self.status = status
        self.body = body
        self.content_type = content_type
        self.retry_after = retry_after

    def text(self, limit=2000):
        """The body as text for error messages, cut to ``limit`` characters."""
        return self.body[:limit].decode("utf-8", "replace").strip()


def is_loopback_url(url):
    """True when the URL's host is a loopback name or address (127.0.0.0/8, ::1, localhost)."""
    from .network import is_loopback_host

    return is_loopback_host(urllib.parse.urlsplit(url).hostname)


def backoff_delay(attempt, base, cap, rng=random):
    """Full-jitter exponential backoff: uniform in [base*2^attempt/2, base*2^attempt], capped."""
    ceiling = min(cap, base * (2 ** attempt))
    return rng.uniform(ceiling / 2, ceiling)


def _parse_retry_after(value):
    if not value:
        return None
    try:
        return max(0.0, min(float(value), _MAX_RETRY_AFTER))
    except ValueError:
        return None


class Transport:
    """Thread-safe HTTP(S) client for one base URL with a small pool of keep-alive connections.

    ``retries`` is the number of extra attempts after the first on HTTP 429/503 and on
    connection failures; waits follow ``backoff_delay`` (or the server's Retry-After).
    """

    def __init__(self, url, timeout=30.0, retries=3, backoff=0.25, max_backoff=4.0,
                 pool_size=8, ssl_context=None):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InputError("network", f"{url!r} is not an http(s) URL")
        self.url = url.rstrip("/")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.prefix = parts.path.rstrip("/")
        self.timeout = float(timeout)
        self.retries = max(0, int(retries))
        self.backoff = float(backoff)
        self.max_backoff = float(max_backoff)
        self.pool_size = int(pool_size)
        self._ssl_context = ssl_context
        # post_many pipelines its requests on one connection only to a server on this machine.
        self.pipelined = is_loopback_url(self.url)
        self._idle = []
        self._lock = threading.Lock()
        self._closed = False

    def with_timeout(self, seconds):
        """A transport to the same server whose exchanges wait at most ``seconds`` (at least one),
        with connections of its own."""
        return Transport(self.url, timeout=max(1.0, float(seconds)), retries=self.retries, backoff=self.backoff,
                         max_backoff=self.max_backoff, pool_size=self.pool_size, ssl_context=self._ssl_context)

    def _new_connection(self):
        client = _http_client()
        if self.scheme == "https":
            if self._ssl_context is None:
                import ssl
                self._ssl_context = ssl.create_default_context()
            return client.HTTPSConnection(self.host, self.port, timeout=self.timeout,
                                          context=self._ssl_context)
        return client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def _acquire(self):
        with self._lock:
            if self._idle:
                return self._idle.pop(), True
        return self._new_connection(), False

    def _release(self, conn):
        with self._lock:
            if not self._closed and len(self._idle) < self.pool_size:
                self._idle.append(conn)
                return
        conn.close()

    def close(self):
        """Close every idle connection; connections in use close when they are returned."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def _exchange(self, method, path, body, headers):
        """One attempt. Returns (Response | None, error, sent) — sent means the request was
        completely written before the failure."""
        conn, reused = self._acquire()
        client = _http_client()
        sent = False
        try:
            conn.request(method, self.prefix + path, body=body, headers=headers)
            sent = True
            resp = conn.getresponse()
            data = resp.read()
        except (OSError, client.HTTPException) as exc:
            conn.close()
            # A pooled connection the server closed while idle fails at once without the
            # server having read anything; treat it as not sent and retry on a fresh one.
            if reused and sent and isinstance(exc, (client.RemoteDisconnected,
                                                    ConnectionResetError, BrokenPipeError)):
                return None, exc, "stale"
            return None, exc, sent
        if resp.will_close:
            conn.close()
        else:
            self._release(conn)
        content_type = (resp.getheader("Content-Type") or "").lower()
        return Response(resp.status, data, content_type,
                        _parse_retry_after(resp.getheader("Retry-After"))), None, True

    def post_many(self, requests, in_flight=4):
        """POST each ``(path, body)`` of the iterable ``requests`` with up to ``in_flight`` of
        them outstanding; yield ``(index, Response)`` in the order the answers come, or
        ``(index, None)`` for a request whose exchange failed (nothing is retried here: a caller
        that wants retries sends it through ``post``).

        Meant for many independent, idempotent requests (queries): while the caller works on
        one answer the server is already working on the next requests, without a thread.
        ``requests`` is read lazily, one item per request sent, so the caller builds a request
        while earlier ones are on the wire. To a loopback server the requests share one
        keep-alive connection, HTTP/1.1-pipelined (answered in order): the server then reads
        them from one buffer instead of waking a handler per connection, which costs a local
        replica a third less CPU, on the machine the client runs on. A remote server gets one
        request at a time per connection, as HTTP/1.1 clients do (a proxy on the way may not
        keep pipelined answers apart). The connections are ``_Pipe``s of their own:
        http.client's header parsing costs more than the rest of a query's client work.
        """
        in_flight = max(1, int(in_flight))
        depth = in_flight if self.pipelined else 1
        todo = enumerate(requests)
        waiting = collections.deque()  # (pipe, index) in the order sent: a pipe answers in that order
        outstanding = collections.Counter()
        pipes = []

        def pipe_with_room():
            pipes[:] = [pipe for pipe in pipes if not pipe.closed]  # a closed pipe is closed for good
            for pipe in pipes:
                if outstanding[pipe] < depth:
                    return pipe
            pipes.append(self._pipe())
            return pipes[-1]

        def send():
            """Send the next request; the index of one that could not go out, else None."""
            for index, (path, body) in todo:
                pipe = pipe_with_room()
                try:
                    pipe.send(self.prefix + path, body)
                except OSError:
                    pipe.close()
                    return index  # not sent: the caller sends it again
                outstanding[pipe] += 1
                waiting.append((pipe, index))
                return None
            return None

        try:
            for _request_number in range(in_flight):
                failed = send()
                if failed is not None:
                    yield failed, None
            while waiting:
                pipe, index = waiting.popleft()
                outstanding[pipe] -= 1
                answer = None  # a closed pipe's later answers are lost: asked again by the caller
                if not pipe.closed:
                    try:
                        answer = pipe.receive()
                    except (OSError, ValueError):
                        pipe.close()
                failed = send()  # the next request goes out before this answer is read
                yield index, answer
                if failed is not None:
                    yield failed, None
            for index, _unsent in todo:  # every connection failed: these were never sent
                yield index, None
        finally:
            for pipe in pipes:
                pipe.close()

    def _pipe(self):
        """A new ``_Pipe`` to this transport's server."""
        context = None
        if self.scheme == "https":
            if self._ssl_context is None:
                import ssl
                self._ssl_context = ssl.create_default_context()
            context = self._ssl_context
        return _Pipe(self.host, self.port, self.timeout, context)

    def request(self, method, path, body=None, content_type="application/cbor",
                resend_after_send=True, deadline=None):
        """Send one request, retrying on 429/503 and connection failures.

        With ``resend_after_send=False`` a failure after the request was fully written raises
        ``OutcomeUnknown`` rather than sending again. Other HTTP statuses are returned as they
        are (the caller interprets 4xx/5xx). ``deadline`` is a ``time.monotonic()`` bound.
        """
        headers = {"Accept": "application/cbor"}
        if body is not None:
            headers["Content-Type"] = content_type
        attempt = 0
        stale_retries = 0
        while True:
            response, error, sent = self._exchange(method, path, body, headers)
            if sent == "stale" and stale_retries < self.pool_size + 1:
                # The stale-connection case costs no retry budget but is still ambiguous for
                # a request that must not run twice, so those are reported as unknown.
                stale_retries += 1
                if resend_after_send:
                    continue
                sent = True
            if error is not None and sent and not resend_after_send:
                raise OutcomeUnknown(
                    f"{method} {self.url}{path}: connection lost after the request was sent "
                    f"({error.__class__.__name__}: {error})")
            retryable = error is not None or response.status in RETRY_STATUSES
            if not retryable:
                return response
            if attempt >= self.retries:
                break
            delay = backoff_delay(attempt, self.backoff, self.max_backoff)
            if response is not None and response.retry_after is not None:
                delay = response.retry_after
            if deadline is not None and time.monotonic() + delay > deadline:
                break
            time.sleep(delay)
            attempt += 1
        if error is not None:
            raise TransportError(f"{method} {self.url}{path} failed after {attempt + 1} "
                                 f"attempt(s): {error.__class__.__name__}: {error}")
        raise TransportError(f"{method} {self.url}{path}: {response.text() or 'no body'}",
                             status=response.status, body=response.text())

    def get(self, path, deadline=None):
        """GET ``path`` (relative to the base URL) with retries."""
        return self.request("GET", path, deadline=deadline)

    def post(self, path, body, resend_after_send=True, deadline=None):
        """POST CBOR ``body`` to ``path`` with retries (see ``request``)."""
        return self.request("POST", path, body, resend_after_send=resend_after_send,
                            deadline=deadline)


class _Pipe:
    """One keep-alive HTTP/1.1 connection for ``Transport.post_many``: a POST out, its answer
    in (status, Content-Type, Retry-After and the body, by Content-Length or chunked). Connects
    on the first send. Raises OSError (or ValueError on a malformed answer); ``closed`` is set
    when the server ends the connection after an answer."""

    _MAX_LINE = 65536

    def __init__(self, host, port, timeout, ssl_context=None):
        self.host, self.port, self.timeout, self.ssl_context = host, port, timeout, ssl_context
        self.sock = self.reader = None
        self.closed = False
        default_port = 443 if ssl_context is not None else 80
        self.host_header = host if port == default_port else f"{host}:{port}"
        if ":" in host and not host.startswith("["):
            self.host_header = f"[{host}]" + ("" if port == default_port else f":{port}")

    def send(self, target, body):
        """Write one POST of ``body`` (CBOR) to ``target``."""
        if self.sock is None:
            sock = socket.create_connection((self.host, self.port), self.timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.ssl_context is not None:
                sock = self.ssl_context.wrap_socket(sock, server_hostname=self.host)
            self.sock, self.reader = sock, sock.makefile("rb")
        head = (f"POST {target} HTTP/1.1\r\nHost: {self.host_header}\r\nAccept: application/cbor\r\n"
                f"Content-Type: application/cbor\r\nContent-Length: {len(body)}\r\n\r\n")
        self.sock.sendall(head.encode("latin-1") + body)

    def receive(self):
        """Read one answer; return a Response."""
        line = self._line()
        parts = line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise ValueError(f"not an HTTP/1.x status line: {line[:80]!r}")
        status = int(parts[1])
        headers = {}
        while True:
            line = self._line()
            if line in (b"\r\n", b"\n"):
                break
            name, _colon, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if status in (204, 304) or 100 <= status < 200:
            body = b""  # no body, whatever the headers say (RFC 9112 6.3)
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            body = self._chunked()
        elif "content-length" in headers:
            body = self._exactly(int(headers["content-length"]))
        else:
            body = self.reader.read()  # the answer ends with the connection
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close" or parts[0] == b"HTTP/1.0":
            self.close()
        return Response(status, body, headers.get("content-type", "").lower(),
                        _parse_retry_after(headers.get("retry-after")))

    def _line(self):
        line = self.reader.readline(self._MAX_LINE + 1)
        if not line:
            raise ConnectionResetError("the server closed the connection")
        if len(line) > self._MAX_LINE:
            raise ValueError("an HTTP header line is too long")
        return line

    def _exactly(self, size):
        data = self.reader.read(size)
        if len(data) != size:
            raise ConnectionResetError("the connection ended inside an answer")
        return data

    def _chunked(self):
        chunks = []
        while True:
            size = int(self._line().split(b";", 1)[0].strip(), 16)
            if size == 0:
                while self._line() not in (b"\r\n", b"\n"):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(self._exactly(size))
            self._line()

    def close(self):
        """Close the connection (again is fine)."""
        self.closed = True
        for part in (self.reader, self.sock):
            if part is not None:
                try:
                    part.close()
                except OSError:
                    pass
        self.sock = self.reader = None
