"""Faults, time, persistence across restarts, and crash safety under kill -9."""
import sqlite3
import threading
import time

import pytest

from _ic import candid
from _ic.errors import Reject
from _ic.identity import Ed25519Identity
from _ic.principal import Principal
from localnet.client import MiniClient
from localnet.management.interface import DID
from localnet.testing import LocalnetError, LocalnetProcess

MGMT = Principal.management()


def status_arg(cid):
    return candid.encode(DID.arg_types("canister_status"), [{"canister_id": cid}])


def test_faults_503_429_delay_and_drop(net, client):
    cid = client.create_canister()
    net.faults({"match": {"method": "canister_status"}, "action": "http_503", "count": 1})
    _, answer = client.call_raw(MGMT, "canister_status", status_arg(cid), ecid=cid)
    assert answer.status == 503
    net.faults({"match": {"canister": str(cid), "endpoint": "call"}, "action": "http_429"})
    _, answer = client.call_raw(MGMT, "canister_status", status_arg(cid), ecid=cid)
    assert answer.status == 429
    _, answer = client.call_raw(MGMT, "canister_status", status_arg(cid), ecid=cid)
    assert answer.status == 200
    net.faults({"match": {"endpoint": "call"}, "action": "delay_ms", "ms": 300})
    started = time.monotonic()
    client.mgmt("canister_status", {"canister_id": cid})
    assert time.monotonic() - started >= 0.3
    before = net.metrics()["update_calls"]
    net.faults({"match": {"method": "stop_canister"}, "action": "drop_response"})
    stop = candid.encode(DID.arg_types("stop_canister"), [{"canister_id": cid}])
    content = client.content("call", MGMT, "stop_canister", stop)
    with pytest.raises(Exception):
        client.conn.request("POST", f"/api/v4/canister/{cid}/call",
                            body=client.envelope(content),
                            headers={"Content-Type": "application/cbor"})
        client.conn.getresponse().read()
    client.conn.close()
    assert net.metrics()["update_calls"] == before + 1  # executed although not answered
    assert client.mgmt("canister_status", {"canister_id": cid})["status"] == {"stopped": None}
    with pytest.raises(LocalnetError):
        net.faults({"action": "explode"})
    net.faults(clear=True)


def test_metrics_count_by_method_and_endpoint(net, client):
    before = net.metrics()
    cid = client.create_canister()
    client.mgmt("canister_status", {"canister_id": cid}, as_query=True)
    client.read_state(cid, [[b"time"]])
    after = net.metrics()
    assert after["update_calls"] == before["update_calls"] + 1
    assert after["queries"] == before["queries"] + 1
    assert after["read_states"] == before["read_states"] + 1
    key = "aaaaa-aa.provisional_create_canister_with_cycles"
    assert after["by_method"][key] == before["by_method"].get(key, 0) + 1


def test_advance_time_burns_idle_cycles(net, client):
    cid = client.create_canister(10 ** 12, settings={"memory_allocation": 1024 ** 3})
    before = client.mgmt("canister_status", {"canister_id": cid})
    per_day = before["idle_cycles_burned_per_day"]
    assert per_day > 0
    net.advance_time(86_400)
    after = client.mgmt("canister_status", {"canister_id": cid})
    burned = before["cycles"] - after["cycles"]
    assert per_day <= burned <= per_day * 1.01


def test_state_survives_restart_and_root_key_is_kept():
    with LocalnetProcess() as net:
        c = MiniClient(net.url, Ed25519Identity.generate(), net.root_key_der)
        cid = c.create_canister(777_000)
        key = net.root_key_hex
        c.close()
        net.restart()
        assert net.root_key_hex == key
        c = MiniClient(net.url, c.identity, net.root_key_der)
        assert c.mgmt("canister_status", {"canister_id": cid})["cycles"] <= 777_000
        assert c.create_canister() != cid
        c.close()


def test_kill_9_loses_at_most_the_call_in_flight():
    with LocalnetProcess() as net:
        identity = Ed25519Identity.generate()
        created = []
        stop = threading.Event()

        def load():
            c = MiniClient(net.url, identity, net.root_key_der)
            while not stop.is_set():
                try:
                    created.append(c.create_canister(1))
                except Exception:  # noqa: BLE001 - the process is being killed
                    return

        workers = [threading.Thread(target=load) for _ in range(3)]
        for worker in workers:
            worker.start()
        time.sleep(1.5)
        net.kill()
        stop.set()
        for worker in workers:
            worker.join()
        assert len(created) > 10
        db = sqlite3.connect(f"{net.state_dir}/state.sqlite3")
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        db.close()
        net.restart()
        c = MiniClient(net.url, identity, net.root_key_der)
        from localnet.system_canisters import SYSTEM
        listed = {entry["id"] for entry in net.canisters()} - {str(cid) for cid in SYSTEM}
        assert {str(cid) for cid in created} <= listed
        assert len(listed) <= len(created) + 3  # at most the calls in flight
        fresh = c.create_canister()
        assert str(fresh) not in {str(x) for x in created}
        c.close()


def test_serve_status_and_stop_commands(tmp_path):
    import subprocess
    import sys
    net = LocalnetProcess(state_dir=str(tmp_path))
    try:
        assert (tmp_path / "root_key.hex").read_text().strip() == net.root_key_hex
        cmd = [sys.executable, "-m", "localnet"]
        out = subprocess.run(cmd + ["status", "--state-dir", str(tmp_path)], cwd=net_cwd(),
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 0 and net.url in out.stdout
        second = subprocess.run(cmd + ["serve", "--port", "0", "--state-dir", str(tmp_path)],
                                cwd=net_cwd(), capture_output=True, text=True, timeout=30)
        assert second.returncode == 1 and "in use" in second.stderr
        out = subprocess.run(cmd + ["stop", "--state-dir", str(tmp_path)], cwd=net_cwd(),
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 0
        assert net.proc.wait(10) == 0
        out = subprocess.run(cmd + ["status", "--state-dir", str(tmp_path)], cwd=net_cwd(),
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 1
    finally:
        net.stop()


def test_stop_after_kill_9_only_cleans_up(tmp_path):
    import subprocess
    import sys
    net = LocalnetProcess(state_dir=str(tmp_path))
    net.kill()
    assert (tmp_path / "localnet.json").exists()  # stale: the process died without cleanup
    out = subprocess.run([sys.executable, "-m", "localnet", "stop", "--state-dir",
                          str(tmp_path)], cwd=net_cwd(), capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 0 and "stale" in out.stdout
    assert not (tmp_path / "localnet.json").exists()


def net_cwd():
    import os
    import localnet
    return os.path.dirname(os.path.dirname(os.path.abspath(localnet.__file__)))


def test_start_of_unknown_canister_is_ic0301(net, client):
    with pytest.raises(Reject) as info:
        client.mgmt("start_canister", {"canister_id": Principal.from_canister_index(3)})
    assert info.value.error_code == "IC0301"
