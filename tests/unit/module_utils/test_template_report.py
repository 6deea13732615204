"""template_report reads get_info's capacity and state_version from every template version (older
ones without the fields give None) and judges fullness by the larger of memory and capacity;
snapshot_unchanged records a skip key only when no write can have slipped in, and matches it."""
import pytest

from ansible_collections.icp.canister_factory.plugins.module_utils import _snapshot_unchanged as snapshot_unchanged, _template_report as template_report
from ansible_collections.icp.canister_factory.plugins.module_utils._ic import candid
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import Reject

OLD_INFO = "(record { owner : principal; template : text; version : text; counts : vec record { text; nat }; " \
           "bytes_used : nat; memory_bytes : nat; heap_bytes : nat; cycles : nat })"
NEW_INFO = OLD_INFO[:-2] + "; capacity : opt record { used : nat; limit : nat; unit : text }; state_version : opt nat64 })"
BASE = {"owner": None, "template": "user", "version": "0.1.0", "counts": [("preferences", 4)], "bytes_used": 9,
        "memory_bytes": 1, "heap_bytes": 1, "cycles": 5}


class FakeAgent:
    def __init__(self, reply=None, reject=False):
        self.reply, self.reject, self.calls = reply, reject, []

    def query(self, canister, method, arg):
        self.calls.append((canister.to_text(), method, arg))
        if self.reject:
            raise Reject(3, "Canister has no query method 'get_info'", "IC0536")
        return self.reply


def encoded(types, **fields):
    from ansible_collections.icp.canister_factory.plugins.module_utils._ic.principal import Principal
    value = dict(BASE, owner=Principal.from_text("aaaaa-aa"), **fields)
    return candid.encode(candid.parse_types(types), [value])


CANISTER = "lxzze-o7777-77777-aaaaa-cai"


def test_reads_new_and_old_templates_with_one_type():
    new = FakeAgent(encoded(NEW_INFO, capacity={"used": 4, "limit": 5, "unit": "preferences"}, state_version=7))
    assert template_report.read_report(new, CANISTER) == {
        "capacity": {"used": 4, "limit": 5, "unit": "preferences"}, "state_version": 7}
    assert new.calls == [(CANISTER, "get_info", b"DIDL\x00\x00")]
    old = FakeAgent(encoded(OLD_INFO))
    assert template_report.read_report(old, CANISTER) == {"capacity": None, "state_version": None}
    assert template_report.read_report(FakeAgent(reject=True), CANISTER) is None


@pytest.mark.parametrize("status,report,expected", [
    ({"memory_size": 10, "settings": {"wasm_memory_limit": 100}}, None, 0.1),
    ({"memory_size": 10, "settings": {"wasm_memory_limit": 100}}, {"capacity": {"used": 4, "limit": 5, "unit": "x"}}, 0.8),
    ({"memory_size": 90, "settings": {"wasm_memory_limit": 100}}, {"capacity": {"used": 4, "limit": 5, "unit": "x"}}, 0.9),
    ({"memory_size": 90, "settings": {"wasm_memory_limit": 0}}, {"capacity": {"used": 1, "limit": 4, "unit": "x"}}, 0.25),
    ({"memory_size": 90, "settings": {}}, {"capacity": None, "state_version": 3}, None),
])
def test_fullness_is_the_larger_ratio(status, report, expected):
    assert template_report.fullness(status, report) == expected


def running(version, module_hash=b"\x01" * 32):
    return {"status": {"running": None}, "module_hash": module_hash, "version": version}


def test_skip_key_needs_every_part_and_no_write_in_between():
    agent = FakeAgent(encoded(NEW_INFO, state_version=7))
    before = snapshot_unchanged.current(agent, CANISTER, running(10))
    after = snapshot_unchanged.current(agent, CANISTER, running(13))
    assert after == {"module_hash": "01" * 32, "canister_version": 13, "state_version": 7}
    assert snapshot_unchanged.proven(before, after) == after
    written = snapshot_unchanged.current(FakeAgent(encoded(NEW_INFO, state_version=8)), CANISTER, running(14))
    assert snapshot_unchanged.proven(before, written) is None
    assert snapshot_unchanged.proven(None, after) is None
    # no key for a template without state_version, a stopped canister, or a replica without version
    assert snapshot_unchanged.current(FakeAgent(encoded(OLD_INFO)), CANISTER, running(10)) is None
    assert snapshot_unchanged.current(agent, CANISTER, dict(running(10), status={"stopped": None})) is None
    assert snapshot_unchanged.current(agent, CANISTER, running(None)) is None
    manifest = {snapshot_unchanged.STATE_KEY: after}
    assert snapshot_unchanged.still_matches(manifest, dict(after))
    assert not snapshot_unchanged.still_matches(manifest, dict(after, canister_version=14))
    assert not snapshot_unchanged.still_matches(manifest, dict(after, state_version=8))
    assert not snapshot_unchanged.still_matches({}, after) and not snapshot_unchanged.still_matches(manifest, None)


def test_memory_ratio_measures_the_wasm_heap_the_limit_caps():
    """wasm_memory_limit caps the Wasm heap: memory_metrics' wasm_memory_size when the replica
    reports it (what the factory canister reads too), else memory_size."""
    status = {"memory_size": 90, "memory_metrics": {"wasm_memory_size": 40}, "settings": {"wasm_memory_limit": 100}}
    assert template_report.memory_ratio(status) == 0.4
    assert template_report.memory_ratio({"memory_size": 90, "settings": {"wasm_memory_limit": 100}}) == 0.9


@pytest.mark.parametrize("status,report,by,near", [
    # capacity near full, memory low
    ({"memory_size": 5, "settings": {"wasm_memory_limit": 100}}, {"capacity": {"used": 9, "limit": 10, "unit": "x"}},
     "capacity", True),
    # memory near full, capacity low
    ({"memory_size": 95, "settings": {"wasm_memory_limit": 100}}, {"capacity": {"used": 0, "limit": 10, "unit": "x"}},
     "memory", True),
    ({"memory_size": 5, "settings": {"wasm_memory_limit": 100}}, {"capacity": {"used": 1, "limit": 10, "unit": "x"}},
     "capacity", False),
    ({"memory_size": 5, "settings": {}}, None, None, False),
])
def test_assess_names_the_fuller_side_and_near_limit_uses_it(status, report, by, near):
    assessment = template_report.assess(status, report)
    assert assessment["by"] == by
    assert assessment["fullness"] == template_report.fullness(status, report)
    assert template_report.near_limit(assessment, 0.8) is near
