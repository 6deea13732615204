"""Helpers for the core client tests: fixture paths and the identity vectors."""
import os

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")

# Principals listed for each key file in the shared vectors' README.
PEM_PRINCIPALS = {
    "ed25519_dfx_v2.pem": ("ed25519",
                           "emrl6-qe3wz-fh5ib-sx2r4-fbx46-6g4ql-5ro3g-zhbtm-nxdrq-q2oqo-jqe"),
    "ed25519_openssl_v1.pem": ("ed25519",
                               "k4ua2-oqs6w-fn4zi-reodn-bqy52-d62q3-e4bbb-v4xcg-igrmj-yk3nz-wae"),
    "secp256k1_sec1.pem": ("secp256k1",
                           "42gbo-uiwfn-oq452-ql6yp-4jsqn-a6bxk-n7l4z-ni7os-yptq6-3htob-vqe"),
    "secp256k1_dfx_params.pem": ("secp256k1",
                                 "t2kpu-6xt6l-tyb3d-rll2p-irv5c-no5nd-h6spj-jsetq-bmqdz-iap77-pqe"),
    "secp256k1_pkcs8_icpcli_plain.pem": (
        "secp256k1", "42gbo-uiwfn-oq452-ql6yp-4jsqn-a6bxk-n7l4z-ni7os-yptq6-3htob-vqe"),
}
PBES2_PEM = "secp256k1_pkcs8_icpcli_pbes2.pem"
PBES2_PASSWORD = "hunter2"


def fixture_path(name):
    """Absolute path of a file in tests/unit/core/fixtures."""
    return os.path.join(FIXTURES, name)


def read_fixture(name, mode="r"):
    """Contents of a fixture file."""
    with open(fixture_path(name), mode) as handle:
        return handle.read()
