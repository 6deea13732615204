"""Integration targets of the factory modules (ic_factory_*), against one factory canister that
playbooks/deploy_factory.yml deploys on a localnet started here. Each target follows the modules'
order (bad params, check mode, change with diff, again with zero update calls through
``/_/metrics``, update, delete); the targets use distinct templates and owners."""
import json
import os

import pytest

from factory.harness import Factory, write_identity
from module_runner import ROOT, run_target

MANIFEST = os.path.join(ROOT, "wasm", "manifest.json")


def shipped(out):
    """The manifest entry of a shipped module (``user``, ``user-0.1.0``, ...)."""
    with open(MANIFEST, encoding="utf-8") as handle:
        return next(t for t in json.load(handle)["templates"] if t["out"] == out)


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    """A localnet with a deployed factory, and the variables every target gets."""
    from localnet.testing import LocalnetProcess

    with LocalnetProcess() as net:
        base = tmp_path_factory.mktemp("factory-modules")
        operator = Factory(net, base)
        run = operator.play("deploy_factory.yml")
        assert run.rc == 0, run.explain()
        other = write_identity(str(base / "other.pem"), b"\x09" * 32)
        user, old = shipped("user"), shipped("user-0.1.0")
        extra = {
            "icp_network": net.url, "icp_root_key": net.root_key_hex, "icp_identity": operator.identity,
            "icp_principal": operator.principal, "icp_other_identity": str(base / "other.pem"),
            "icp_other_principal": other, "icp_factory": operator.entries()["factory"]["canister_id"],
            "wasm_user": os.path.join(ROOT, "wasm", "user.wasm.gz"), "wasm_user_sha256": user["module_hash"],
            "wasm_user_version": user["version"],
            "wasm_user_old": os.path.join(ROOT, "wasm", "user-0.1.0.wasm.gz"),
            "wasm_user_old_sha256": old["module_hash"],
            "wasm_user_broken": os.path.join(ROOT, "wasm", "test", "user-broken.wasm.gz"),
        }
        yield net, operator, base, extra


@pytest.mark.parametrize("target", [
    "ic_factory_info", "ic_factory_template", "ic_factory_policy", "ic_factory_canister", "ic_factory_upgrade",
])
def test_target(deployed, target):
    """The target's playbook passes; every assertion lives in the target's tasks."""
    net, operator, base, extra = deployed
    workdir = base / target
    workdir.mkdir()
    try:
        run_target(target, str(workdir), operator.collections,
                   dict(extra, icp_registry=str(workdir / "registry.yml"), work_dir=str(workdir)))
    finally:
        net.faults(clear=True)
