"""Run the collection's integration targets with ansible-playbook against a running localnet.

The targets live in ``tests/integration/targets/<target>/tasks/main.yml`` (ansible-test's
layout) and run under ``ansible-test integration`` (scripts/ansible-test-integration), each on a
localnet of its own. Here a generated one-play playbook runs a target as a role on localhost,
the way ansible-test does, with ``output_dir`` and optionally a shared localnet (``icp_network``,
``icp_root_key``: setup_ic then starts none). The collection is reached through a symlink in a
temporary ``ansible_collections`` tree, so the checkout needs no installing.
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGETS = os.path.join(ROOT, "tests", "integration", "targets")
BIN = os.path.dirname(sys.executable)


def collection_tree(base):
    """Create ``base/ansible_collections/icp/canister_factory`` -> the checkout; return ``base``."""
    namespace = os.path.join(base, "ansible_collections", "icp")
    os.makedirs(namespace, exist_ok=True)
    link = os.path.join(namespace, "canister_factory")
    if not os.path.islink(link):
        os.symlink(ROOT, link)
    return base


def write_identity(path, seed, password=None):
    """Write an Ed25519 PKCS#8 PEM (dfx's format; encrypted when ``password`` is given) from a
    32-byte seed; return its principal text."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from _ic.identity import load_identity_file

    key = Ed25519PrivateKey.from_private_bytes(seed)
    encryption = (serialization.BestAvailableEncryption(password.encode()) if password
                  else serialization.NoEncryption())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    with open(path, "wb") as handle:
        handle.write(pem)
    return load_identity_file(path, password).sender.to_text()


def ansible_env(collections_base, extra=None):
    """Environment for ansible-playbook: the collection path, no cows, no retry files."""
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": collections_base,
        "ANSIBLE_ROLES_PATH": TARGETS,
        "ANSIBLE_NOCOWS": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_HOST_KEY_CHECKING": "0",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
        "PATH": BIN + os.pathsep + env.get("PATH", ""),
    })
    for name in ("ICP_NETWORK", "ICP_IDENTITY", "ICP_IDENTITY_PEM", "ICP_ROOT_KEY"):
        env.pop(name, None)
    env.update(extra or {})
    return env


def run_playbook(playbook, workdir, collections_base, extra_vars, args=(), env=None):
    """Run ansible-playbook; return the CompletedProcess (stdout and stderr captured)."""
    vars_file = os.path.join(workdir, "extra_vars.json")
    with open(vars_file, "w", encoding="utf-8") as handle:
        json.dump(extra_vars, handle)
    inventory = () if "-i" in args else ("-i", "localhost,", "-c", "local")
    command = [os.path.join(BIN, "ansible-playbook"), *inventory, "-e", f"@{vars_file}", *args,
               playbook]
    return subprocess.run(command, cwd=workdir, env=ansible_env(collections_base, env),
                          capture_output=True, text=True, timeout=900, check=False)


def target_names(alias=None):
    """The integration targets (setup_* roles aside), optionally only those with ``alias``."""
    names = []
    for name in sorted(os.listdir(TARGETS)):
        if name.startswith("setup_"):
            continue
        with open(os.path.join(TARGETS, name, "aliases"), encoding="utf-8") as handle:
            if alias is None or alias in handle.read().split():
                names.append(name)
    return names


SHARED_SETUP = """- hosts: localhost
  gather_facts: false
  tasks:
    - name: Write the identities and fixture modules the targets share
      ansible.builtin.include_role:
        name: setup_ic
    - name: Deploy the factory the ic_factory_* targets share
      ansible.builtin.include_role:
        name: setup_ic
        tasks_from: factory
    - name: Keep what the targets are given
      ansible.builtin.copy:
        dest: "{{ output_dir }}/shared.json"
        content: "{{ {'icp_world': icp_world, 'icp_factory': icp_factory} | to_json }}"
        mode: "0600"
"""


def shape_tests(shape):
    """A module-scoped ``net`` fixture (a localnet answering in reply shape ``shape``) and a
    ``test_target`` running every target that needs localnet on it, one pytest result each.

    setup_ic runs once first (identities, fixture modules, a deployed factory); the targets get
    what it made (``icp_world``, ``icp_factory``), each with its own ``output_dir`` and registry."""
    import pytest

    from localnet.testing import LocalnetProcess

    @pytest.fixture(scope="module")
    def net(tmp_path_factory):
        with LocalnetProcess(reply_shape=shape) as process:
            base = tmp_path_factory.mktemp(f"targets-{shape}")
            process.shared = {"output_dir": str(base), "icp_network": process.url,
                              "icp_root_key": process.root_key_hex, "icp_reply_shape": shape}
            playbook = os.path.join(str(base), "shared_setup.yml")
            with open(playbook, "w", encoding="utf-8") as handle:
                handle.write(SHARED_SETUP)
            proc = run_playbook(playbook, str(base), collection_tree(str(base / "collections")),
                                process.shared)
            assert proc.returncode == 0, f"shared setup failed:\n{proc.stdout[-8000:]}\n{proc.stderr[-3000:]}"
            with open(os.path.join(str(base), "shared.json"), encoding="utf-8") as handle:
                process.shared.update(json.load(handle))
            yield process

    @pytest.mark.parametrize("target", target_names("needs/localnet"))
    def test_target(net, target, tmp_path):  # pylint: disable=redefined-outer-name
        """The target passes; every assertion lives in its tasks."""
        extra = dict(net.shared, output_dir=str(tmp_path), icp_registry=str(tmp_path / "registry.yml"))
        try:
            run_target(target, str(tmp_path), collection_tree(str(tmp_path / "collections")), extra)
        finally:
            net.faults(clear=True)

    return net, test_target


def run_target(target, workdir, collections_base, extra_vars):
    """Run integration target ``target``; raise AssertionError with the log tail on failure."""
    playbook = os.path.join(workdir, f"run_{target}.yml")
    with open(playbook, "w", encoding="utf-8") as handle:
        handle.write(f"- hosts: localhost\n  gather_facts: false\n  roles:\n    - {target}\n")
    proc = run_playbook(playbook, workdir, collections_base, extra_vars)
    if proc.returncode != 0:
        raise AssertionError(f"target {target} failed (rc={proc.returncode}):\n"
                             f"{proc.stdout[-12000:]}\n{proc.stderr[-4000:]}")
    return proc
