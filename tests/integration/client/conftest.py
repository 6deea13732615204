"""A session localnet and identities for the client integration tests."""
import gzip
import os

import pytest

from _ic.agent import Agent
from _ic.identity import Ed25519Identity
from _ic.management import Management
from localnet.pytest_fixture import localnet  # noqa: F401  (fixture)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


@pytest.fixture(scope="session")
def user_wasm_gz():
    """The user template module as shipped (gzipped)."""
    with open(os.path.join(ROOT, "wasm", "user.wasm.gz"), "rb") as handle:
        return handle.read()


@pytest.fixture(scope="session")
def user_wasm(user_wasm_gz):
    """The user template module, decompressed."""
    return gzip.decompress(user_wasm_gz)


@pytest.fixture
def identity():
    """A fresh Ed25519 identity per test (so controllers never leak between tests)."""
    return Ed25519Identity.generate()


@pytest.fixture
def agent(localnet, identity):  # noqa: F811
    """An agent for ``identity`` on the session localnet."""
    a = Agent(localnet.url, identity, root_key_der=localnet.root_key_der, timeout=30)
    yield a
    a.close()


@pytest.fixture
def mgmt(agent):
    """The management canister client over ``agent``."""
    return Management(agent)
