"""DFINITY's JS agent (@icp-sdk/core) uses the factory canister the way an application does
(js_factory.mjs): sign-up creates the user's own canister, idempotently and race-free, and the
access rules hold for other users and the anonymous caller."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "templates"))

from factory_support import Factory  # noqa: E402
from template_canister import Callers  # noqa: E402


def test_an_application_signs_users_up_through_the_factory(net, run_node):
    factory = Factory(Callers(net))
    factory.register("user")
    out = run_node("js_factory.mjs", net.url, str(factory.id))

    child = out["first"]["Ok"]
    assert out["second"] == {"Ok": child}
    (info,) = out["info"]
    assert info["owner"] == out["alice"] == info["created_by"] == out["child_whoami"]
    assert info["canister_id"] == child and "Active" in info["status"] and info["version"] == ["0.2.0"]
    assert [i["canister_id"] for i in out["list"]] == [child]
    assert out["set"] == {"ok": None} and out["get"] == ["dark"]

    assert out["bob_info"] == []
    assert out["bob_list"]["code"] == "IC0406" or "only its own" in out["bob_list"]["text"]
    assert out["bob_for_alice"] == {"Err": {"NotAuthorized": None}}
    assert out["bob_delete"] == {"Err": {"NotAuthorized": None}}
    assert out["anonymous"] == {"Err": {"NotAuthorized": None}}
    assert "may not" in out["bob_read"]["text"]

    made = {r["Ok"] for r in out["racing"] if "Ok" in r}
    assert len(made) == 1 and all("Ok" in r or r == {"Err": {"Busy": None}} for r in out["racing"])
    assert [i["canister_id"] for i in out["carol_list"]] == list(made)

    assert out["delete"] == {"Ok": None}
    assert "Deleted" in out["after_delete"][0]["status"]
