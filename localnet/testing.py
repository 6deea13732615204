"""Run localnet as a subprocess for tests: ``LocalnetProcess``.

    with LocalnetProcess() as net:
        agent = Agent(net.url, identity, root_key_der=net.root_key_der)
        net.faults({"match": {"method": "install_code"}, "action": "http_503"})

Starts ``python -m localnet serve`` on a free loopback port in a temporary state directory
(or the one given), waits until it prints its URL, and talks to its admin surface.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalnetError(RuntimeError):
    """The subprocess failed to start or an admin request failed."""


class LocalnetProcess:
    """A localnet subprocess with helpers for its admin surface."""

    def __init__(self, state_dir=None, port=None, clean=False, log_level="warning",
                 python=None, start=True, timeout=30.0, reply_shape=None, subnets=1):
        self._own_dir = state_dir is None
        self.state_dir = state_dir or tempfile.mkdtemp(prefix="localnet-")
        self.port = port
        self.clean = clean
        self.log_level = log_level
        self.python = python or sys.executable
        self.timeout = timeout
        # LOCALNET_REPLY_SHAPE runs a whole test session against an older/newer replica.
        self.reply_shape = reply_shape or os.environ.get("LOCALNET_REPLY_SHAPE") or "spec"
        self.subnets = subnets
        self.proc = None
        self.url = None
        self.root_key_hex = None
        self._output = []
        if start:
            self.start()

    @property
    def root_key_der(self):
        """The root key as DER bytes."""
        return bytes.fromhex(self.root_key_hex)

    @property
    def output(self):
        """Everything the process printed so far."""
        return "".join(self._output)

    def start(self):
        """Start the subprocess and wait until it is ready (raises LocalnetError)."""
        port = self.port or free_port()
        cmd = [self.python, "-m", "localnet", "serve", "--port", str(port),
               "--state-dir", self.state_dir, "--log-level", self.log_level]
        if self.clean:
            cmd.append("--clean")
        if self.reply_shape != "spec":
            cmd += ["--reply-shape", self.reply_shape]
        if self.subnets != 1:
            cmd += ["--subnets", str(self.subnets)]
        self.proc = subprocess.Popen(cmd, cwd=_REPO, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1)
        ready = threading.Event()
        threading.Thread(target=self._pump, args=(ready,), daemon=True).start()
        if not ready.wait(self.timeout) or self.url is None:
            self.kill()
            raise LocalnetError(f"localnet did not start within {self.timeout}s:\n{self.output}")
        self.port = port
        return self

    def _pump(self, ready):
        for line in self.proc.stdout:
            self._output.append(line)
            if line.startswith("root key: "):
                self.root_key_hex = line.split(": ", 1)[1].strip()
            elif line.startswith("url: "):
                self.url = line.split(": ", 1)[1].strip()
            elif line.startswith("localnet ") and line.rstrip().endswith(" ready"):
                ready.set()
        ready.set()

    def stop(self, timeout=10.0):
        """SIGTERM and wait; kills after ``timeout``. Removes a temporary state dir."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        if self._own_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def kill(self):
        """SIGKILL the process (the state dir stays: crash tests restart on it)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def restart(self):
        """Stop (without removing the state dir) and start again on the same port."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)
        self.url = None
        self._output = []
        self.clean = False
        return self.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    # --- admin surface --------------------------------------------------------------------
    def admin(self, method, name, payload=None):
        """Call ``/_/<name>``; returns the decoded JSON."""
        data = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request(f"{self.url}/_/{name}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as reply:
                return json.load(reply)
        except urllib.error.HTTPError as err:
            raise LocalnetError(f"/_/{name}: HTTP {err.code}: {err.read().decode()}") from None

    def metrics(self):
        """``GET /_/metrics``."""
        return self.admin("GET", "metrics")

    def faults(self, rule=None, clear=False):
        """Add a fault rule (``/_/faults``), or clear them all; returns the answer."""
        if clear:
            return self.admin("DELETE", "faults")
        return self.admin("POST", "faults", rule)

    def advance_time(self, seconds):
        """Move the network's clock forward; returns the new time in ns."""
        return self.admin("POST", "time", {"advance_seconds": seconds})["now_ns"]

    def mint(self, to, amount, subaccount=None):
        """Credit cycles to a cycles-ledger account; returns the new balance."""
        payload = {"to": str(to), "amount": int(amount)}
        if subaccount is not None:
            payload["subaccount"] = bytes(subaccount).hex()
        return self.admin("POST", "mint", payload)["balance"]

    def canisters(self):
        """``GET /_/canisters``."""
        return self.admin("GET", "canisters")

    def subnet_list(self):
        """``GET /_/subnets``: id, ranges, keys of every subnet, the root first."""
        return self.admin("GET", "subnets")


MINIMAL_WASM = b"\x00asm\x01\x00\x00\x00"


def custom_section(name, data):
    """A Wasm custom section ``name`` holding ``data`` (append it to a module)."""
    body = _uleb(len(name.encode())) + name.encode() + data
    return b"\x00" + _uleb(len(body)) + body


def _uleb(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def wait_until(predicate, timeout=10.0, interval=0.05):
    """Poll ``predicate`` until it is true; returns its value or raises TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(interval)
