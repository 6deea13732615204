"""DFINITY's official Candid conformance suite: every assert is one test case."""
import pytest

from candid_suite import load_all

ASSERTIONS = load_all()


def test_suite_is_complete():
    # the six .test.did files hold this many asserts; fewer means the runner skipped some
    assert len(ASSERTIONS) >= 467


@pytest.mark.parametrize("assertion", ASSERTIONS, ids=[a.name for a in ASSERTIONS])
def test_assert(assertion):
    assertion.run()
