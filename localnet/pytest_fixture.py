"""Pytest fixtures: a session-wide localnet subprocess.

Wire it in a conftest by importing the fixtures (the repo root must be on ``sys.path`` first,
which ``tests/conftest.py`` arranges): ``from localnet.pytest_fixture import localnet  # noqa``.
``pytest_plugins`` would need the rootdir's conftest; tests/conftest.py is not that one.
"""
import pytest

from localnet.testing import LocalnetProcess


@pytest.fixture(scope="session")
def localnet():
    """One localnet for the whole test session (fresh temporary state)."""
    net = LocalnetProcess()
    try:
        yield net
    finally:
        net.stop()


@pytest.fixture
def fresh_localnet():
    """A localnet of its own for one test (for restarts, kills and faults)."""
    net = LocalnetProcess()
    try:
        yield net
    finally:
        net.stop()
