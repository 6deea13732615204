"""The modules and the demo's provisioning against replicas of other versions.

localnet answers management calls in the shape of an ``older`` replica (without the
2025-2026 fields) or a ``newer`` one (extra fields and variant cases): ``serve
--reply-shape``. A lean, representative run: under ``older`` the ``ic_canister`` and
``ic_canister_info`` targets (every canister_status field, settings convergence, a setting
the replica lacks refused by name, a second run without update calls); under both shapes
provision.yml on the example inventory twice (what ``make demo`` does; the second run
changes nothing and makes no update call). The whole
module suite under one shape: ``LOCALNET_REPLY_SHAPE=older pytest tests/integration``.
"""
import pytest

from factory.harness import Factory
from localnet.testing import LocalnetProcess
from test_factory_provision import EXAMPLES
from test_modules import _run, world  # noqa: F401  (fixture, built on this module's net)

SHAPES = ["older", "newer"]
# The older shape lacks fields the modules read and settings they converge; the newer one
# only adds, which the demo's provisioning and tests/integration/client cover.
TARGETS = [("older", "ic_canister"), ("older", "ic_canister_info")]


@pytest.fixture(scope="module")
def net(request):
    with LocalnetProcess(reply_shape=request.param) as process:
        yield process


@pytest.mark.parametrize("net, target", TARGETS, indirect=["net"])
def test_target_in_reply_shape(world, net, target):  # noqa: F811
    try:
        _run(world, target)
    finally:
        net.faults(clear=True)


@pytest.mark.parametrize("net", SHAPES, indirect=True)
def test_demo_provisioning_in_reply_shape(net, tmp_path):
    factory = Factory(net, tmp_path)
    first = factory.play("provision.yml", EXAMPLES, forks=10)
    assert first.rc == 0, first.explain()
    assert all(e["status"] == "active" for e in factory.entries().values())
    calls = factory.update_calls()
    second = factory.play("provision.yml", EXAMPLES, forks=10)
    assert second.rc == 0, second.explain()
    assert second.total("changed") == 0, second.stats
    assert factory.update_calls() == calls
