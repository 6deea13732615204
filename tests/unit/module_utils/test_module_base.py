"""ICModule's shared rules: option defaults, diff merging, error wording, event vocabulary."""
import pytest

from ansible_collections.icp.canister_factory.plugins.module_utils import _registry as registry
from ansible_collections.icp.canister_factory.plugins.module_utils._canister_lifecycle import CanisterLifecycle
from ansible_collections.icp.canister_factory.plugins.module_utils._cycles_topup import CyclesTopUp
from ansible_collections.icp.canister_factory.plugins.module_utils._code_install import CodeInstall
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import (
    CertificateError, InputError, Reject, TransportError)
from ansible_collections.icp.canister_factory.plugins.module_utils._error_text import describe_error
from ansible_collections.icp.canister_factory.plugins.module_utils._ic_module import DiffTracker, ICModule, ModuleFailed


class Canister(CanisterLifecycle, ICModule):
    pass


class Cycles(CyclesTopUp, ICModule):
    pass


class Code(CodeInstall, ICModule):
    pass


def test_argument_defaults_come_from_the_spec():
    params = Canister.argument_defaults(name="a", registry="r.yml")
    assert params["wait_timeout"] == Canister.argument_spec["wait_timeout"]["default"]
    assert params["state"] == "present" and params["funding"] == "auto"
    assert params["specified_id"] is None and params["name"] == "a"
    assert Cycles.argument_defaults(min_cycles=1)["source"] == "auto"
    assert Code.argument_defaults(wasm="x")["mode"] == "auto"
    with pytest.raises(InputError) as info:
        Canister.argument_defaults(wait_timout=3)
    assert info.value.field == "wait_timout"


def test_defaults_are_copies():
    first = Code.argument_defaults(wasm="x")
    first["verify"] = {"method": "m"}
    assert Code.argument_defaults(wasm="x")["verify"] is None


def test_diff_merge():
    one, two, fleet = DiffTracker(), DiffTracker(), DiffTracker()
    one.add("cycles", 1, 2)
    one.add("status", "running", "running")
    two.add("module_hash", None, "ab")
    one.merge(two)
    assert one.get() == {"before": {"cycles": 1, "module_hash": None}, "after": {"cycles": 2, "module_hash": "ab"}}
    fleet.merge(one, prefix="alice")
    fleet.merge(DiffTracker(), prefix="bob")  # nothing changed: no key
    assert fleet.get() == {"before": {"alice": {"cycles": 1, "module_hash": None}},
                           "after": {"alice": {"cycles": 2, "module_hash": "ab"}}}


@pytest.mark.parametrize("exc, msg, error", [
    (Reject(5, "Canister trapped\nhelp text", "IC0503"), "reject code 5 IC0503: Canister trapped",
     {"reject_code": 5, "error_code": "IC0503", "message": "Canister trapped\nhelp text"}),
    (CertificateError("bad signature"), "certificate check failed: bad signature", None),
    (TransportError("connection refused"), "cannot reach http://127.0.0.1:4943: connection refused",
     {"reject_code": None, "error_code": None, "message": "connection refused"}),
    (InputError("settings.controllers", "not a principal"), "settings.controllers: not a principal", None),
    (ModuleFailed("upgrade failed", {"error": {"reject_code": 5}}), "upgrade failed", {"reject_code": 5}),
])
def test_describe_error(exc, msg, error):
    assert describe_error(exc, "local") == (msg, error)


def test_event_vocabulary_is_enforced():
    entry = {}
    registry.add_event(entry, registry.EVENT_TOP_UP, registry.RESULT_OK, identity="x", cycles=5)
    assert entry["events"][-1]["action"] == "top_up"
    with pytest.raises(ValueError):
        registry.add_event(entry, "topped_up", registry.RESULT_OK)


def test_ic_registry_offers_exactly_the_vocabulary():
    from ansible_collections.icp.canister_factory.plugins.modules import ic_registry

    choices = ic_registry.ICRegistry.argument_spec["event"]["options"]["action"]["choices"]
    assert tuple(choices) == registry.EVENTS


def test_a_mutable_default_is_each_instances_own():
    class Listy(ICModule):
        argument_spec = {"tags": {"type": "list", "default": ["a"]}, "mode": {"type": "str", "default": "auto"}}

    first, second = Listy.argument_defaults(), Listy.argument_defaults()
    first["tags"].append("b")
    assert second["tags"] == ["a"] and Listy.argument_spec["tags"]["default"] == ["a"]
    assert first["mode"] == "auto"
