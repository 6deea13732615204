"""Bad input changes nothing: every wrong input of ``bad_input_cases`` fails with one clear line.

For each input (modules run in this process, many per second; filters called directly; the
inventory plugin through ``ansible-inventory``; the playbooks' entry variables through
``provision.yml``) the test asserts that it failed, that the message is one line beginning with
(or, for the inventory and playbooks, containing) the field, that no canister was created (the
network's ``/_/canisters`` is unchanged) and that every registry file is unchanged by hash.
"""
import gzip
import hashlib
import json
import os
import re
import subprocess
import sys

import pytest
import yaml

from bad_input_cases import FAILS_ONLY_FOR_REAL, FILTER_CASES, INVENTORY_CASES, MODULE_CASES, PLAYBOOK_CASES
from factory.harness import BIN, Factory
from inprocess import run_module
from module_runner import ansible_env, collection_tree, write_identity

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLACEHOLDER = re.compile(r"\{(\w+)\}")


class World:
    """One localnet, one registry with one real canister (``existing``) and the bad files."""

    def __init__(self, net, base):
        self.net = net
        self.base = str(base)
        files = os.path.join(self.base, "files")
        os.makedirs(os.path.join(files, "a_dir"))
        self.values = {
            "registry": os.path.join(files, "registry.yml"),
            "a_dir": os.path.join(files, "a_dir"),
            "a_file": self._write(files, "a_file", b"plain file\n"),
            "missing": os.path.join(files, "missing"),
            "bad_yaml": self._write(files, "bad.yml", b"all:\n  children:\n    canisters: [\n  hosts: {\n"),
            "not_wasm": self._write(files, "not.wasm", b"this is not a wasm module\n"),
            "empty": self._write(files, "empty.wasm", b""),
            "corrupt_gzip": self._write(files, "corrupt.wasm.gz", b"\x1f\x8b\x08\x00" + b"\xff" * 64),
            "truncated_gzip": self._write(files, "truncated.wasm.gz",
                                          gzip.compress(b"\x00asm\x01\x00\x00\x00" * 64)[:-12]),
            "bad_did": self._write(files, "bad.did", b"service : { broken"),
            "import_bad_id": self._write(files, "bad_id.json", json.dumps({"x": "not-a-principal"}).encode()),
            "import_bad_name": self._write(files, "bad_name.json", json.dumps({"bad name": "aaaaa-aa"}).encode()),
            "wasm_user": os.path.join(ROOT, "wasm", "user.wasm.gz"),
            "mainnet_root_key": _mainnet_root_key_hex(),
        }
        self.identity = os.path.join(self.base, "owner.pem")
        self.values["owner"] = write_identity(self.identity, bytes(range(32)))
        self.common = {"network": net.url, "root_key": net.root_key_hex, "identity": self.identity}
        created = self.run("ic_canister", {"registry": self.values["registry"], "name": "existing",
                                           "template": "user", "owner": self.values["owner"],
                                           "cycles": 2 * 10 ** 12})
        assert not created.get("failed") and created["canister_id"], created
        self.values["existing_id"] = created["canister_id"]

    @staticmethod
    def _write(directory, name, data):
        path = os.path.join(directory, name)
        with open(path, "wb") as handle:
            handle.write(data)
        return path

    def fill(self, value):
        """``value`` with every ``{placeholder}`` of the world replaced (recursively)."""
        if isinstance(value, str):
            return PLACEHOLDER.sub(lambda m: str(self.values.get(m.group(1), m.group(0))), value)
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self.fill(v) for v in value)
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        return value

    def run(self, module, args, check=False):
        """Run ``module`` in this process with the world's connection options under ``args``."""
        params = dict(self.common) if module != "ic_registry" else {}
        params.update(args)
        return run_module(module, {k: v for k, v in params.items() if v is not None}, self.base, check=check)

    def state(self):
        """What bad input must leave alone: the canister list and every file's hash."""
        hashes = {}
        for directory, _dirs, names in os.walk(os.path.join(self.base, "files")):
            for name in names:
                if name.endswith(".lock"):
                    continue
                path = os.path.join(directory, name)
                with open(path, "rb") as handle:
                    hashes[os.path.relpath(path, self.base)] = hashlib.sha256(handle.read()).hexdigest()
        # Balances drift with the idle burn while time passes; what must not change is which
        # canisters exist, who controls them and what they run.
        canisters = sorted((c["id"], tuple(c.get("controllers") or ()), c.get("module_hash"), c.get("status"))
                           for c in self.net.canisters())
        return canisters, hashes


def _mainnet_root_key_hex():
    from _ic.certificate import MAINNET_ROOT_KEY_DER
    return MAINNET_ROOT_KEY_DER.hex()


@pytest.fixture(scope="module")
def world(net, tmp_path_factory):
    return World(net, tmp_path_factory.mktemp("bad_input"))


def _one_line(msg, begins):
    assert isinstance(msg, str) and msg, msg
    assert "\n" not in msg.strip(), f"more than one line: {msg!r}"
    assert "Traceback" not in msg and "Error(" not in msg, msg
    assert msg.startswith(begins), f"expected the message to begin with {begins!r}: {msg!r}"


def _ids(cases):
    return [case[0] for case in cases]


def test_there_are_enough_cases():
    """The issue asks for at least 100 wrong inputs across modules, filters, inventory and playbooks."""
    assert len(MODULE_CASES) + len(FILTER_CASES) + len(INVENTORY_CASES) + len(PLAYBOOK_CASES) >= 100
    assert len(set(_ids(MODULE_CASES + FILTER_CASES + INVENTORY_CASES + PLAYBOOK_CASES))) == \
        len(MODULE_CASES + FILTER_CASES + INVENTORY_CASES + PLAYBOOK_CASES)


@pytest.mark.parametrize("case", MODULE_CASES, ids=_ids(MODULE_CASES))
def test_module_refuses(world, case):
    """A module given the input fails with one line naming the field and changes nothing."""
    case_id, module, args, begins = case
    before = world.state()
    for check_mode in (False,) if case_id in FAILS_ONLY_FOR_REAL else (True, False):
        result = world.run(module, world.fill(args), check=check_mode)
        assert result.get("failed"), f"accepted (check_mode={check_mode}): {result}"
        _one_line(result.get("msg"), world.fill(begins))
        assert "exception" not in result, result["exception"]
    assert world.state() == before


@pytest.mark.parametrize("case", FILTER_CASES, ids=_ids(FILTER_CASES))
def test_filter_refuses(world, case):
    """A filter given the input raises AnsibleFilterError with one line naming the field."""
    from ansible.errors import AnsibleFilterError

    _case_id, name, args, kwargs, begins = case
    collection_tree(world.base)
    module = __import__(f"ansible_collections.icp.canister_factory.plugins.filter.{name}", fromlist=[name])
    with pytest.raises(AnsibleFilterError) as caught:
        getattr(module, name)(*world.fill(args), **world.fill(kwargs))
    _one_line(caught.value.message, begins)


def test_inventory_refuses(world):
    """The inventory plugin fails on each configuration with one line naming the problem."""
    before = world.state()
    collections = collection_tree(os.path.join(world.base, "collections"))
    for case_id, config, contains in INVENTORY_CASES:
        path = os.path.join(world.base, f"{case_id}.icp_registry.yml")
        with open(path, "w", encoding="utf-8") as handle:
            yaml.safe_dump(dict(world.fill(config), plugin="icp.canister_factory.registry"), handle)
        proc = subprocess.run([os.path.join(BIN, "ansible-inventory"), "-i", path, "--list"],
                              env=dict(ansible_env(collections), ANSIBLE_INVENTORY_UNPARSED_FAILED="1",
                                       ANSIBLE_INVENTORY_ENABLED="icp.canister_factory.registry"),
                              capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode != 0, f"{case_id}: accepted: {proc.stdout[-500:]}"
        lines = [line for line in proc.stderr.splitlines() if "registry inventory:" in line]
        assert lines, f"{case_id}: {proc.stderr[-1500:]}"
        assert contains in lines[0], f"{case_id}: {lines[0]}"
        assert "Traceback" not in proc.stderr, proc.stderr[-1500:]
    assert world.state() == before


# The paths of provision.yml every playbook case runs on, by the extra vars that choose them.
PLAYBOOK_PATHS = {"batch": {"icp_batch": True}, "per_host": {"icp_batch": False}}


def _playbook_runs():
    """(path, cases) pairs: every case on both paths. The per-host path fails each host on its own,
    so its cases with the same extra vars share one run (one host each); the batch path stops at
    the first bad spec, so each of its cases gets a run of its own."""
    runs = {}
    for path, path_vars in PLAYBOOK_PATHS.items():
        for case in PLAYBOOK_CASES:
            extra = dict(case[3], **path_vars)
            key = (path, json.dumps(extra, sort_keys=True) if path == "per_host" else case[0])
            runs.setdefault(key, (path, extra, []))[2].append(case)
    return [pytest.param(path, extra, cases, id=f"{path}-" + "+".join(_ids(cases)))
            for path, extra, cases in runs.values()]


@pytest.mark.parametrize("path, extra, cases", _playbook_runs())
def test_playbook_refuses(world, path, extra, cases, tmp_path):
    """provision.yml with wrong host variables fails each host before any canister is created, on
    the batch and on the per-host path alike."""
    factory = Factory(world.net, tmp_path)
    factory.registry = world.values["registry"]
    hosts = {f"pb-{case_id}": ("user", world.fill(hostvars)) for case_id, hostvars, _, _ in cases}
    inventory = factory.inventory("inventory.yml", hosts)
    before = world.state()
    run = factory.play("provision.yml", inventory, world.fill(extra))
    assert run.rc != 0, run.explain()
    messages = run.messages()
    assert not any("Traceback" in m for m in messages), run.explain()
    for case_id, _, contains, _ in cases:
        assert any(contains in m and (len(cases) == 1 or f"pb-{case_id}" in m) for m in messages), \
            f"{path} {case_id}: {run.explain()}"
    assert world.state() == before


def test_unexpected_exception_is_one_line(world, monkeypatch):
    """The catch-all: an exception no check foresaw becomes one line; the traceback only at -vvv."""
    from ansible_collections.icp.canister_factory.plugins.module_utils import _validation as validation

    def broken(_params):
        raise KeyError("surprise")

    monkeypatch.setitem(validation.CHECKS, "ic_canister_info", broken)
    args = dict(world.common, canister_id=world.values["existing_id"])
    result = run_module("ic_canister_info", args, world.base)
    assert result["failed"] and "exception" not in result, result
    assert "\n" not in result["msg"] and "-vvv" in result["msg"] and "surprise" not in result["msg"], result
    result = run_module("ic_canister_info", args, world.base, verbosity=3)
    assert "KeyError: 'surprise'" in result["traceback"], result


def test_localnet_refuses_cycles_above_nat128(world):
    """localnet answers a provisional top-up above 2^128-1 as the replica does: IC0408, no cycles added."""
    from _ic.agent import Agent
    from _ic.errors import Reject
    from _ic.identity import load_identity_file
    from _ic.management import Management
    from _ic.principal import Principal

    agent = Agent(world.net.url, load_identity_file(world.identity), root_key_der=world.net.root_key_der)
    management = Management(agent)
    target = Principal.from_text(world.values["existing_id"])
    before = world.state()
    with pytest.raises(Reject) as caught:
        management.call("provisional_top_up_canister", {"canister_id": target, "amount": 2 ** 128})
    assert caught.value.error_code == "IC0408"
    with pytest.raises(Reject):
        management.call("provisional_create_canister_with_cycles", {
            "amount": 2 ** 128 + 1, "settings": None, "specified_id": None, "sender_canister_version": None})
    assert world.state() == before


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))


def test_registry_rewrite_is_reported(world):
    """A valid new owner for an existing canister rewrites its entry: check mode predicts the
    change without writing, the real run reports it, and a second run changes nothing."""
    from _ic.principal import Principal

    other = Principal.self_authenticating(b"\x30" + bytes(43)).to_text()
    args = {"registry": world.values["registry"], "name": "existing", "owner": other}
    before = world.state()
    predicted = world.run("ic_canister", args, check=True)
    assert predicted["changed"] and not predicted.get("failed"), predicted
    assert world.state() == before
    done = world.run("ic_canister", args)
    assert done["changed"], done
    again = world.run("ic_canister", args)
    assert not again["changed"], again
    back = world.run("ic_canister", dict(args, owner=world.values["owner"]))
    assert back["changed"] and world.state()[0] == before[0]
