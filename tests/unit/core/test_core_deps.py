"""Third-party packages: the client imports without them (ansible-test's import sanity test
runs so) and says what to install at the first use that needs one; importing the agent and
the management client loads none of them."""
import json
import os
import subprocess
import sys

import _ic as ic

MODULE_UTILS = os.path.dirname(os.path.dirname(os.path.abspath(ic.__file__)))

# Runs in a fresh interpreter where the third-party packages cannot be imported.
WITHOUT_PACKAGES = r"""
import importlib, json, pkgutil, sys
BLOCKED = ("cryptography", "py_arkworks_bls12381", "cbor2", "nacl")

class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"No module named {name!r} (blocked by the test)")
        return None

sys.meta_path.insert(0, Block())
sys.path.insert(0, sys.argv[1])
import _ic as ic
import _ic.candid
names = ["_ic." + m.name for m in pkgutil.iter_modules(ic.__path__)]
names += ["_ic.candid." + m.name for m in pkgutil.iter_modules(ic.candid.__path__)]
for name in names:
    importlib.import_module(name)

from _ic import certificate, identity, keyfile
from _ic.deps import MissingPackage
from _ic.errors import ICError
errors = {}
for label, use in (
        ("ed25519", lambda: identity.Ed25519Identity.generate()),
        ("ecdsa", lambda: identity.EcdsaIdentity.generate("p256")),
        ("verify", lambda: identity.verify_signature(b"\x00" * 44, b"m", b"s" * 64)),
        ("decrypt", lambda: keyfile.crypto("hazmat.primitives.ciphers")),
        ("bls", lambda: certificate.bls_verify(b"\x01" * 96, b"\x02" * 48, b"m"))):
    try:
        use()
    except MissingPackage as exc:
        errors[label] = [str(exc), exc.package, isinstance(exc, ICError),
                         isinstance(exc, ImportError)]
print(json.dumps({"modules": len(names),
                  "loaded": sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED),
                  "errors": errors}))
"""

# Which modules importing the agent and the management client loads.
AGENT_IMPORT = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import _ic.agent, _ic.management
heavy = ("cryptography", "py_arkworks_bls12381", "cbor2", "nacl", "http", "ssl", "email")
print(json.dumps(sorted(m for m in sys.modules
                        if m.split(".")[0] in heavy or m.startswith("_ic.candid"))))
"""


def run(code):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, "-c", code, MODULE_UTILS], capture_output=True,
                         text=True, env=env, cwd=os.path.dirname(MODULE_UTILS), timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_client_imports_without_third_party_packages_and_says_what_to_install():
    result = run(WITHOUT_PACKAGES)
    assert result["modules"] > 25 and result["loaded"] == []
    assert set(result["errors"]) == {"ed25519", "ecdsa", "verify", "decrypt", "bls"}
    for label, (message, package, is_ic_error, is_import_error) in result["errors"].items():
        want = "py-arkworks-bls12381" if label == "bls" else "cryptography"
        assert package == want and is_ic_error and is_import_error
        assert message == (f"the icp.canister_factory collection needs the Python package "
                           f"{want} on the controller: pip install -r requirements.txt")


def test_agent_import_loads_no_heavy_module():
    assert run(AGENT_IMPORT) == []
