"""Write what a target needs besides localnet into a directory and print it as JSON variables.

Usage: python world.py DIR COLLECTION_ROOT. Two fresh Ed25519 identities (the operator, also written
password-encrypted, and another one) and the fixture modules of wasm_fixtures.py.
"""
import json
import os
import secrets
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

sys.path[:0] = [os.path.dirname(os.path.abspath(__file__)), os.path.join(sys.argv[2], "plugins", "module_utils")]
from wasm_fixtures import write_all  # noqa: E402  pylint: disable=wrong-import-position

PASSWORD = "s3cret-" + secrets.token_hex(4)


def write_pem(path, key, password=None):
    """Write ``key`` as PKCS#8 PEM (dfx's format), encrypted when ``password`` is given."""
    encryption = (serialization.BestAvailableEncryption(password.encode()) if password
                  else serialization.NoEncryption())
    with open(path, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       encryption))
    os.chmod(path, 0o600)
    return path


def main(directory):
    """Write the identities and modules; return the variables naming them."""
    os.makedirs(directory, exist_ok=True)
    owner = Ed25519PrivateKey.generate()
    found = {
        "icp_identity": write_pem(os.path.join(directory, "owner.pem"), owner),
        "icp_identity_encrypted": write_pem(os.path.join(directory, "owner_encrypted.pem"), owner, PASSWORD),
        "icp_identity_password": PASSWORD,
        "icp_other_identity": write_pem(os.path.join(directory, "other.pem"), Ed25519PrivateKey.generate()),
    }
    for name, (path, sha256) in write_all(os.path.join(directory, "wasm")).items():
        found[f"wasm_{name}"] = path
        found[f"wasm_{name}_sha256"] = sha256
    return found


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
