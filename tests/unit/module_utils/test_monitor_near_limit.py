"""ic_monitor's samples keep the fullness of template_report's rule, an older samples file gains
the columns on first use, and the alerts judge by fullness, naming memory or capacity."""
import sqlite3

from ansible_collections.icp.canister_factory.plugins.module_utils import _monitor_metrics as monitor_metrics
from ansible_collections.icp.canister_factory.plugins.module_utils._monitor_store import COLUMNS, MonitorStore

OLD_SCHEMA = """CREATE TABLE samples (
    ts REAL NOT NULL, host TEXT NOT NULL, canister_id TEXT NOT NULL, template TEXT,
    status TEXT, cycles INTEGER, memory_bytes INTEGER, wasm_memory_limit INTEGER,
    idle_burn_per_day INTEGER, query_calls INTEGER, query_instructions INTEGER, counters TEXT);"""


def sample(host, ts, **fields):
    base = {c: None for c in COLUMNS}
    base.update(ts=ts, host=host, canister_id="lxzze-o7777-77777-aaaaa-cai", template="user", status="running",
                cycles=10 ** 12, memory_bytes=5_000_000, wasm_memory_limit=100_000_000, idle_burn_per_day=1,
                counters={})
    base.update(fields)
    return base


def test_an_older_samples_file_gains_the_fullness_columns(tmp_path):
    path = str(tmp_path / "old.sqlite")
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SCHEMA)
        db.execute("INSERT INTO samples (ts, host, canister_id, counters) VALUES (1, 'old', 'aaaaa-aa', '{}')")
    store = MonitorStore(path)
    capacity = {"used": 9, "limit": 10, "unit": "preferences"}
    store.add([sample("new", 2, fullness=0.9, memory_ratio=0.05, full_by="capacity", capacity=capacity)], 10 ** 9, 2)
    series = store.series()
    assert series["old"][0]["fullness"] is None and series["old"][0]["capacity"] is None
    assert series["new"][0]["fullness"] == 0.9 and series["new"][0]["capacity"] == capacity


def test_alerts_judge_by_fullness_either_way():
    series = {
        "cap": [sample("cap", 1, fullness=0.9, memory_ratio=0.05, full_by="capacity",
                       capacity={"used": 9, "limit": 10, "unit": "preferences"})],
        "mem": [sample("mem", 1, fullness=0.85, memory_ratio=0.85, full_by="memory",
                       capacity={"used": 0, "limit": 10, "unit": "preferences"})],
        "low": [sample("low", 1, fullness=0.1, memory_ratio=0.1, full_by="memory")]}
    found = {a["host"]: a for a in monitor_metrics.alerts(monitor_metrics.trends(series), 0, 0.8)
             if a["kind"] == "near_limit"}
    assert sorted(found) == ["cap", "mem"]
    assert found["cap"]["message"] == "cap: 90% full by its template's capacity (9 of 10 preferences)"
    assert found["mem"]["message"] == "mem: 85% full by memory (of its wasm_memory_limit)"
    assert found["cap"]["value"] == 0.9
