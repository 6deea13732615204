"""monitor.yml samples the fleet into SQLite (with retention) and a Prometheus textfile that
prometheus_client's own parser reads, without a single update call; report.yml then draws the
trends and lists the alerts, checked in headless Chromium."""
import os
import sqlite3
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from factory.harness import Factory
from localnet.testing import LocalnetProcess
from test_fleet_report import chromium

HOSTS = {"mon_user": "user", "mon_gallery": "gallery", "mon_memory": "memory"}


@pytest.fixture(scope="module")
def monitored(tmp_path_factory):
    with LocalnetProcess() as net:
        factory = Factory(net, tmp_path_factory.mktemp("monitor"))
        inventory = factory.inventory("fleet.yml", {h: (t, {"owner": factory.principal}) for h, t in HOSTS.items()})
        assert factory.play("provision.yml", inventory, forks=3).rc == 0
        paths = {"monitor_db": os.path.join(factory.workdir, "mon", "samples.sqlite"),
                 "prom_file": os.path.join(factory.workdir, "mon", "icp.prom")}
        yield factory, paths


def rows(db):
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT host, ts FROM samples ORDER BY ts").fetchall()


def metrics(path):
    with open(path, encoding="utf-8") as handle:
        return {f.name: f for f in text_string_to_metric_families(handle.read())}


def test_monitor_samples_into_sqlite_and_prometheus_without_update_calls(monitored):
    factory, paths = monitored
    calls = factory.update_calls()
    run = factory.play("monitor.yml", extra_vars=paths)
    assert run.rc == 0 and run.total("changed") == 1, run.explain()
    assert factory.update_calls() == calls, "monitoring made update calls"
    assert sorted(h for h, _ in rows(paths["monitor_db"])) == sorted(HOSTS)

    families = metrics(paths["prom_file"])
    live = {c["id"]: c for c in factory.canisters()}
    entries = factory.entries()
    cycles = {s.labels["host"]: s for s in families["icp_canister_cycles"].samples}
    assert sorted(cycles) == sorted(HOSTS)
    for host, sample in cycles.items():
        assert sample.labels["canister_id"] == entries[host]["canister_id"]
        assert sample.labels["template"] == HOSTS[host]
        assert 0 < live[entries[host]["canister_id"]]["cycles"] <= sample.value
    assert {s.labels["host"]: s.value for s in families["icp_canister_running"].samples} == {h: 1 for h in HOSTS}
    counters = {(s.labels["host"], s.labels["counter"]) for s in families["icp_canister_template_counter"].samples}
    assert ("mon_memory", "members") in counters and ("mon_user", "heap_bytes") in counters
    assert all(s.value > 0 for s in families["icp_canister_memory_bytes"].samples)

    again = factory.play("monitor.yml", extra_vars=paths)
    assert again.rc == 0 and again.total("changed") == 0, again.explain()
    assert len(rows(paths["monitor_db"])) == len(HOSTS)

    with sqlite3.connect(paths["monitor_db"]) as conn:  # a sample from before the retention window
        conn.execute("INSERT INTO samples (ts, host, canister_id, template, status, cycles) "
                     "VALUES (?, 'mon_user', 'x', 'user', 'running', 1)", (time.time() - 40 * 86400,))
    factory.net.advance_time(86400)
    later = factory.play("monitor.yml", extra_vars=dict(paths, monitor_min_interval=0))
    assert later.rc == 0 and later.total("changed") == 1, later.explain()
    kept = rows(paths["monitor_db"])
    assert len(kept) == 2 * len(HOSTS) and min(ts for _, ts in kept) > time.time() - 3600
    burn = {s.labels["host"]: s.value for s in metrics(paths["prom_file"])["icp_canister_burn_cycles_per_day"].samples}
    assert all(v > 0 for v in burn.values()) and sorted(burn) == sorted(HOSTS)


def test_report_draws_trends_and_lists_alerts(monitored):
    factory, paths = monitored
    if not os.path.exists(paths["monitor_db"]):
        assert factory.play("monitor.yml", extra_vars=paths).rc == 0
    from _registry import Registry, add_event
    with Registry(factory.registry).transaction() as data:
        entry = data.get("mon_gallery")
        add_event(entry, "upgrade", "failed", error="install_code trapped")
        data.put("mon_gallery", entry)
    page = os.path.join(factory.workdir, "report.html")
    run = factory.play("report.yml", extra_vars={"report_path": page, "monitor_db": paths["monitor_db"],
                                                 "monitor_days_left_below": 10 ** 12})
    assert run.rc == 0, run.explain()
    dom = chromium(factory, "--dump-dom", f"file://{page}")
    for host in HOSTS:
        assert f'id="trend-{host}"' in dom
        assert f"{host}: " in dom and "days of cycles left" in dom
    assert dom.count('class="spark spark-cycles"') == len(HOSTS) and "<polyline" in dom
    assert "alert-failed_upgrade" in dom and "install_code trapped" in dom
    assert "alert-near_limit" not in dom
