"""Benchmark localnet: certified updates/s and queries/s over loopback, as ratios.

Run from the repo root: ``.venv/bin/python bench/localnet.py [--seconds 5] [--threads 4]``.

Requests are signed (Ed25519) before the clock starts so the figures are the server's; a
sample of answers is verified afterwards (certificate BLS signature, query node signature).
Peers measured in the same run: a bare stdlib HTTP server answering the same bodies with a
fixed reply (the Python HTTP floor on this machine), and the targets (300 updates/s,
1,000 queries/s).
"""
import argparse
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import localnet  # noqa: E402,F401  (puts plugins/module_utils on sys.path)
from _ic import candid, cbor  # noqa: E402
from _ic.identity import Ed25519Identity  # noqa: E402
from _ic.principal import Principal  # noqa: E402
from localnet.client import MiniClient, check_query_signature, outcome_of  # noqa: E402
from localnet.management.interface import DID  # noqa: E402
from localnet.testing import LocalnetProcess  # noqa: E402

UPDATE_TARGET = 300
QUERY_TARGET = 1000
MGMT = Principal.management()


class _Bare(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers["Content-Length"]))
        body = b"\xd9\xd9\xf7\xa0"
        # One write per answer, as localnet does, so this is the floor and not Nagle's delay.
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/cbor\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def log_message(self, *args):
        pass


def _exchange(sock, reader, request):
    sock.sendall(request)
    status_line = reader.readline()
    length = 0
    while True:
        line = reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return int(status_line.split()[1]), reader.read(length)


def blast(host, port, path, bodies, threads):
    """POST every body over ``threads`` keep-alive connections; returns (rate, answers).

    A raw-socket client (pre-built request bytes, no header parsing beyond Content-Length)
    keeps the client's share of the two cores small, so the rate is the server's.
    """
    answers = [None] * len(bodies)
    requests = [(f"POST {path(i)} HTTP/1.1\r\nHost: {host}\r\n"
                 f"Content-Type: application/cbor\r\nContent-Length: {len(body)}\r\n\r\n"
                 ).encode() + body for i, body in enumerate(bodies)]

    def worker(index):
        with socket.create_connection((host, port)) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            reader = sock.makefile("rb")
            for i in range(index, len(bodies), threads):
                answers[i] = _exchange(sock, reader, requests[i])

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return len(bodies) / (time.perf_counter() - started), answers


def cpu_seconds(pid):
    """User + system CPU time of process ``pid`` (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(pid, run):
    """``run()`` → (rate, answers, server CPU seconds per request)."""
    before = cpu_seconds(pid)
    rate, answers = run()
    return rate, answers, (cpu_seconds(pid) - before) / len(answers)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=1500)
    parser.add_argument("--queries", type=int, default=4000)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    with LocalnetProcess() as net:
        client = MiniClient(net.url, Ed25519Identity.generate(), net.root_key_der)
        cid = client.create_canister()
        host, port = net.url.split("//")[1].split(":")
        port = int(port)
        arg = candid.encode(DID.arg_types("canister_status"), [{"canister_id": cid}])
        calls = [client.content("call", MGMT, "canister_status", arg,
                                expiry=time.time_ns() + 240 * 10 ** 9)
                 for _ in range(args.updates)]
        call_bodies = [client.envelope(c) for c in calls]
        queries = [dict(client.content("query", MGMT, "canister_status", arg), nonce=os.urandom(8))
                   for _ in range(args.queries)]
        query_bodies = [client.envelope(q) for q in queries]

        bare = ThreadingHTTPServer(("127.0.0.1", 0), _Bare)
        bare.daemon_threads = True
        threading.Thread(target=bare.serve_forever, daemon=True).start()
        bare_rate, _ = blast("127.0.0.1", bare.server_address[1], lambda i: "/x",
                             query_bodies[:2000], args.threads)
        bare.shutdown()

        pid = net.proc.pid
        update_rate, update_answers, update_cpu = measured(pid, lambda: blast(
            host, port, lambda i: f"/api/v4/canister/{cid}/call", call_bodies, args.threads))
        query_rate, query_answers, query_cpu = measured(pid, lambda: blast(
            host, port, lambda i: f"/api/v3/canister/{cid}/query", query_bodies, args.threads))

        assert all(status == 200 for status, _ in update_answers + query_answers)
        node_key = _node_key(client, cid, net.root_key_der)
        for i in range(0, len(calls), max(1, len(calls) // 20)):
            cert = client.verify(cbor.loads(update_answers[i][1])["certificate"])
            outcome_of(cert, cbor.request_id(calls[i]))
        for i in range(0, len(queries), max(1, len(queries) // 20)):
            check_query_signature(cbor.loads(query_answers[i][1]), cbor.request_id(queries[i]),
                                  node_key)
        client.close()

    print(f"localnet benchmark ({os.cpu_count()} cores, {args.threads} client threads, "
          f"loopback, keep-alive, load average {os.getloadavg()[0]:.1f})")
    print(f"  bare stdlib HTTP round trips : {bare_rate:8.0f}/s")
    print(f"  certified updates (v4 call)  : {update_rate:8.0f}/s  = "
          f"{update_rate / UPDATE_TARGET:.2f}x the 300/s target, "
          f"{update_rate / bare_rate:.2f}x bare HTTP")
    print(f"  queries (v3, node-signed)    : {query_rate:8.0f}/s  = "
          f"{query_rate / QUERY_TARGET:.2f}x the 1000/s target, "
          f"{query_rate / bare_rate:.2f}x bare HTTP")
    # Server CPU per request does not depend on what else runs on the machine.
    print(f"  server CPU per update        : {update_cpu * 1e6:8.0f} us  -> "
          f"{1 / update_cpu / UPDATE_TARGET:.2f}x the target on one core")
    print(f"  server CPU per query         : {query_cpu * 1e6:8.0f} us  -> "
          f"{1 / query_cpu / QUERY_TARGET:.2f}x the target on one core")
    return 0


def _node_key(client, cid, root_key_der):
    from _ic.hashtree import list_labels, lookup_subtree
    subnet = Principal.self_authenticating(root_key_der)
    cert = client.read_state(cid, [[b"subnet"]])
    nodes = list_labels(lookup_subtree(cert.tree, [b"subnet", subnet.raw, b"node"]).value)
    return cert.lookup([b"subnet", subnet.raw, b"node", nodes[0], b"public_key"])


if __name__ == "__main__":
    sys.exit(main())
