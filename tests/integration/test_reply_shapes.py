"""The modules and the demo's provisioning against replicas of other versions.

localnet answers management calls in the shape of an ``older`` replica (without the
2025-2026 fields) or a ``newer`` one (extra fields and variant cases): ``serve
--reply-shape``. A lean, representative run under each: the ``ic_canister`` and
``ic_canister_info`` targets (every canister_status field, settings convergence and a
second run without update calls) and provision.yml on the example inventory twice (what
``make demo`` does; the second run changes nothing and makes no update call). The whole
module suite under one shape: ``LOCALNET_REPLY_SHAPE=older pytest tests/integration``.
"""
import pytest

from factory.harness import Factory
from localnet.testing import LocalnetProcess
from test_factory_provision import EXAMPLES
from test_modules import _run, world  # noqa: F401  (fixture, built on this module's net)

SHAPES = ["older", "newer"]


@pytest.fixture(scope="module", params=SHAPES)
def net(request):
    with LocalnetProcess(reply_shape=request.param) as process:
        yield process


@pytest.mark.parametrize("target", ["ic_canister", "ic_canister_info"])
def test_target_in_reply_shape(world, net, target):  # noqa: F811
    try:
        _run(world, target)
    finally:
        net.faults(clear=True)


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
