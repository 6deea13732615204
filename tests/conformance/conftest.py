"""Fixtures for conformance tests: localnet driven by real, unmodified clients."""
import json
import os
import shutil
import subprocess

import pytest

from localnet.testing import LocalnetProcess

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ICP = os.path.join(REPO, "node_modules", "@icp-sdk", "icp-cli-linux-x64", "bin", "icp")
NODE_MODULES = os.path.join(REPO, "node_modules")


@pytest.fixture(scope="module")
def net():
    """A localnet for one test module."""
    with LocalnetProcess() as process:
        yield process


class IcpCli:
    """icp-cli 1.5.0 with a throw-away HOME, pointed at one localnet."""

    def __init__(self, home, net):
        self.home = home
        self.net = net
        self.env = dict(os.environ, HOME=home, DO_NOT_TRACK="1", NO_COLOR="1")

    def run(self, *args, identity=None, check=True):
        """Run ``icp <args> -n URL -k KEY``; returns CompletedProcess."""
        cmd = [ICP, *args]
        if args[0] == "canister":
            cmd += ["-n", self.net.url, "-k", self.net.root_key_hex]
            if identity:
                cmd += ["--identity", identity]
        out = subprocess.run(cmd, env=self.env, cwd=self.home, capture_output=True,
                             text=True, timeout=60)
        if check and out.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed ({out.returncode}):\n"
                                 f"{out.stdout}\n{out.stderr}")
        return out

    def new_identity(self, name):
        """Create a plaintext identity; returns its principal text."""
        self.run("identity", "new", name, "--storage", "plaintext", "-q")
        return self.run("identity", "principal", "--identity", name).stdout.strip()


@pytest.fixture(scope="module")
def icp(net, tmp_path_factory):
    """icp-cli with identities ``alice`` (default) and ``bob``."""
    if not os.access(ICP, os.X_OK):
        pytest.fail(f"icp-cli is not installed at {ICP} (npm install)")
    cli = IcpCli(str(tmp_path_factory.mktemp("icp-home")), net)
    cli.alice = cli.new_identity("alice")
    cli.bob = cli.new_identity("bob")
    cli.run("identity", "default", "alice")
    return cli


@pytest.fixture(scope="session")
def run_node():
    """Runner of node scripts from tests/conformance: ``run_node(script, *args) -> JSON``."""
    return _run_node


def _run_node(script, *args):
    """Run a node script from tests/conformance; returns its JSON output."""
    if shutil.which("node") is None:
        pytest.fail("node is not installed")
    out = subprocess.run(["node", os.path.join(os.path.dirname(__file__), script), *args],
                         env=dict(os.environ, NODE_PATH=NODE_MODULES), cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise AssertionError(f"{script} failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])
