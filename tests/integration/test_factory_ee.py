"""meta/execution-environment.yml builds a context (ansible-builder v3, offline) that installs the
collection from its tarball with the IC client's pinned Python requirements."""
import glob
import os
import shutil
import subprocess

from factory.harness import BIN, ROOT


def test_builder_context_has_collection_and_pins(tmp_path):
    builder = os.path.join(BIN, "ansible-builder")
    assert os.path.exists(builder), "needs ansible-builder==3.1.0 in the venv"
    ee_dir = os.path.join(ROOT, "build", "ee")
    os.makedirs(ee_dir, exist_ok=True)
    subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--force",
                    "--output-path", str(tmp_path), ROOT], check=True, capture_output=True)
    built = glob.glob(os.path.join(str(tmp_path), "icp-canister_factory-*.tar.gz"))
    assert len(built) == 1
    shutil.copy(built[0], os.path.join(ee_dir, "icp-canister_factory.tar.gz"))
    context = os.path.join(str(tmp_path), "context")
    proc = subprocess.run([builder, "create", "-f", os.path.join(ROOT, "meta", "execution-environment.yml"),
                           "-c", context], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(os.path.join(context, "_build", "requirements.txt"), encoding="utf-8") as handle:
        pins = handle.read().split()
    assert "cbor2==6.3.0" in pins and "py-arkworks-bls12381==0.5.0" in pins
    assert os.path.getsize(os.path.join(context, "_build", "build", "icp-canister_factory.tar.gz")) > 0
    with open(os.path.join(context, "Dockerfile"), encoding="utf-8") as handle:
        containerfile = handle.read()
    assert "ansible-core==2.19.14" in containerfile
    assert "ansible-galaxy collection install" in containerfile
