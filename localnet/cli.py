"""Command line: ``serve``, ``status`` and ``stop`` for a state directory."""
import argparse
import fcntl
import json
import logging
import os
import signal
import sys
import threading
import time
import urllib.request

from . import VERSION

INFO_FILE = "localnet.json"
LOCK_FILE = "localnet.lock"


def _lock(state_dir):
    """An exclusive lock on the state dir (held while serving), or None if it is taken.

    The OS drops it when the process dies, even by SIGKILL, so it tells a running server
    from a stale ``localnet.json``.
    """
    handle = open(os.path.join(state_dir, LOCK_FILE), "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


def _serve(args):
    # Imported here so that ``status`` and ``stop`` start without loading the network.
    from .node import Node
    from .server import Server
    logging.basicConfig(level=getattr(logging, args.log_level.upper()),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.makedirs(args.state_dir, exist_ok=True)
    lock = _lock(args.state_dir)
    if lock is None:
        print(f"localnet: {args.state_dir} is in use by another running localnet",
              file=sys.stderr)
        return 1
    try:
        node = Node(args.state_dir, clean=args.clean, reply_shape=args.reply_shape,
                    subnets=args.subnets)
    except ValueError as err:
        print(f"localnet: {err}", file=sys.stderr)
        return 1
    try:
        server = Server(node, args.host, args.port)
    except OSError as err:
        node.close()
        print(f"localnet: cannot listen on {args.host}:{args.port}: {err.strerror}",
              file=sys.stderr)
        return 1
    root_hex = node.keys.root_key_der.hex()
    _write(os.path.join(args.state_dir, "root_key.hex"), root_hex + "\n")
    info = {"url": server.url, "pid": os.getpid(), "root_key": root_hex, "version": VERSION}
    if len(node.topology) > 1:
        info["subnets"] = [str(s.subnet_id) for s in node.topology.subnets]
    _write(os.path.join(args.state_dir, INFO_FILE), json.dumps(info))

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"root key: {root_hex}", flush=True)
    print(f"url: {server.url}", flush=True)
    node.start_timers()
    print(f"localnet {VERSION} ready", flush=True)
    try:
        server.serve_forever(poll_interval=0.05)
    finally:
        server.server_close()
        node.close()
        try:
            os.remove(os.path.join(args.state_dir, INFO_FILE))
        except OSError:
            pass
    print("localnet stopped", flush=True)
    return 0


def _write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def _info(state_dir):
    try:
        with open(os.path.join(state_dir, INFO_FILE), encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def _status(args):
    info = _info(args.state_dir)
    if info is None:
        print(f"localnet is not running in {args.state_dir}")
        return 1
    try:
        with urllib.request.urlopen(info["url"] + "/_/metrics", timeout=5) as reply:
            metrics = json.load(reply)
    except OSError as err:
        print(f"localnet (pid {info['pid']}) at {info['url']} does not answer: {err}")
        return 1
    print(f"localnet running: url {info['url']} pid {info['pid']}")
    print(f"root key: {info['root_key']}")
    print(f"update calls {metrics['update_calls']}, queries {metrics['queries']}, "
          f"read_states {metrics['read_states']}")
    return 0


def _stop(args):
    info = _info(args.state_dir)
    if info is None:
        print(f"localnet is not running in {args.state_dir}")
        return 0
    lock = _lock(args.state_dir)
    if lock is not None:  # nobody holds it: the info file is stale, its pid may be reused
        lock.close()
        os.remove(os.path.join(args.state_dir, INFO_FILE))
        print("localnet was not running (stale state removed)")
        return 0
    try:
        os.kill(info["pid"], signal.SIGTERM)
    except ProcessLookupError:
        print("localnet exited already")
        return 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _info(args.state_dir) is not None:
        time.sleep(0.05)
    print("localnet stopped")
    return 0


def main(argv=None):
    """Entry point of ``python -m localnet``."""
    parser = argparse.ArgumentParser(prog="python -m localnet",
                                     description="A local single-subnet IC network.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the network in the foreground")
    serve.add_argument("--port", type=int, default=4943)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--state-dir", required=True)
    serve.add_argument("--clean", action="store_true", help="start from an empty state")
    serve.add_argument("--subnets", type=int, default=1,
                       help="number of subnets (default 1); the first is the root subnet, "
                            "the others certify through its delegation")
    serve.add_argument("--log-level", default="warning",
                       choices=["debug", "info", "warning", "error"])
    serve.add_argument("--reply-shape", default="spec", choices=["older", "spec", "newer"],
                       help="answer management calls as an older replica (without the "
                            "2025-2026 fields), as the spec, or as a newer one (extra fields "
                            "and variant cases)")
    for name, text in (("status", "show whether a network runs in a state dir"),
                       ("stop", "stop the network running in a state dir")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("--state-dir", required=True)
    args = parser.parse_args(argv)
    return {"serve": _serve, "status": _status, "stop": _stop}[args.command](args)
