"""Fixtures of the behavioural template tests: one localnet for all of them (it caches the
compiled modules, the slowest part of an install) and the callers.
Those tests import template_canister, which skips them while localnet or the client is missing;
the build checks (test_build.py) need neither."""
import pytest


@pytest.fixture(scope="session")
def net():
    """A localnet shared by the template tests; each test module installs its own canisters."""
    from localnet.testing import LocalnetProcess
    with LocalnetProcess() as process:
        yield process


@pytest.fixture(scope="session")
def callers(net):
    from template_canister import Callers
    return Callers(net)
