"""provision.yml's batch items (built by ic_fleet's action plugin from ``from_inventory`` with the
fleet_specs filter's function) follow the template roles' rules: a host's
``<template>_canister_<key>`` wins over the role default, init_arg/init_value/settings/cycles and
the canister_* vars apply per host, host vars are templated in the host's context, and a host
outside exactly one template group stops the play. Rendered by ansible-playbook with the filter
from the very ``from_inventory`` of provision.yml's task (no localnet needed); the action plugin
gives the same items from the same inventory (in process, with ansible's own HostVars)."""
import json
import os
import subprocess
import sys
import types

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from module_runner import collection_tree  # noqa: E402  pylint: disable=wrong-import-position

OWNER_A = "fnplf-uycdp-yu5v4-xuk3r-in7k5-n5mjr-tbcxb-ctohz-eeg3r-iydeb-iqe"
OWNER_B = "ugq7c-763ej-6ltbi-pmrpy-msutw-j3dzl-ajdlp-tihyb-miske-xsf6y-mqe"
MARK = "SPECS="


def _play(tmp_path):
    """provision.yml's batch play, its ic_fleet task replaced by a print of the filter's items for
    the task's own ``from_inventory``."""
    with open(os.path.join(ROOT, "playbooks", "provision.yml"), encoding="utf-8") as handle:
        batch = yaml.safe_load(handle)[0]
    task = next(t for t in batch["tasks"] if "icp.canister_factory.ic_fleet" in t)
    source = task["icp.canister_factory.ic_fleet"]["from_inventory"]
    show = ("{{ groups[_source.group] | icp.canister_factory.fleet_specs(hostvars, _defaults,"
            " _source.owner_marker) | to_json }}")
    # The templates' defaults as the action plugin renders them: each <template>_canister_<key>
    # in the task's context (where the owner is the marker).
    defaults = ("{%- set defaults = {} -%}{%- for t in _source.templates -%}{%- set d = {} -%}"
                "{%- for k in ['wasm', 'did', 'version', 'init_arg', 'settings', 'cycles', 'cycles_min',"
                " 'cycles_target', 'keep_failed'] -%}"
                "{%- set _ = d.update({k: lookup('ansible.builtin.vars', t ~ '_canister_' ~ k)}) -%}{%- endfor -%}"
                "{%- set _ = defaults.update({t: d}) -%}{%- endfor -%}{{ defaults }}")
    play = {"hosts": "localhost", "connection": "local", "gather_facts": False,
            "vars_files": [os.path.join(ROOT, "playbooks", f) for f in batch["vars_files"]],
            "vars": dict(batch["vars"], icp_wasm_dir="/wasm"),
            "tasks": [{"ansible.builtin.debug": {"msg": MARK + show}, "vars": dict(task["vars"], _source=source, _defaults=defaults)}]}
    path = tmp_path / "specs.yml"
    path.write_text(yaml.safe_dump([play]), encoding="utf-8")
    return str(path)


def _render(tmp_path, inventory):
    inventory_path = tmp_path / "inventory.yml"
    inventory_path.write_text(yaml.safe_dump(inventory), encoding="utf-8")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collection_tree(str(tmp_path / "collections")),
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default", ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="0")
    run = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), _play(tmp_path),
                          "-i", str(inventory_path)], env=env, capture_output=True, text=True, check=False,
                         timeout=120)
    return run


def _specs(run):
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    line = next(line for line in run.stdout.splitlines() if MARK in line)
    text = json.loads("{" + line.strip().rstrip(",") + "}")["msg"]
    return {spec["name"]: spec for spec in json.loads(text[len(MARK):])}


def test_host_values_win_over_the_template_defaults(tmp_path):
    inventory = {"all": {"children": {"canisters": {"children": {
        "user_canisters": {
            "vars": {"user_canister_cycles_min": 42},
            "hosts": {
                "plain": {"owner": OWNER_A},
                "tuned": {"owner": OWNER_B, "user_canister_wasm": "/other/{{ inventory_hostname }}.wasm.gz",
                          "init_arg": f"(record {{ owner = principal \"{OWNER_A}\" }})",
                          "settings": {"freezing_threshold": 7}, "cycles": 5, "canister_funding": "cycles_ledger",
                          "canister_state": "stopped", "canister_cycles_source": "auto"}}},
        "memory_canisters": {"hosts": {"data": {"owner": OWNER_A, "init_value": {"owner": OWNER_A}}}},
    }}}}}
    specs = _specs(_render(tmp_path, inventory))
    assert list(specs) == ["data", "plain", "tuned"]  # groups['canisters'] order
    plain, tuned, data = specs["plain"], specs["tuned"], specs["data"]
    assert plain == {
        "name": "plain", "template": "user", "owner": OWNER_A, "wasm": "/wasm/user.wasm.gz", "did": "",
        "wasm_version": plain["wasm_version"],
        "arg": f'(record {{ owner = principal "{OWNER_A}" }})', "arg_default": f'(record {{ owner = principal "{OWNER_A}" }})',
        "arg_value": None,
        "settings": {"compute_allocation": 0, "memory_allocation": 0, "freezing_threshold": 2592000,
                     "wasm_memory_limit": 268435456, "log_visibility": "controllers"},
        "cycles": 1000000000000, "cycles_min": 42, "cycles_target": 1000000000000, "keep_failed": False,
        "funding": "auto", "state": "running", "cycles_source": "provisional"}
    assert tuned["wasm"] == "/other/tuned.wasm.gz"  # templated in the host's own context
    assert tuned["arg"] == f'(record {{ owner = principal "{OWNER_A}" }})'
    assert tuned["arg_default"] == f'(record {{ owner = principal "{OWNER_B}" }})'
    assert tuned["settings"]["freezing_threshold"] == 7 and tuned["settings"]["compute_allocation"] == 0
    assert (tuned["cycles"], tuned["funding"], tuned["state"], tuned["cycles_source"]) == (
        5, "cycles_ledger", "stopped", "auto")
    assert data["template"] == "memory" and data["arg_value"] == {"owner": OWNER_A}
    assert data["did"] == "/wasm/memory.did"  # init_value is typed by the template's .did


@pytest.mark.parametrize("groups", [["user_canisters", "gallery_canisters"], []])
def test_a_host_outside_exactly_one_template_group_stops_the_play(tmp_path, groups):
    children = {"user_canisters": {"hosts": {"ok": {"owner": OWNER_A}}}}
    for group in groups:
        children.setdefault(group, {"hosts": {}})["hosts"]["odd"] = {"owner": OWNER_A}
    inventory = {"all": {"children": {"canisters": {"children": children, "hosts": {"odd": {"owner": OWNER_A}}}}}}
    run = _render(tmp_path, inventory)
    assert run.returncode != 0  # the filter
    assert "put each of odd in exactly one of user_canisters" in run.stdout + run.stderr


def _variables(tmp_path, inventory):
    """Ansible's own inventory and variable manager for ``inventory`` (HostVars as a play has them)."""
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible.vars.hostvars import HostVars
    from ansible.vars.manager import VariableManager

    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory), encoding="utf-8")
    loader = DataLoader()
    hosts = InventoryManager(loader=loader, sources=[str(path)])
    variables = VariableManager(loader=loader, inventory=hosts)
    HostVars(hosts, variables, loader)  # as the executor does: the variable manager's hostvars
    return loader, hosts, variables


def _action_and_task_vars(tmp_path, inventory, args, task_vars=None):
    """ic_fleet's action plugin for a task with ``args``, and the task vars of localhost from
    ansible's own inventory and variable manager (HostVars as a play has them)."""
    _importable(tmp_path)
    from ansible.playbook.task import Task
    from ansible_collections.icp.canister_factory.plugins.action.ic_fleet import ActionModule

    from ansible.template import Templar

    loader, hosts, variables = _variables(tmp_path, inventory)
    # localhost's variables, and the task's own (as provision.yml's task has them).
    task_vars = dict(variables.get_vars(host=hosts.get_host("localhost")), **(task_vars or {}))
    task = Task()
    task.args = args
    # The local connection's shell with its temporary directory made: no connection is used.
    connection = types.SimpleNamespace(transport="local", _shell=types.SimpleNamespace(tmpdir=str(tmp_path)))
    return ActionModule(task, connection, None, loader, Templar(loader=loader, variables=task_vars)), task_vars


def _importable(tmp_path):
    base = collection_tree(str(tmp_path / "in-process"))
    if base not in sys.path:
        sys.path.insert(0, base)


# The templates' role defaults as variables of the play (provision.yml: vars_files).
ROLE_DEFAULTS = {f"{t}_canister_{k}": v for t in ("user", "memory", "gallery") for k, v in {
    "wasm": f"/wasm/{t}.wasm.gz", "did": f"/wasm/{t}.did", "version": "{{ '1.' ~ 0 }}",
    "settings": {"freezing_threshold": 1}, "init_arg": '(record { owner = principal "{{ owner }}" })',
    "cycles": 1, "cycles_min": None, "cycles_target": None, "keep_failed": False}.items()}
# ... as the action plugin renders them in the task's context, where the owner is the marker.
DEFAULTS = {t: {"wasm": f"/wasm/{t}.wasm.gz", "did": f"/wasm/{t}.did", "version": "1.0", "settings": {"freezing_threshold": 1},
                "init_arg": '(record { owner = principal "@owner@" })', "cycles": 1, "cycles_min": None,
                "cycles_target": None, "keep_failed": False} for t in ("user", "memory")}
TASK_VARS = {"owner": "@owner@"}
SOURCE = {"group": "canisters", "templates": ["user", "ai_assistant", "gallery", "memory"]}


def test_the_action_builds_the_filters_items_from_the_inventory(tmp_path):
    inventory = {"all": {"vars": dict(ROLE_DEFAULTS), "children": {"canisters": {"children": {
        "user_canisters": {"vars": {"user_canister_cycles_min": 42}, "hosts": {
            "plain": {"owner": OWNER_A},
            "tuned": {"owner": OWNER_B, "user_canister_wasm": "/other/{{ inventory_hostname }}.wasm.gz",
                      "settings": {"freezing_threshold": 7}, "cycles": 5}}},
        "memory_canisters": {"hosts": {"data": {"owner": OWNER_A, "init_value": {"owner": OWNER_A}}},
                             # A host of a child group is in its parent group too (group_names lists both).
                             "children": {"premium": {"hosts": {"vip": {"owner": OWNER_B}}}}}}}}}}
    action, task_vars = _action_and_task_vars(tmp_path, inventory, {"registry": "r.yml", "from_inventory": SOURCE},
                                              TASK_VARS)
    args = action._module_args(task_vars)  # pylint: disable=protected-access
    from ansible_collections.icp.canister_factory.plugins.filter.fleet_specs import fleet_specs

    assert "from_inventory" not in args and args["registry"] == "r.yml"
    expected = fleet_specs(task_vars["groups"]["canisters"], task_vars["hostvars"], DEFAULTS)
    assert args["canisters"] == expected
    assert [c["name"] for c in expected] == task_vars["groups"]["canisters"]  # the group's order
    specs = {c["name"]: c for c in expected}
    assert sorted(specs) == ["data", "plain", "tuned", "vip"] and specs["vip"]["template"] == "memory"
    tuned = specs["tuned"]
    assert (tuned["wasm"], tuned["cycles"], tuned["cycles_min"], tuned["settings"]) == (
        "/other/tuned.wasm.gz", 5, 42, {"freezing_threshold": 7})
    assert tuned["arg"] == f'(record {{ owner = principal "{OWNER_B}" }})'


@pytest.mark.parametrize("source, args, message", [
    (SOURCE, {}, "put each of nested, odd in exactly one of user_canisters"),
    (dict(SOURCE, group="nowhere"), {}, "from_inventory.group: 'nowhere' is not a group of the inventory"),
    ({"group": "canisters"}, {}, "from_inventory.templates: must be a list of template names"),
    (dict(SOURCE, templates=["user", "ai_assistant"]), {}, "put each of nested, odd"),
    (dict(SOURCE, hosts=[]), {}, "from_inventory.hosts: not an option"),
    (SOURCE, {"canisters": []}, "from_inventory: give canisters or from_inventory"),
])
def test_the_action_refuses_a_bad_inventory_before_any_call(tmp_path, source, args, message):
    inventory = {"all": {"vars": dict(ROLE_DEFAULTS), "children": {"canisters": {"children": {
        "user_canisters": {"hosts": {"ok": {"owner": OWNER_A}, "odd": {"owner": OWNER_A}}},
        "memory_canisters": {"hosts": {"odd": {"owner": OWNER_A}}},
        # In a template group and, through a child group, in another one.
        "gallery_canisters": {"hosts": {"nested": {"owner": OWNER_A}}, "children": {"inner": {}}},
        "inner": {"hosts": {}}, "side": {"children": {"user_canisters": {}}},
        "ai_assistant_canisters": {"children": {"deep": {"hosts": {"nested": {"owner": OWNER_A}}}}}}}}}}
    action, task_vars = _action_and_task_vars(tmp_path, inventory, dict(args, registry="r.yml", from_inventory=source),
                                              TASK_VARS)
    action._task.args["network"] = "http://127.0.0.1:9"  # pylint: disable=protected-access
    result = action.run(task_vars=task_vars)
    assert result["failed"] and result["msg"].startswith(message), result
    if message.startswith("put each"):  # read from each host's group_names: the same hosts refused
        from ansible.errors import AnsibleFilterError
        from ansible_collections.icp.canister_factory.plugins.filter.fleet_specs import fleet_specs

        with pytest.raises(AnsibleFilterError, match=message):
            fleet_specs(task_vars["groups"]["canisters"], task_vars["hostvars"], DEFAULTS)


@pytest.mark.parametrize("templates, message", [
    (["user", "memory"], "fleet_specs: no defaults for template 'ai_assistant' (host bot)"),
    (["user", "memory", "ai_assistant"], "from_inventory.templates: ai_assistant has no variable ai_assistant_canister_wasm"),
])
def test_the_action_renders_the_defaults_of_the_templates_in_use(tmp_path, templates, message):
    inventory = {"all": {"vars": dict(ROLE_DEFAULTS), "children": {"canisters": {"children": {
        "user_canisters": {"hosts": {"plain": {"owner": OWNER_A}}},
        "memory_canisters": {"hosts": {"data": {"owner": OWNER_B}}},
        "ai_assistant_canisters": {"hosts": {"bot": {"owner": OWNER_B}}}}}}}}
    action, task_vars = _action_and_task_vars(tmp_path, inventory, {"registry": "r.yml", "network": "http://127.0.0.1:9",
                                                                    "from_inventory": dict(SOURCE, templates=templates)},
                                              TASK_VARS)
    result = action.run(task_vars=task_vars)
    assert result["failed"] and result["msg"].startswith(message), result
    # Without a host of its own, a template's defaults are not read: gallery (no host) is not asked.
    del inventory["all"]["children"]["canisters"]["children"]["ai_assistant_canisters"]
    action, task_vars = _action_and_task_vars(tmp_path, inventory, {"registry": "r.yml", "from_inventory": SOURCE},
                                              dict(TASK_VARS, gallery_canister_wasm="{{ undefined_variable }}"))
    assert sorted(c["template"] for c in action._module_args(task_vars)["canisters"]) == ["memory", "user"]  # pylint: disable=protected-access


def test_host_variables_read_without_cleaning_empty_facts_are_the_same(tmp_path):
    """The action reads each host's variables with the facts of a host without facts not cleaned
    (a no-op that globs every connection plugin per host): the same variables, facts or none."""
    _importable(tmp_path)
    from ansible.vars.clean import clean_facts
    from ansible_collections.icp.canister_factory.plugins.action.ic_fleet import fact_cleaning_skipped_without_facts

    assert clean_facts({}) == {}  # the premise, on this ansible-core
    inventory = {"all": {"vars": {"x": "{{ inventory_hostname }}-x"},
                         "hosts": {"plain": {"owner": OWNER_A}, "known": {"owner": OWNER_B}}}}
    _, hosts, variables = _variables(tmp_path, inventory)
    # Facts (as setup or set_fact cacheable would leave them), restricted keys among them.
    variables.set_host_facts("known", {"ansible_local": {"a": 1}, "ansible_ssh_user": "root", "distro": "x"})

    def read():
        return {h: variables.get_vars(host=hosts.get_host(h), include_hostvars=False) for h in ("plain", "known")}

    plain = read()
    with fact_cleaning_skipped_without_facts():
        skipped = read()
    assert skipped == plain and plain["known"]["distro"] == "x" and "ansible_ssh_user" not in plain["known"]
    assert plain["plain"]["ansible_facts"] == {}


def test_the_filter_documentation_renders(tmp_path):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collection_tree(str(tmp_path / "collections")), ANSIBLE_NOCOLOR="1")
    run = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-doc"), "-t", "filter",
                          "icp.canister_factory.fleet_specs"], env=env, capture_output=True, text=True, check=False,
                         timeout=120)
    assert run.returncode == 0 and not run.stderr.strip(), run.stderr
    assert "groups" in run.stdout and "owner_marker" in run.stdout
