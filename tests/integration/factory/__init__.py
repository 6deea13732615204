"""Helpers for the factory's playbook tests (tests/integration/test_factory_*.py)."""
