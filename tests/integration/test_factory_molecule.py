"""Drive the molecule scenarios of extensions/molecule: each starts its own localnet, converges
its role, runs it again (idempotence: nothing may change) and verifies the canisters."""
import os
import subprocess

import pytest

from factory.harness import BIN, ROOT

SCENARIOS = sorted(d for d in os.listdir(os.path.join(ROOT, "extensions", "molecule"))
                   if os.path.exists(os.path.join(ROOT, "extensions", "molecule", d, "molecule.yml")))


def test_every_role_has_a_scenario():
    roles = {r for r in os.listdir(os.path.join(ROOT, "roles")) if r.endswith("_canister") or r == "fleet_upgrade"}
    assert roles <= set(SCENARIOS)
    assert "default" in SCENARIOS


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario(scenario):
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", ""), ANSIBLE_NOCOLOR="1",
               NO_COLOR="1")
    for name in ("ICP_NETWORK", "ICP_IDENTITY", "ICP_ROOT_KEY", "ICP_REGISTRY", "ANSIBLE_COLLECTIONS_PATH"):
        env.pop(name, None)
    proc = subprocess.run([os.path.join(BIN, "molecule"), "test", "-s", scenario], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=1800, check=False)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    assert "idempotence" in proc.stdout + proc.stderr
