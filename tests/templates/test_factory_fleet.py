"""The factory's on-chain fleet upgrade of 50 children (user 0.1.0 -> 0.2.0) in batches, one of
which fails its migration: that child is rolled back from its snapshot with its data, the run
halts at the failure limit, and resuming it finishes the rest."""
import concurrent.futures

import pytest

from template_canister import TemplateCanister  # noqa: F401  (skips without localnet/client)
from factory_support import Factory, ok
from _ic.identity import Ed25519Identity
from localnet.testing import wait_until

CHILDREN = 50
BATCH = 10


def child(callers, canister_id, out):
    c = TemplateCanister.__new__(TemplateCanister)
    c.callers, c.id, c.out = callers, canister_id, out
    return c


def progress_when_settled(factory):
    return wait_until(lambda: (lambda p: p if p and "Running" not in p["state"] else None)(
        factory.admin("fleet_upgrade_progress")), timeout=400, interval=0.5)


def outcomes(factory):
    out, offset = [], 0
    while offset is not None:
        page = factory.admin("fleet_upgrade_outcomes", offset, 20)
        out += page["items"]
        offset = page["next_offset"]
    return out


@pytest.mark.slow
def test_fleet_upgrade_rolls_back_a_failure_halts_at_the_limit_and_resumes(callers):
    factory = Factory(callers)
    factory.register("user-0.1.0", template="user", version="0.1.0")
    owners = [Ed25519Identity.generate() for _ in range(2)]
    others = [Ed25519Identity.generate().sender for _ in range(CHILDREN - 2)]
    # The poisoned child is created first, so the first batch meets it.
    poisoned = child(callers, ok(factory.admin("create_user_canister", owners[1].sender)), "user-0.1.0")
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda p: ok(factory.admin("create_user_canister", p)), others))
    good = child(callers, ok(factory.admin("create_user_canister", owners[0].sender)), "user-0.1.0")
    assert good.call(owners[0], "set_preference", "colour", "green") == {"ok": None}
    assert poisoned.call(owners[1], "set_preference", "poison", "apple") == {"ok": None}

    # 0.2.0 as a build whose migration fails on a preference named "poison" (test-only).
    factory.register("test/user-picky", template="user", version="0.2.0", current=False)
    started = ok(factory.admin("start_fleet_upgrade", {"template": "user", "version": "0.2.0", "batch_size": BATCH, "max_failures": 0}))
    assert started["total"] == CHILDREN and started["state"] == {"Running": None}

    halted = progress_when_settled(factory)
    assert "Halted" in halted["state"], halted
    odd = [o for o in outcomes(factory) if not ({"Pending", "Upgraded"} & set(o["outcome"]))]
    assert halted["failed"] == 1 and halted["upgraded"] == halted["total"] - halted["pending"] - 1, odd
    assert halted["pending"] == CHILDREN - BATCH  # it stopped after the first batch, the rest untouched
    by_id = {o["canister_id"]: o for o in outcomes(factory)}
    rolled = by_id[poisoned.id]["outcome"]
    assert "RolledBack" in rolled and "poison" in rolled["RolledBack"]
    assert sum("Pending" in o["outcome"] for o in by_id.values()) == halted["pending"]

    # The failed child runs 0.1.0 again with its data; the others run 0.2.0.
    assert poisoned.call(owners[1], "version") == "0.1.0"
    assert poisoned.call(owners[1], "get_preference", "poison") == "apple"
    info = factory.call(owners[1], "get_canister_info", poisoned.id)
    assert info["version"] == "0.1.0" and "rolled back" in info["last_error"]
    assert info["status"] == {"Active": None}
    upgraded = child(callers, good.id, "user")
    assert by_id[good.id]["outcome"] == {"Pending": None}
    assert good.call(owners[0], "version") == "0.1.0"

    # Resume with room for that failure: the rest is upgraded and the run completes.
    resumed = ok(factory.admin("resume_fleet_upgrade", 1))
    assert resumed["state"] == {"Running": None}
    done = progress_when_settled(factory)
    assert done["state"] == {"Completed": None} and done["pending"] == 0
    assert done["upgraded"] == CHILDREN - 1 and done["failed"] == 1
    assert upgraded.call(owners[0], "version") == "0.2.0"
    assert upgraded.call(owners[0], "get_preference", "colour") == "green"
    versions = {i["version"] for i in factory.admin("list_canisters", {
        "offset": 0, "limit": 500, "canister_type": "user", "status": None, "owner": None})["items"]}
    assert versions == {"0.1.0", "0.2.0"}
    assert any(e["action"] == "fleet_upgrade" and "halted" in (e["error"] or "")
               for e in factory.admin("get_events", None, 500)["items"])


def settled(factory):
    """The progress once no batch is out (a cancelled run may still have one on its way back)."""
    return wait_until(lambda: (lambda p: p if p["in_flight"] == 0 and "Running" not in p["state"] else None)(
        factory.admin("fleet_upgrade_progress")), timeout=120, interval=0.2)


def test_a_fleet_run_refuses_a_second_start_is_cancelled_cleanly_and_outlives_a_factory_upgrade(callers):
    factory = Factory(callers)
    factory.register("user-0.1.0", template="user", version="0.1.0")
    owners = [Ed25519Identity.generate() for _ in range(10)]
    ids = [ok(factory.admin("create_user_canister", o.sender)) for o in owners]
    factory.register("user", current=False)
    run = {"template": "user", "version": "0.2.0", "batch_size": 1, "max_failures": 0}

    # While a run is under way a second start is refused; cancelled, it stops after its batch.
    first = ok(factory.admin("start_fleet_upgrade", run))
    assert factory.admin("start_fleet_upgrade", run) == {"Err": {"Busy": None}}
    wait_until(lambda: factory.admin("fleet_upgrade_progress")["upgraded"] >= 2, timeout=120, interval=0.1)
    assert factory.admin("cancel_fleet_upgrade") == {"Ok": None}
    cancelled = settled(factory)
    assert cancelled["state"] == {"Cancelled": None} and cancelled["id"] == first["id"]
    assert cancelled["upgraded"] + cancelled["pending"] == cancelled["total"] == len(ids)
    assert cancelled["pending"] >= 3 and cancelled["failed"] == 0
    # Done children run the new version, the others the old one; every child is usable.
    by_id = {o["canister_id"]: o["outcome"] for o in outcomes(factory)}
    for owner, cid in zip(owners, ids):
        want = "0.2.0" if "Upgraded" in by_id[cid] else "0.1.0"
        assert child(callers, cid, "user").call(owner, "version") == want
        info = factory.call(owner, "get_canister_info", cid)
        assert (info["version"], info["status"]) == (want, {"Active": None})
    assert sum("Pending" in o for o in by_id.values()) == cancelled["pending"]

    # A new run takes the rest; the factory is upgraded in the middle (stopped first, so its
    # batch comes back before the module changes) and the run carries on to the end.
    second = ok(factory.admin("start_fleet_upgrade", run))
    assert second["id"] == first["id"] + 1
    wait_until(lambda: factory.admin("fleet_upgrade_progress")["upgraded"] >= 1, timeout=120, interval=0.1)
    midway = factory.admin("fleet_upgrade_progress")
    assert midway["state"] == {"Running": None} and midway["pending"] > 0, midway
    mgmt = callers.management()
    mgmt.stop_canister(factory.id)  # no timer runs from here, so no batch starts
    factory.upgrade_self()
    mgmt.start_canister(factory.id)
    done = settled(factory)
    assert done["state"] == {"Completed": None} and done["id"] == second["id"]
    assert done["upgraded"] + done["skipped"] == len(ids) and done["failed"] == 0 and done["pending"] == 0
    assert done["skipped"] == cancelled["upgraded"]
    for owner, cid in zip(owners, ids):
        assert child(callers, cid, "user").call(owner, "version") == "0.2.0"
    assert {i["version"] for i in factory.call(owners[0], "list_user_canisters", owners[0].sender)} == {"0.2.0"}
