"""Shared pieces of the end-to-end execution tests (test_exec_*.py): a localnet that reuses
the compiled-module cache, the fixture canisters, and icp-cli reply decoding."""
import os

import pytest

import exec_builds
from _ic import candid
from localnet.testing import LocalnetProcess

CWASM_CACHE = os.path.join(exec_builds.ROOT, "build", "test-canisters", "cwasm")


@pytest.fixture(scope="module")
def net():
    """A localnet for one test module, sharing compiled canister modules with other runs."""
    previous = os.environ.get("LOCALNET_WASM_CACHE")
    os.environ["LOCALNET_WASM_CACHE"] = CWASM_CACHE
    try:
        with LocalnetProcess() as process:
            yield process
    finally:
        if previous is None:
            os.environ.pop("LOCALNET_WASM_CACHE", None)
        else:
            os.environ["LOCALNET_WASM_CACHE"] = previous


def fixture_wasm(name):
    """Wasm bytes of a fixture canister (``Counter``, ``Counter.v2``, ``Factory``, ...)."""
    try:
        if name == "Counter":
            return exec_builds.counter(1)
        if name == "Counter.v2":
            return exec_builds.counter(2)
        return exec_builds.build([name])[name]
    except exec_builds.BuildUnavailable as exc:
        pytest.fail(str(exc))


def write_wasm(tmp_path, name):
    """Path of a file holding fixture canister ``name``."""
    path = tmp_path / (name + ".wasm")
    path.write_bytes(fixture_wasm(name))
    return str(path)


def call_hex(icp, cid, method, types, values, result_types=None, identity=None, query=False,
             check=True):
    """``icp canister call`` with a binary Candid argument; returns the decoded reply, or the
    CompletedProcess when the call fails and ``check`` is False."""
    arg = icp.home + f"/arg-{method}.bin"
    with open(arg, "wb") as fh:
        fh.write(candid.encode(types, values))
    extra = ["--query"] if query else []
    out = icp.run("canister", "call", cid, method, "--args-file", arg, "--args-format", "bin",
                  "-o", "hex", *extra, identity=identity, check=check)
    if out.returncode != 0:
        return out
    return candid.decode(bytes.fromhex(out.stdout.strip()), result_types)


def cycles_of(net, cid):
    """A canister's balance from localnet's admin surface (None when it does not exist)."""
    for entry in net.canisters():
        if entry["id"] == cid:
            return entry["cycles"]
    return None


def controllers_of(net, cid):
    """A canister's controllers from localnet's admin surface."""
    for entry in net.canisters():
        if entry["id"] == cid:
            return entry["controllers"]
    return None
