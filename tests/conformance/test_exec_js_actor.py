"""DFINITY's JS agent (@icp-sdk/core) calls canister methods on localnet through
Actor.createActor, with query signature verification on (exec_js_actor.mjs)."""
import os
import re

from exec_support import net, write_wasm  # noqa: F401

TEMPLATE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "wasm", "user.wasm.gz")


def test_actor_calls_counter_and_user_template(net, run_node, tmp_path):
    out = run_node("exec_js_actor.mjs", net.url, write_wasm(tmp_path, "Counter"), TEMPLATE)
    # Counter(owner, 5): an update, a verified query, the caller as the canister sees it.
    assert out["add"] == "8" and out["get"] == "8"
    assert out["whoami"] == out["owner"]
    assert out["notes"] == ["from js"]
    assert out["stranger_whoami"] != out["owner"]
    # Owner-only update: the canister traps for anyone else and keeps its state.
    assert out["stranger_reset"]["code"] == "IC0503"
    assert "only the owner may reset" in out["stranger_reset"]["text"]
    assert out["get_after"] == "8"
    # The user template, installed with its init record.
    assert out["user_set"] == {"ok": None}
    assert out["user_get"] == ["green"] and out["user_get_after"] == ["green"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", out["user_version"])
    # Its canister_inspect_message turns away strangers before execution.
    assert out["stranger_set"]["code"] == "IC0406"
    assert "may not change preferences" in out["stranger_set"]["text"]
