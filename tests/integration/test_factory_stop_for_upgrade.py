"""deploy_factory.yml upgrades the factory the way the IC recommends for a canister that makes
calls of its own: stop (its open call contexts closed), upgrade, start; a failed upgrade starts it
again on the old module; a factory whose module is current is not stopped at all (no update call).
The rule lives in ic_code (stop_for_upgrade), which the factory role turns on."""
import gzip
import hashlib
import os
import sys
import threading
import time

import pytest
import yaml

from factory.canister_client import TemplateClient
from factory.harness import ROOT, Factory
from localnet.testing import LocalnetProcess

SHIPPED = os.path.join(ROOT, "wasm", "factory.wasm.gz")


def lifecycle_calls(net):
    """stop_canister and start_canister calls localnet has answered so far."""
    counts = net.metrics()["by_method"]
    return tuple(sum(n for key, n in counts.items() if key.endswith("." + method))
                 for method in ("stop_canister", "start_canister"))


def status(op):
    """(run status, module hash) of the factory canister, read through localnet's admin surface."""
    factory_id = op.entries()["factory"]["canister_id"]
    live = next(c for c in op.net.canisters() if c["id"] == factory_id)
    return live["status"], live["module_hash"]


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    with LocalnetProcess() as net:
        base = tmp_path_factory.mktemp("factory-stop")
        op = Factory(net, base)
        run = op.play("deploy_factory.yml", extra_vars={"factory_templates": ["user"]})
        assert run.rc == 0, run.explain()
        # The same code gzipped another way: another module hash, so the role upgrades to it.
        other = str(base / "factory-regzipped.wasm.gz")
        with open(other, "wb") as handle:
            handle.write(gzip.compress(gzip.decompress(open(SHIPPED, "rb").read()), compresslevel=1, mtime=0))
        yield op, other


def deploy(op, wasm):
    digest = hashlib.sha256(open(wasm, "rb").read()).hexdigest()
    return op.play("deploy_factory.yml", extra_vars={"factory_templates": ["user"], "factory_wasm": wasm,
                                                     "factory_wasm_sha256": digest}), digest


def upgrade_playbook(path, wasm, **options):
    """A playbook of one ic_code task that upgrades the factory to ``wasm`` with stop_for_upgrade
    (and ``options``); returns its path."""
    task = {"network": "{{ icp_network }}", "identity": "{{ icp_identity }}", "root_key": "{{ icp_root_key }}",
            "name": "factory", "registry": "{{ icp_registry }}", "stop_for_upgrade": True,
            "wasm": wasm, "mode": "upgrade", **options}
    path.write_text(yaml.safe_dump([{
        "hosts": "localhost", "connection": "local", "gather_facts": False,
        "vars": {"ansible_python_interpreter": sys.executable},
        "roles": ["icp.canister_factory.connection"],
        "tasks": [{"name": "Upgrade the factory", "icp.canister_factory.ic_code": task}],
    }]))
    return str(path)


def test_an_upgrade_stops_and_starts_the_factory_and_a_current_one_is_left_alone(deployed):
    op, other = deployed
    before = lifecycle_calls(op.net)
    run, digest = deploy(op, other)
    assert run.rc == 0 and run.total("changed") > 0, run.explain()
    assert lifecycle_calls(op.net) == (before[0] + 1, before[1] + 1)
    assert status(op) == ("running", digest)

    calls = op.update_calls()
    again, _ = deploy(op, other)
    assert again.rc == 0 and again.total("changed") == 0, again.explain()
    assert op.update_calls() == calls and lifecycle_calls(op.net) == (before[0] + 1, before[1] + 1)


def test_a_failed_upgrade_leaves_the_factory_running_the_old_module(deployed):
    op, other = deployed
    running_before = status(op)
    before = lifecycle_calls(op.net)
    op.net.faults({"match": {"method": "install_code"}, "action": "http_503", "count": None})
    try:
        run, _ = deploy(op, SHIPPED)
    finally:
        op.net.faults(clear=True)
    assert run.rc != 0, run.explain()
    assert status(op) == running_before
    assert lifecycle_calls(op.net) == (before[0] + 1, before[1] + 1)


def test_an_upgrade_that_traps_leaves_the_factory_running_the_old_module(deployed, tmp_path):
    """A module whose upgrade the canister refuses (another template's stable memory layout): the
    IC keeps the old module, and ic_code starts the factory again."""
    op, _ = deployed
    running_before = status(op)
    before = lifecycle_calls(op.net)
    playbook = upgrade_playbook(tmp_path / "trap.yml", os.path.join(ROOT, "wasm", "user-0.1.0.wasm.gz"),
                                arg=f'(record {{ owner = principal "{op.principal}" }})')
    run = op.play(playbook, inventory="localhost,")
    assert run.rc != 0 and "Memory-incompatible program upgrade" in " ".join(run.messages()), run.explain()
    assert status(op) == running_before
    assert lifecycle_calls(op.net) == (before[0] + 1, before[1] + 1)
    factory_id = op.entries()["factory"]["canister_id"]
    idle_policy = op.play("deploy_factory.yml", extra_vars={"factory_templates": ["user"]})
    assert idle_policy.rc == 0, idle_policy.explain()  # it answers again: the old module runs
    assert status(op)[0] == "running" and op.entries()["factory"]["canister_id"] == factory_id


def test_a_stop_that_does_not_end_in_time_is_called_off_and_nothing_is_installed(deployed, tmp_path):
    """The factory awaits a call of its own (a sign-up's install_code, held by localnet for
    ``hold`` seconds), so it stays ``stopping``: after ``wait_timeout`` ic_code fails without
    installing, and starts the factory again, which then finishes the sign-up on the old module."""
    op, other = deployed
    running_before = status(op)
    before = lifecycle_calls(op.net)
    factory_id = op.entries()["factory"]["canister_id"]
    hold = 30  # the playbook takes ~12 s: the v4 stop_canister call is answered after the sync wait (~10 s)
    op.net.faults({"match": {"endpoint": "canister_call", "canister": "aaaaa-aa", "method": "install_code",
                             "sender": factory_id}, "action": "hold_call", "seconds": hold})
    app = TemplateClient(op.net, op.identity, template="factory")
    signed_up = {}
    signing_up = threading.Thread(target=lambda: signed_up.update(reply=app.update(
        factory_id, "create_user_canister", f'(principal "{op.principal}")')))
    started = time.monotonic()
    signing_up.start()
    try:
        time.sleep(1.0)  # the sign-up reaches its held install_code: a call context the factory keeps open
        run = op.play(upgrade_playbook(tmp_path / "upgrade.yml", other, wait_timeout=3), inventory="localhost,")
        assert time.monotonic() - started < hold, "the hold ended before the upgrade's stop timed out: nothing tested"
    finally:
        signing_up.join(timeout=60)
        op.net.faults(clear=True)
    assert run.rc != 0, run.explain()
    assert any("wait_timeout" in m and "stopping" in m for m in run.messages()), run.explain()
    assert status(op) == running_before, "called off: the factory runs its old module"
    assert lifecycle_calls(op.net) == (before[0] + 1, before[1] + 1)
    assert "Ok" in signed_up.get("reply", "") or "ok" in signed_up.get("reply", ""), signed_up


def test_a_policy_for_a_template_the_same_run_registers(deployed):
    """deploy_factory compares the policy before it registers new templates: a policy for one of
    them is a pending change (from the factory's defaults), not an unknown template."""
    op, _ = deployed
    extra = {"factory_templates": ["user", "gallery"],
             "factory_template_policies": {"gallery": {"band_min": 400_000_000_000}}}
    run = op.play("deploy_factory.yml", extra_vars=extra)
    assert run.rc == 0 and run.total("changed") > 0, run.explain()
    calls = op.update_calls()
    again = op.play("deploy_factory.yml", extra_vars=extra)
    assert again.rc == 0 and again.total("changed") == 0 and op.update_calls() == calls, again.explain()
    wrong = op.play("deploy_factory.yml", extra_vars=dict(extra, factory_template_policies={"no_such": {"band_min": 1}}))
    assert wrong.rc != 0 and "template_policies.no_such: the factory has no template" in " ".join(wrong.messages())
