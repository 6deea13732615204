"""Fixtures for localnet's own tests: one network per module, clients with fresh identities."""
import pytest

from _ic.identity import Ed25519Identity
from localnet.client import MiniClient
from localnet.testing import LocalnetProcess

@pytest.fixture(scope="module")
def net():
    """A localnet for one test module."""
    with LocalnetProcess() as process:
        yield process


@pytest.fixture
def client(net):
    """A client with a fresh Ed25519 identity."""
    c = MiniClient(net.url, Ed25519Identity.generate(), net.root_key_der)
    yield c
    c.close()


@pytest.fixture
def make_client(net):
    """Factory of clients: ``make_client(identity=None)``."""
    made = []

    def make(identity=None):
        c = MiniClient(net.url, identity or Ed25519Identity.generate(), net.root_key_der)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()
