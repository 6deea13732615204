"""ic_fleet's action plugin: a converged fleet is answered by the controller probe without a
module run; anything that would change goes to the module, whose ``main()`` runs in the
controller process when the task's Python is the controller's (as in provision.yml), else as a
module process. Proven through ansible-playbook -vvv (the local connection logs an ``EXEC`` line
for every module process it starts, the plugin a line for a run in the controller) and
localnet's update-call count; a run in the controller and a module process give the same result."""
import json
import os
import subprocess
import sys

import pytest

from factory.harness import Factory, PlaybookRun, users

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHOW = "Show the fleet result"


def _playbook(workdir, name, tasks_play):
    path = os.path.join(workdir, name)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(tasks_play)
    return path


def provision_and_show(factory, inventory, probe=True, *options):
    """provision.yml and a debug of its registered result, with -vvv; the probe on or off."""
    path = _playbook(factory.workdir, "show.yml", f"""
- ansible.builtin.import_playbook: {ROOT}/playbooks/provision.yml
- hosts: localhost
  gather_facts: false
  tasks:
    - name: {SHOW}
      ansible.builtin.debug:
        var: _fleet
""")
    env = dict(factory.env(), ICP_FLEET_CONTROLLER_PROBE="1" if probe else "0")
    command = factory.command(path, inventory, forks=4) + ["-vvv"] + list(options)
    return PlaybookRun(subprocess.run(command, cwd=factory.workdir, env=env, capture_output=True, text=True,
                                      timeout=600, check=False))


def module_processes(run):
    """Module processes the local connection started (one ``EXEC`` line each)."""
    return sum(1 for line in run.stdout.splitlines() if "> EXEC " in line)


def controller_runs(run):
    """Runs of the module's ``main()`` in the controller process (the plugin logs each under -vvv)."""
    return run.stdout.count("ic_fleet: running the module in the controller process")


def module_runs(run):
    """Module runs of either kind: a process, or ``main()`` in the controller."""
    return module_processes(run) + controller_runs(run)


def fleet_result(run):
    """The registered ``_fleet`` as the debug task printed it."""
    text = run.stdout.split(f"TASK [{SHOW}]", 1)[1]
    block = text[text.index("ok: [localhost] => {"):].split("\n", 1)[1]
    lines = ["{"]
    for line in block.splitlines():
        lines.append(line)
        if line == "}":
            break
    return json.loads("\n".join(lines))["_fleet"]


def comparable(result):
    """The result without what moves between two runs (time; balances, which idle canisters burn)."""
    canisters = [dict(c, cycles=type(c.get("cycles")).__name__) for c in result["canisters"]]
    return dict({k: v for k, v in result.items() if k != "seconds"}, canisters=canisters)


@pytest.fixture(scope="module")
def fleet(net, tmp_path_factory):
    factory = Factory(net, tmp_path_factory.mktemp("fleet_action"))
    hosts = users(3, prefix="fa")
    inventory = factory.inventory("inventory.yml", hosts)
    first = provision_and_show(factory, inventory)
    assert first.rc == 0, first.explain()
    assert controller_runs(first) == 1 and module_processes(first) == 0, \
        "a fleet to create runs the module, in the controller (provision.yml's Python is the controller's)"
    return factory, hosts, inventory


def test_converged_rerun_runs_no_module_and_answers_as_the_module(fleet):
    factory, _, inventory = fleet
    calls = factory.update_calls()
    with open(factory.registry, encoding="utf-8") as handle:
        registry = handle.read()

    by_module = provision_and_show(factory, inventory, False, "--diff")
    assert by_module.rc == 0, by_module.explain()
    assert module_processes(by_module) >= 1 and controller_runs(by_module) == 0, \
        "with the probe off the module runs as a process"

    probed = provision_and_show(factory, inventory, True, "--diff")
    assert probed.rc == 0, probed.explain()
    assert module_runs(probed) == 0, [l for l in probed.stdout.splitlines() if "EXEC" in l]
    assert "module not run" in probed.stdout
    assert probed.total("changed") == 0, probed.stats
    assert factory.update_calls() == calls, "a converged rerun makes no update calls"
    with open(factory.registry, encoding="utf-8") as handle:
        assert handle.read() == registry

    fast, slow = fleet_result(probed), fleet_result(by_module)
    assert comparable(fast) == comparable(slow)
    for run in (probed, by_module):  # -vvv shows the task's from_inventory, not the items built from it
        assert '"from_inventory": {' in run.stdout and '"arg_default"' not in run.stdout, run.stdout[-3000:]
    assert fast["changed"] is False and fast["counts"]["ok"] == 3 and len(fast["canisters"]) == 3
    assert fast["diff"] == {"before": {}, "after": {}}


def test_check_mode_of_a_converged_fleet_is_answered_by_the_probe(fleet):
    factory, _, inventory = fleet
    run = provision_and_show(factory, inventory, True, "--check")
    assert run.rc == 0, run.explain()
    assert module_runs(run) == 0 and run.total("changed") == 0


def test_a_canister_out_of_band_goes_to_the_module_and_converges(fleet):
    factory, hosts, _ = fleet
    changed = dict(hosts)
    name = sorted(changed)[0]
    template, hostvars = changed[name]
    changed[name] = (template, dict(hostvars, settings={"freezing_threshold": 1234567}))
    inventory = factory.inventory("changed.yml", changed)

    predicted = provision_and_show(factory, inventory, True, "--check")
    assert predicted.rc == 0 and predicted.total("changed") == 1, predicted.explain()

    run = provision_and_show(factory, inventory)
    assert run.rc == 0, run.explain()
    assert module_runs(run) == 1, "a fleet that would change runs the module"
    result = fleet_result(run)
    assert [c["name"] for c in result["canisters"] if c["changed"]] == [name]

    calls = factory.update_calls()
    again = provision_and_show(factory, inventory)
    assert again.rc == 0 and module_runs(again) == 0 and again.total("changed") == 0, again.explain()
    assert factory.update_calls() == calls


def test_a_new_init_argument_record_is_predicted_and_made_by_the_module(fleet):
    """Same module, same argument value, another text: only the registry record changes; check
    mode predicts it, the module writes it, and the rerun is the probe's again."""
    factory, hosts, _ = fleet
    changed = dict(hosts)
    first, second = sorted(changed)[:2]
    template, hostvars = changed[first]
    changed[first] = (template, dict(hostvars, settings={"freezing_threshold": 1234567}))
    template, hostvars = changed[second]
    arg = f'(record {{ owner = principal "{hostvars["owner"]}"; }})'
    changed[second] = (template, dict(hostvars, init_arg=arg))
    inventory = factory.inventory("arg.yml", changed)

    predicted = fleet_result(provision_and_show(factory, inventory, True, "--check"))
    run = provision_and_show(factory, inventory)
    assert run.rc == 0 and module_runs(run) == 1, run.explain()
    made = fleet_result(run)
    names = [c["name"] for c in made["canisters"] if c["changed"]]
    assert second in names and [c["name"] for c in predicted["canisters"] if c["changed"]] == names
    assert factory.entries()[second]["init_arg"] == arg

    again = provision_and_show(factory, inventory)
    assert again.rc == 0 and module_runs(again) == 0 and again.total("changed") == 0, again.explain()


def test_a_run_in_the_controller_gives_what_a_module_process_gives(net, tmp_path):
    """Two like fleets created, one by main() in the controller, one by a module process (the
    probe off): the same changes, counts, diff and result shape; a second Python runs a process."""
    factory = Factory(net, tmp_path)
    results = {}
    for probe in (True, False):
        prefix = "in" if probe else "pr"
        run = provision_and_show(factory, factory.inventory(f"{prefix}.yml", users(2, prefix=prefix)), probe, "--diff")
        assert run.rc == 0 and run.total("changed") == 1, run.explain()
        assert (controller_runs(run), module_processes(run) >= 1) == ((1, False) if probe else (0, True)), run.stdout[-3000:]
        result = fleet_result(run)
        for item in result["canisters"]:
            assert item.pop("name").startswith(prefix) and item.pop("canister_id")
        result["diff"] = sorted(len(v) for v in result["diff"]["before"].values())
        results[probe] = comparable(result)
    assert results[True] == results[False]

    # Another Python (here a wrapper of the same one): the module runs as a process of it.
    wrapper = os.path.join(str(tmp_path), "other-python")
    with open(wrapper, "w", encoding="utf-8") as handle:
        handle.write(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    os.chmod(wrapper, 0o755)
    other = provision_and_show(factory, factory.inventory("other.yml", users(1, prefix="ot")), True,
                               "-e", f"ansible_python_interpreter={wrapper}")
    assert other.rc == 0 and controller_runs(other) == 0 and module_processes(other) >= 1, other.explain()


@pytest.mark.parametrize("workers, field", [(0, "workers"), ("many", "workers")])
def test_bad_input_reads_the_same_with_and_without_the_probe(fleet, workers, field):
    factory = fleet[0]
    path = _playbook(factory.workdir, "bad.yml", f"""
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - icp.canister_factory.ic_fleet:
        registry: {factory.registry}
        workers: {json.dumps(workers)}
        canisters:
          - {{name: bad-one, owner: aaaaa-aa, wasm: {ROOT}/wasm/user.wasm.gz}}
""")
    messages = []
    for probe in ("1", "0"):
        env = dict(factory.env(), ICP_FLEET_CONTROLLER_PROBE=probe)
        run = PlaybookRun(subprocess.run(factory.command(path), cwd=factory.workdir, env=env, capture_output=True,
                                         text=True, timeout=300, check=False))
        assert run.rc != 0 and len(run.failures) == 1, run.explain()
        messages.append(run.failures[0][1])
    assert messages[0] == messages[1] and messages[0].startswith(field), messages


def test_probe_answers_and_masks_secrets_as_the_module_does(net, tmp_path):
    """In process: the probe's result for a converged fleet equals the module's, PEM masked in both."""
    from inprocess import run_module
    from module_runner import write_identity

    factory = Factory(net, tmp_path)
    secret = os.path.join(str(tmp_path), "locked.pem")
    write_identity(secret, b"\x09" * 32, password="s3cret-pass")
    with open(secret, encoding="utf-8") as handle:
        pem = handle.read()
    owner = users(1, prefix="sec")["sec000"][1]["owner"]
    args = {"network": net.url, "root_key": net.root_key_hex, "identity_pem": pem, "identity_password": "s3cret-pass",
            "registry": factory.registry,
            "canisters": [{"name": "sec-one", "template": "user", "owner": owner, "wasm": f"{ROOT}/wasm/user.wasm.gz",
                           "arg": f'(record {{ owner = principal "{owner}" }})', "cycles_min": 10**11}]}
    first = run_module("ic_fleet", args, str(tmp_path))
    assert not first.get("failed") and first["changed"], first.get("msg")
    by_module = run_module("ic_fleet", args, str(tmp_path), diff=True)
    assert not by_module.get("failed") and not by_module["changed"], by_module

    from ansible_collections.icp.canister_factory.plugins.module_utils._fleet_probe import converged_result
    from ansible_collections.icp.canister_factory.plugins.modules.ic_fleet import ICFleet

    calls = factory.update_calls()
    probed, why = converged_result(ICFleet, args, True)
    assert why is None and factory.update_calls() == calls
    assert comparable(probed) == comparable(by_module)
    text = json.dumps(probed)
    assert "PRIVATE KEY" not in text and "s3cret-pass" not in text
    assert probed["invocation"]["module_args"]["identity_pem"] == by_module["invocation"]["module_args"]["identity_pem"]

    moved = dict(args, canisters=[dict(args["canisters"][0], cycles_min=10**15)])
    assert converged_result(ICFleet, moved, False)[0] is None, "a top-up to make goes to the module"


def test_a_delegated_task_runs_where_the_delegated_hosts_python_says(net, tmp_path):
    """Delegated to localhost (the controller's Python) the module runs in the controller;
    delegated to a local host whose ansible_python_interpreter is another, as a process of it."""
    factory = Factory(net, tmp_path)
    wrapper = os.path.join(str(tmp_path), "other-python")
    with open(wrapper, "w", encoding="utf-8") as handle:
        handle.write(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    os.chmod(wrapper, 0o755)
    inventory = os.path.join(str(tmp_path), "delegates.yml")
    with open(inventory, "w", encoding="utf-8") as handle:
        handle.write(f"all:\n  hosts:\n    localhost: {{ansible_connection: local, ansible_python_interpreter: {sys.executable}}}\n"
                     f"    other: {{ansible_connection: local, ansible_python_interpreter: {wrapper}}}\n")
    owner = users(1, prefix="dg")["dg000"][1]["owner"]
    path = _playbook(str(tmp_path), "delegated.yml", f"""
- hosts: localhost
  gather_facts: false
  tasks:
    - icp.canister_factory.ic_fleet:
        registry: {factory.registry}
        canisters:
          - name: "dg-{{{{ item }}}}"
            owner: {owner}
            wasm: {ROOT}/wasm/user.wasm.gz
            arg: '(record {{ owner = principal "{owner}" }})'
            funding: provisional
            cycles: 1000000000000
      delegate_to: "{{{{ item }}}}"
      loop: [localhost, other]
""")
    run = PlaybookRun(subprocess.run(factory.command(path, inventory) + ["-vvv"], cwd=factory.workdir, env=factory.env(),
                                     capture_output=True, text=True, timeout=300, check=False))
    assert run.rc == 0 and run.total("changed") == 1, run.explain()
    assert controller_runs(run) == 1, run.stdout[-3000:]
    assert any("> EXEC" in line and wrapper in line for line in run.stdout.splitlines()), run.stdout[-3000:]
    assert sorted(factory.entries()) == ["dg-localhost", "dg-other"]


def test_the_probe_reading_ahead_answers_as_the_module(net, tmp_path):
    """The probe (check mode) reads every recorded canister's status ahead, several queries on
    the wire at once (``read_statuses``), and converges each canister as its status comes in:
    its answer is the one the module gives, whatever ``workers`` says. A canister deleted out
    of band reads as missing: the probe leaves the run to the module, whose check run says so
    (as it does without the read-ahead: an entry whose canister is gone is not created again)."""
    from inprocess import run_module

    factory = Factory(net, tmp_path)
    specs = [{"name": name, "template": "user", "owner": hostvars["owner"], "wasm": f"{ROOT}/wasm/user.wasm.gz",
              "arg": f'(record {{ owner = principal "{hostvars["owner"]}" }})', "cycles_min": 10**11}
             for name, (_, hostvars) in users(6, prefix="par").items()]
    args = {"network": net.url, "root_key": net.root_key_hex, "identity": factory.identity,
            "registry": factory.registry, "canisters": specs}
    first = run_module("ic_fleet", args, str(tmp_path))
    assert not first.get("failed") and first["counts"]["created"] == 6, first.get("msg")
    assert os.path.exists(factory.registry + ".checked-args"), "a run that succeeded keeps its proven init arguments"
    by_module = run_module("ic_fleet", dict(args, workers=1), str(tmp_path), diff=True)
    # (The collection is importable once run_module has set up its tree.)
    from ansible_collections.icp.canister_factory.plugins.module_utils._fleet_probe import converged_result
    from ansible_collections.icp.canister_factory.plugins.modules.ic_fleet import ICFleet

    calls = factory.update_calls()
    queries = net.metrics()["queries"]
    serial, why = converged_result(ICFleet, dict(args, workers=1), True)
    assert why is None, why
    parallel, why = converged_result(ICFleet, dict(args, workers=8), True)
    assert why is None, why
    assert factory.update_calls() == calls
    assert net.metrics()["queries"] - queries == 12, "one status query per canister and probe"
    assert [c["name"] for c in parallel["canisters"]] == [s["name"] for s in specs]
    assert comparable(serial) == comparable(by_module)
    assert comparable(dict(parallel, invocation=serial["invocation"])) == comparable(serial)
    assert parallel["invocation"]["module_args"]["workers"] == 8

    gone = first["canisters"][2]
    factory_stop_and_delete(factory, gone["canister_id"])
    result, why = converged_result(ICFleet, args, False)
    assert result is None and why, "a canister deleted out of band is a change"
    predicted = run_module("ic_fleet", args, str(tmp_path), check=True)
    failed = [c for c in predicted["canisters"] if c["failed"]]
    assert [c["name"] for c in failed] == [gone["name"]] and "which does not exist" in failed[0]["msg"]
    assert factory.update_calls() == calls + 2  # the stop and the delete above, nothing else


def factory_stop_and_delete(factory, canister_id):
    """Stop and delete ``canister_id`` as its controller, behind the collection's back."""
    from _ic.agent import Agent
    from _ic.identity import load_identity_file
    from _ic.management import Management

    agent = Agent(factory.net.url, identity=load_identity_file(factory.identity), root_key_der=factory.net.root_key_der)
    try:
        mgmt = Management(agent)
        mgmt.stop_canister(canister_id)
        mgmt.delete_canister(canister_id)
    finally:
        agent.close()
