"""provision.yml's batch items (the fleet_specs filter) follow the template roles' rules: a host's
``<template>_canister_<key>`` wins over the role default, init_arg/init_value/settings/cycles and
the canister_* vars apply per host, host vars are templated in the host's context, and a host
outside exactly one template group stops the play. Rendered by ansible-playbook from the very
task vars of provision.yml (no localnet needed)."""
import json
import os
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from module_runner import collection_tree  # noqa: E402  pylint: disable=wrong-import-position

OWNER_A = "2vxsx-fae"
OWNER_B = "aaaaa-aa"
MARK = "SPECS="


def _play(tmp_path):
    """provision.yml's batch play, with its ic_fleet task replaced by a print of the items."""
    with open(os.path.join(ROOT, "playbooks", "provision.yml"), encoding="utf-8") as handle:
        batch = yaml.safe_load(handle)[0]
    task = next(t for t in batch["tasks"] if "icp.canister_factory.ic_fleet" in t)
    play = {"hosts": "localhost", "connection": "local", "gather_facts": False,
            "vars_files": [os.path.join(ROOT, "playbooks", f) for f in batch["vars_files"]],
            "vars": dict(batch["vars"], icp_wasm_dir="/wasm"),
            "tasks": [{"ansible.builtin.debug": {"msg": MARK + "{{ _fleet_specs | to_json }}"},
                       "vars": task["vars"]}]}
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
                          "init_arg": "(record { owner = principal \"aaaaa-aa\"; x = 1 })",
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
    assert tuned["arg"] == '(record { owner = principal "aaaaa-aa"; x = 1 })'
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
    assert run.returncode != 0
    assert "put each of odd in exactly one of user_canisters" in run.stdout + run.stderr
