"""Pytest fixtures: a session-wide localnet subprocess.

Wire it in ``tests/conftest.py`` with ``pytest_plugins = ["localnet.pytest_fixture"]`` (the
repo root must be on ``sys.path`` first, which that conftest already arranges), or import
the fixture: ``from localnet.pytest_fixture import localnet  # noqa: F401``.
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
