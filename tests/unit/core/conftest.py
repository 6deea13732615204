"""Fixtures for the core client tests."""
import json

import pytest

from core_helpers import read_fixture


@pytest.fixture(scope="session")
def cert_vectors():
    """The mainnet certificate vectors (hex strings decoded where they are bytes)."""
    raw = json.loads(read_fixture("certificate_vectors.json"))
    return {key: (bytes.fromhex(value) if key not in ("source", "notes", "verify_msg_ok",
                                                      "verify_msg_bad") else value)
            for key, value in raw.items()}
