"""Fixtures of the behavioural template tests: a localnet per test module and the callers.
Those tests import template_canister, which skips them while localnet or the client is missing;
the build checks (test_build.py) need neither."""
import pytest


@pytest.fixture(scope="module")
def net():
    """A localnet of this test module's own."""
    from localnet.testing import LocalnetProcess
    with LocalnetProcess() as process:
        yield process


@pytest.fixture(scope="module")
def callers(net):
    from template_canister import Callers
    return Callers(net)
