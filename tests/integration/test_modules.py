"""Integration tests of the modules: each target's playbook against a localnet started here.

Every target follows the same order (bad params, check-mode create, create, create again with
zero update calls, update in check mode, update with diff, delete) and injects faults through
localnet's admin surface (``/_/faults``), reading ``/_/metrics`` to count update calls.
"""
import pytest

from module_runner import collection_tree, run_target, write_identity
from wasm_fixtures import write_all


@pytest.fixture(scope="module")
def net():
    """One localnet for the module tests (targets use distinct canisters and registries)."""
    from localnet.testing import LocalnetProcess

    process = LocalnetProcess()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def world(net, tmp_path_factory):
    """Variables every target gets: network, keys, identities, Wasm fixtures."""
    base = tmp_path_factory.mktemp("modules")
    collections = collection_tree(str(base / "collections"))
    owner = write_identity(str(base / "owner.pem"), bytes(range(32)))
    other = write_identity(str(base / "other.pem"), bytes(range(1, 33)))
    write_identity(str(base / "owner_encrypted.pem"), bytes(range(32)), password="s3cret")
    wasm = write_all(str(base / "wasm"))
    extra = {
        "icp_network": net.url,
        "icp_root_key": net.root_key_der.hex(),
        "icp_identity": str(base / "owner.pem"),
        "icp_principal": owner,
        "icp_other_identity": str(base / "other.pem"),
        "icp_other_principal": other,
        "icp_identity_encrypted": str(base / "owner_encrypted.pem"),
        "icp_identity_password": "s3cret",
        # older|spec|newer: the replica version localnet imitates (targets adapt to older).
        "icp_reply_shape": net.reply_shape,
    }
    for name, (path, sha) in wasm.items():
        extra[f"wasm_{name}"] = path
        extra[f"wasm_{name}_sha256"] = sha
    return {"collections": collections, "base": base, "vars": extra}


def _run(world, target):
    workdir = world["base"] / target
    workdir.mkdir()
    extra = dict(world["vars"], icp_registry=str(workdir / "registry.yml"), work_dir=str(workdir))
    run_target(target, str(workdir), world["collections"], extra)
    return workdir


@pytest.mark.parametrize("target", [
    "ic_registry", "ic_canister", "ic_code", "ic_cycles", "ic_snapshot", "ic_canister_info", "ic_call",
])
def test_target(world, net, target):
    """The target's playbook passes; every assertion lives in the target's tasks."""
    try:
        _run(world, target)
    finally:
        net.faults(clear=True)
