"""Queries see the state a multi-step update has committed at its await point, as on the replica
(each await ends a message execution whose state is committed; queries run on the latest
certified state: dfinity/ic rs/execution_environment/src/query_handler/query_context.rs runs a
query against a ``Labeled<Arc<ReplicatedState>>``). The fault ``hold_call`` keeps the factory's
``install_code`` call at its await point while a query looks at the sign-up under way."""
import os
import sys
import threading
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "templates"))

from factory_support import Factory, ok  # noqa: E402
from template_canister import Callers  # noqa: E402
from _ic.identity import Ed25519Identity  # noqa: E402

HOLD_SECONDS = 3


@pytest.fixture(scope="module")
def factory(net):
    callers = Callers(net)
    made = Factory(callers)
    made.register("user")
    return made, callers


def test_a_query_sees_a_sign_up_held_at_its_install_await(net, factory):
    made, callers = factory
    alice = Ed25519Identity.generate()
    net.faults({"match": {"endpoint": "canister_call", "canister": "aaaaa-aa", "method": "install_code",
                          "sender": str(made.id)}, "action": "hold_call", "seconds": HOLD_SECONDS})
    result = {}
    signing_up = threading.Thread(target=lambda: result.update(
        created=made.call(alice, "create_user_canister", alice.sender)))
    started = time.monotonic()
    signing_up.start()
    seen, slowest = [], 0.0
    while time.monotonic() - started < HOLD_SECONDS - 0.5 and not seen:
        asked = time.monotonic()
        children = made.call(callers.operator, "list_user_canisters", alice.sender)
        slowest = max(slowest, time.monotonic() - asked)
        seen = [c for c in children if c["status"] == {"Creating": None}]
        time.sleep(0.05)
    signing_up.join(timeout=30)
    assert seen, "no query saw the child while its install was held"
    assert slowest < 1.0, f"a query waited {slowest:.1f} s for the update"
    child = ok(result["created"]) if "ok" in result["created"] else result["created"]["Ok"]
    assert child == seen[0]["canister_id"]
    assert time.monotonic() - started >= HOLD_SECONDS - 0.2, "the install was not held"
    after = made.call(callers.operator, "list_user_canisters", alice.sender)
    assert [c["status"] for c in after] == [{"Active": None}]


def test_a_query_sees_a_fleet_batch_in_flight(net, factory):
    """A fleet upgrade's batch held at the child's install_code: ``in_flight`` is 1 meanwhile."""
    from localnet.testing import wait_until

    made, callers = factory
    made.register("user-0.1.0", template="user", version="0.1.0")   # current: new children get it
    bob = Ed25519Identity.generate()
    old = made.admin("create_user_canister", bob.sender)["Ok"]
    net.faults({"match": {"endpoint": "canister_call", "canister": "aaaaa-aa", "method": "install_code",
                          "sender": str(made.id)}, "action": "hold_call", "seconds": HOLD_SECONDS})
    started = made.admin("start_fleet_upgrade", {"template": "user", "version": "0.2.0", "batch_size": 1,
                                                 "max_failures": 0})
    assert "Ok" in started, started
    during = wait_until(lambda: (lambda p: p if p and p["in_flight"] > 0 else None)(
        made.admin("fleet_upgrade_progress")), timeout=HOLD_SECONDS - 0.5, interval=0.05)
    assert during["in_flight"] == 1 and during["state"] == {"Running": None}
    done = wait_until(lambda: (lambda p: p if p["in_flight"] == 0 and "Running" not in p["state"] else None)(
        made.admin("fleet_upgrade_progress")), timeout=60, interval=0.2)
    assert done["state"] == {"Completed": None} and done["upgraded"] == 1, done
    assert made.call(callers.operator, "get_canister_info", old)["version"] == "0.2.0"
