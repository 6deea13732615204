"""Fixtures for the execution-engine tests: one engine, the built test canisters, helpers."""
import os

import pytest

import exec_canisters
from localnet.execution import ExecutionEngine

MOTOKO_VARIANTS = [("eop", 1), ("eop", 2), ("classic", 1), ("classic", 2)]


@pytest.fixture(scope="session")
def engine():
    """One engine for the session; compiled modules cached under build/."""
    return ExecutionEngine(cache_dir=os.path.join(exec_canisters.BUILD, "cwasm"),
                           root_key=b"\x30root-key", subnet_id=b"\x01subnet")


@pytest.fixture(scope="session")
def motoko_builds():
    """{(persistence, version): wasm bytes} for Counter.mo."""
    try:
        paths = exec_canisters.motoko_wasm(MOTOKO_VARIANTS)
    except exec_canisters.BuildUnavailable as exc:
        pytest.skip(str(exc))
    return {key: exec_canisters.read(path) for key, path in paths.items()}


@pytest.fixture(scope="session")
def rust_build():
    """The no_std Rust canister's wasm bytes."""
    try:
        return exec_canisters.read(exec_canisters.rust_wasm())
    except exec_canisters.BuildUnavailable as exc:
        pytest.skip(str(exc))
