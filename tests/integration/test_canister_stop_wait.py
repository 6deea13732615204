"""ic_canister ``state: stopped`` on a canister that awaits a call to another canister: the task
returns only once the canister is stopped (then the result and the registry say so); with a short
``wait_timeout`` it fails naming the option, and the canister stays ``stopping``."""
import subprocess
import threading
import time

import pytest

from factory.harness import Factory, task_result
from _ic.agent import Agent
from _ic.identity import load_identity_file
from _ic.management import Management
from localnet.node import SYNC_CALL_TIMEOUT as SYNC_CALL_WAIT
from localnet.testing import wait_until
from tests.fixtures.holder_canister import holder_wasm

pytestmark = pytest.mark.slow   # it holds a canister stopping on purpose (about 50 s)

class Operator:
    """A work dir with playbooks, and a direct client with the same identity."""

    def __init__(self, net, tmp_path):
        self.factory = Factory(net, tmp_path)
        self.net = net
        self.agent = Agent(net.url, identity=load_identity_file(self.factory.identity),
                           root_key_der=net.root_key_der)
        self.mgmt = Management(self.agent)
        self.waiting = []

    def start_stop(self, name, wait_timeout):
        """Start ic_canister ``state: stopped`` in a playbook; returns (Popen, result file)."""
        command, result_file = self.factory.task_command(
            "ic_canister", {"name": name, "registry": self.factory.registry, "state": "stopped",
                            "wait_timeout": wait_timeout}, label=f"stop-{name}")
        proc = subprocess.Popen(command, cwd=self.factory.workdir, env=self.factory.env(),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        return proc, result_file

    def run_status(self, canister_id):
        return next(iter(self.mgmt.canister_status(canister_id)["status"]))

    def held_canister(self, name):
        """A registered canister (``name``) that awaits a call to a holder; returns
        (canister id, holder id)."""
        _, made = self.factory.task("ic_canister", {"name": name, "registry": self.factory.registry,
                                                    "state": "running"}, label=f"create-{name}")
        assert not made.get("failed"), made
        waiter = made["canister_id"]
        holder = self.mgmt.provisional_create_canister_with_cycles(amount=10**13)
        for cid in (waiter, holder):
            self.mgmt.install_code(cid, holder_wasm(), mode="install")

        def wait_for_the_answer():
            # The outcome is not what these tests check; an error (the call rejected when the
            # canister stops) must not escape the thread.
            try:
                self.agent.update(waiter, "wait", holder.raw)
            except Exception:  # pylint: disable=broad-except
                pass

        thread = threading.Thread(target=wait_for_the_answer, daemon=True)
        thread.start()
        self.waiting.append(thread)
        rounds = lambda: int.from_bytes(self.agent.query(holder, "rounds", b""), "little")  # noqa: E731
        assert wait_until(lambda: rounds() > 1, timeout=20), "the holder never held"
        return waiter, holder

    def close(self):
        """Wait for the waiting calls (each ends once its holder is released and the waiter
        stopped), then close the agent: no thread outlives the test, nor its localnet."""
        for thread in self.waiting:
            thread.join(60)
            assert not thread.is_alive(), "a waiting call did not end"
        self.agent.close()


@pytest.fixture
def op(net, tmp_path):
    operator = Operator(net, tmp_path)
    yield operator
    operator.close()


def test_state_stopped_waits_until_the_canister_is_stopped(op):
    waiter, holder = op.held_canister("held")
    proc, result_file = op.start_stop("held", 120)
    assert wait_until(lambda: op.run_status(waiter) == "stopping", timeout=60)
    # Longer than a replica holds a synchronous call (10 s) before answering 202, so a task that
    # does not wait for the stop's answer has returned by now.
    time.sleep(SYNC_CALL_WAIT + 3)
    assert proc.poll() is None, "ic_canister returned while the canister was still stopping"
    released_at = time.monotonic()
    op.agent.update(holder, "release", b"DIDL\x00\x00")
    output = proc.communicate(timeout=120)[0]
    assert proc.returncode == 0, output[-3000:]
    assert time.monotonic() >= released_at
    result = task_result(result_file)
    assert not result.get("failed"), result
    assert result["changed"] and result["status"] == "stopped", result
    assert op.run_status(waiter) == "stopped"
    assert op.factory.entries()["held"]["status"] == "stopped"


def test_state_stopped_times_out_with_a_clear_message(op):
    waiter, holder = op.held_canister("stuck")
    proc, result_file = op.start_stop("stuck", 2)
    output = proc.communicate(timeout=120)[0]
    assert proc.returncode == 0, output[-3000:]
    result = task_result(result_file)
    assert result.get("failed"), result
    assert result["msg"].startswith("wait_timeout: "), result["msg"]
    assert f"canister {waiter} is still stopping after 2 s (wanted stopped)" in result["msg"]
    assert op.run_status(waiter) == "stopping"
    assert op.factory.entries()["stuck"]["status"] != "stopped"

    op.agent.update(holder, "release", b"DIDL\x00\x00")
    assert wait_until(lambda: op.run_status(waiter) == "stopped", timeout=30)
