"""ic_canister ``state: stopped`` on a canister that awaits a call to another canister: the task
returns only once the canister is stopped (then the result and the registry say so); with a short
``wait_timeout`` it fails naming the option, and the canister stays ``stopping``."""
import json
import os
import subprocess
import threading
import time

import pytest

from factory.harness import Factory, PlaybookRun
from _ic.agent import Agent
from _ic.identity import load_identity_file
from _ic.management import Management
from localnet.node import SYNC_CALL_TIMEOUT as SYNC_CALL_WAIT
from localnet.testing import LocalnetProcess, wait_until
from tests.fixtures.holder_canister import holder_wasm

pytestmark = pytest.mark.slow   # it holds a canister stopping on purpose (about 50 s)

PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: Stop the canister
      icp.canister_factory.ic_canister:
        name: "{{ canister_name }}"
        registry: "{{ registry }}"
        state: stopped
        wait_timeout: "{{ wait_timeout }}"
      register: stop
      ignore_errors: true

    - name: Keep the result for the test
      ansible.builtin.copy:
        content: "{{ stop | to_json }}"
        dest: "{{ result_file }}"
        mode: "0644"
"""
CREATE = """
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - icp.canister_factory.ic_canister:
        name: "{{ canister_name }}"
        registry: "{{ registry }}"
        state: running
"""


@pytest.fixture(scope="module")
def net():
    with LocalnetProcess() as process:
        yield process


class Operator:
    """A work dir with playbooks, and a direct client with the same identity."""

    def __init__(self, net, tmp_path):
        self.factory = Factory(net, tmp_path)
        self.net = net
        self.agent = Agent(net.url, identity=load_identity_file(self.factory.identity),
                           root_key_der=net.root_key_der)
        self.mgmt = Management(self.agent)

    def _write(self, name, text):
        path = os.path.join(self.factory.workdir, name)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        return path

    def _command(self, playbook, extra):
        extra = dict(extra, registry=self.factory.registry)
        return self.factory.command(playbook, "localhost,", extra)

    def play(self, text, **extra):
        command = self._command(self._write("play.yml", text), extra)
        run = PlaybookRun(subprocess.run(command, cwd=self.factory.workdir, env=self.factory.env(),
                                         capture_output=True, text=True, timeout=600, check=False))
        assert run.rc == 0, run.explain()

    def start_stop(self, name, wait_timeout):
        """Start the stop playbook; returns (Popen, result file)."""
        result_file = os.path.join(self.factory.workdir, f"stop-{name}.json")
        command = self._command(self._write(f"stop-{name}.yml", PLAYBOOK), {
            "canister_name": name, "wait_timeout": wait_timeout, "result_file": result_file})
        proc = subprocess.Popen(command, cwd=self.factory.workdir, env=self.factory.env(),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        return proc, result_file

    def run_status(self, canister_id):
        return next(iter(self.mgmt.canister_status(canister_id)["status"]))

    def held_canister(self, name):
        """A registered canister (``name``) that awaits a call to a holder; returns
        (canister id, holder id, thread waiting for the canister's answer)."""
        self.play(CREATE, canister_name=name)
        waiter = self.factory.entries()[name]["canister_id"]
        holder = self.mgmt.provisional_create_canister_with_cycles(amount=10**13)
        for cid in (waiter, holder):
            self.mgmt.install_code(cid, holder_wasm(), mode="install")
        answer = []
        thread = threading.Thread(target=lambda: answer.append(
            self.agent.update(waiter, "wait", holder.raw)), daemon=True)
        thread.start()
        rounds = lambda: int.from_bytes(self.agent.query(holder, "rounds", b""), "little")  # noqa: E731
        assert wait_until(lambda: rounds() > 1, timeout=20), "the holder never held"
        return waiter, holder, thread


def _result(result_file):
    with open(result_file, encoding="utf-8") as handle:
        return json.load(handle)


def test_state_stopped_waits_until_the_canister_is_stopped(net, tmp_path):
    op = Operator(net, tmp_path)
    waiter, holder, waiting = op.held_canister("held")
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
    result = _result(result_file)
    assert not result.get("failed"), result
    assert result["changed"] and result["status"] == "stopped", result
    assert op.run_status(waiter) == "stopped"
    assert op.factory.entries()["held"]["status"] == "stopped"
    waiting.join(20)


def test_state_stopped_times_out_with_a_clear_message(net, tmp_path):
    op = Operator(net, tmp_path)
    waiter, holder, _ = op.held_canister("stuck")
    proc, result_file = op.start_stop("stuck", 2)
    output = proc.communicate(timeout=120)[0]
    assert proc.returncode == 0, output[-3000:]
    result = _result(result_file)
    assert result.get("failed"), result
    assert result["msg"].startswith("wait_timeout: "), result["msg"]
    assert f"canister {waiter} is still stopping after 2 s (wanted stopped)" in result["msg"]
    assert op.run_status(waiter) == "stopping"
    assert op.factory.entries()["stuck"]["status"] != "stopped"

    op.agent.update(holder, "release", b"DIDL\x00\x00")
    assert wait_until(lambda: op.run_status(waiter) == "stopped", timeout=30)
