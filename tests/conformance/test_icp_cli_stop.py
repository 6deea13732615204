"""icp-cli, unchanged, stopping a canister that awaits a call to another canister: ``icp
canister stop`` waits while the canister is ``stopping`` and returns once it is stopped."""
import json
import threading
import time

from _ic.identity import Ed25519Identity
from _ic.principal import Principal
from localnet.client import MiniClient
from localnet.testing import wait_until
from tests.fixtures.holder_canister import EMPTY_ARGS, holder_wasm


def _status(icp, cid):
    return json.loads(icp.run("canister", "status", cid, "--json").stdout)["status"]


def test_icp_canister_stop_waits_for_the_open_call(net, icp):
    client = MiniClient(net.url, Ed25519Identity.generate(), net.root_key_der)
    controllers = [client.identity.sender, Principal.from_text(icp.alice)]
    waiter, holder = (client.create_canister(settings={"controllers": controllers})
                      for _ in range(2))
    for cid in (waiter, holder):
        client.mgmt("install_code", {"mode": {"install": None}, "canister_id": cid,
                                     "wasm_module": holder_wasm(), "arg": b"",
                                     "sender_canister_version": None})
    _, answer = client.call_raw(waiter, "wait", holder.raw, version=2)
    assert answer.status == 202, answer
    rounds = lambda: int.from_bytes(client.query(holder, "rounds", b""), "little")  # noqa: E731
    assert wait_until(lambda: rounds() > 1, timeout=20)

    done = {}

    def stop():
        done["out"] = icp.run("canister", "stop", str(waiter), check=False)
        done["at"] = time.monotonic()

    stopper = threading.Thread(target=stop)
    stopper.start()
    assert wait_until(lambda: _status(icp, str(waiter)) == "Stopping", timeout=30)
    time.sleep(3)
    assert stopper.is_alive(), f"icp canister stop returned while stopping: {done}"
    released = time.monotonic()
    assert client.call(holder, "release", b"") == EMPTY_ARGS
    stopper.join(60)
    assert not stopper.is_alive()
    out = done["out"]
    assert out.returncode == 0, out.stdout + out.stderr
    assert done["at"] >= released
    assert _status(icp, str(waiter)) == "Stopped"
    client.close()
