"""The registry inventory's native groups (group_by, cycles_low_threshold) are exactly the groups
the keyed_groups/groups expressions they replace made: same names, same members, same host vars,
on one registry with the awkward values (missing, null, empty, numbers as text, a principal's -)."""
import ast
import json
import os
import subprocess
import sys

import jinja2.filters
import pytest
import yaml

from _inventory_groups import NATIVE_KEYS, as_int
from _registry import Registry
from bench.inventory import OLD_GROUPINGS, build_registry

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                "integration"))
from module_runner import collection_tree  # noqa: E402  pylint: disable=wrong-import-position

ODD_ENTRIES = {
    "no-owner": {"template": "user", "status": "active"},
    "null-owner": {"template": "user", "owner": None, "status": "active", "wasm_version": ""},
    "empty-owner": {"template": "gallery", "owner": "", "status": "stopped", "wasm_version": 0},
    "dashed-owner": {"template": "memory", "owner": "2vxsx-fae", "status": "failed", "wasm_version": "1.2.3-rc.1"},
    "text-cycles": {"template": "user", "owner": "aaaaa-aa", "status": "active", "cycles_balance": "5"},
    "word-cycles": {"template": "user", "owner": "aaaaa-aa", "status": "active", "cycles_balance": "plenty"},
    "null-cycles": {"template": "user", "owner": "aaaaa-aa", "status": "active", "cycles_balance": None},
    "float-cycles": {"template": "user", "owner": "aaaaa-aa", "status": "active", "cycles_balance": 2.5e12},
    "big-text-cycles": {"template": "user", "owner": "aaaaa-aa", "status": "active", "cycles_balance": "3000000000000"},
    "from-factory": {"template": "user", "owner": "aaaaa-aa", "status": "active", "source": "factory",
                     "cycles_balance": 999999999999},
    "null-source": {"template": "user", "owner": "aaaaa-aa", "status": "active", "source": None},
}
THRESHOLD = 10 ** 12
OLD = {"keyed_groups": OLD_GROUPINGS["keyed_groups"] + [{"key": "source | default('registry')", "prefix": "source"}],
       "groups": {"cycles_low": f"(cycles_balance | default(0) | int) < {THRESHOLD}"}}
NATIVE = {"group_by": ["owner", "template", "status", "version", "source"], "cycles_low_threshold": THRESHOLD}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    base = tmp_path_factory.mktemp("inventory-native")
    registry = str(base / "registry.yml")
    build_registry(registry, 60, events=3)
    with Registry(registry).transaction() as data:
        for name, entry in ODD_ENTRIES.items():
            data.put(name, dict(entry))
    return base


def listing(workdir, config):
    """``ansible-inventory --list`` of a configuration of the registry in ``workdir``."""
    path = workdir / f"c{len(os.listdir(workdir))}.icp_registry.yml"
    path.write_text(yaml.safe_dump(dict({"plugin": "icp.canister_factory.registry",
                                         "registries": ["registry.yml"]}, **config)))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collection_tree(str(workdir / "collections")),
               ANSIBLE_INVENTORY_UNPARSED_FAILED="1", ANSIBLE_INVENTORY_ENABLED="icp.canister_factory.registry")
    env.pop("ICP_REGISTRY", None)
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-inventory"), "-i", str(path),
                           "--list"], env=env, capture_output=True, text=True, check=False)
    return proc


def test_native_groups_equal_the_keyed_groups_they_replace(workdir):
    old, native = listing(workdir, OLD), listing(workdir, NATIVE)
    assert old.returncode == 0 and native.returncode == 0, old.stderr + native.stderr
    old, native = json.loads(old.stdout), json.loads(native.stdout)
    assert sorted(native) == sorted(old)
    assert native == old  # every group with the same members, every host with the same variables
    groups = set(native) - {"_meta", "all", "ungrouped"}
    # The comparison is not vacuous: the awkward values made (or were kept out of) real groups.
    assert sorted(native["owner_2vxsx_fae"]["hosts"]) == ["dashed-owner"]
    assert {"no-owner", "null-owner", "empty-owner"}.isdisjoint(
        host for group in groups if group.startswith("owner_") for host in native[group]["hosts"])
    assert {"null-owner", "empty-owner"} <= set(native["version_none"]["hosts"])
    assert native["version_1_2_3_rc_1"]["hosts"] == ["dashed-owner"]
    low = set(native["cycles_low"]["hosts"])
    assert {"text-cycles", "word-cycles", "null-cycles", "from-factory", "no-owner"} <= low
    assert {"float-cycles", "big-text-cycles"}.isdisjoint(low)
    assert native["source_factory"]["hosts"] == ["from-factory"]
    assert "null-source" not in native["source_registry"]["hosts"]
    assert {"status_active", "status_stopped", "template_gallery", "version_0_1_0", "version_0_2_0"} <= groups
    assert len([g for g in groups if g.startswith("owner_")]) >= 30


def test_without_the_options_there_are_no_native_groups(workdir):
    plain = listing(workdir, {})
    assert plain.returncode == 0, plain.stderr
    groups = set(json.loads(plain.stdout))
    assert not {g for g in groups if g.startswith(("owner_", "status_", "version_", "source_", "cycles_low"))}


@pytest.mark.parametrize("config, field", [({"group_by": ["owner", "colour"]}, "'group_by'"),
                                           ({"cycles_low_threshold": -1}, "cycles_low_threshold: is -1")])
def test_a_bad_native_option_is_one_line_naming_it(workdir, config, field):
    bad = listing(workdir, config)
    assert bad.returncode != 0
    assert f"{field}" in bad.stderr.splitlines()[0], bad.stderr  # Ansible's choices check, or ours (nat)


@pytest.mark.parametrize("value", [0, 7, -3, True, None, "", "12", " 12 ", "1e3", "0x10", "abc", 2.9, "2.9",
                                   float("nan"), float("inf"), [1], {"a": 1}])
def test_balance_is_read_as_jinja_int_reads_it(value):
    try:
        expected = jinja2.filters.do_int(value)
    except OverflowError:  # Jinja fails on infinity; the inventory counts it as 0 rather than stop
        expected = 0
    assert as_int(value) == expected


def test_documented_choices_are_the_native_keys():
    source = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))),
                          "plugins", "inventory", "registry.py")
    with open(source, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    doc = next(node.value.value for node in tree.body
               if isinstance(node, ast.Assign) and node.targets[0].id == "DOCUMENTATION")
    assert tuple(yaml.safe_load(doc)["options"]["group_by"]["choices"]) == NATIVE_KEYS
