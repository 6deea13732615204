"""Fixtures the integration tests share."""
import pytest

from localnet.testing import LocalnetProcess


@pytest.fixture(scope="module")
def net():
    """A localnet of the test module's own: its faults, kills and canisters stay in the module.
    A module that needs another kind (subnets, a reply shape) defines its own ``net``."""
    with LocalnetProcess() as process:
        yield process
