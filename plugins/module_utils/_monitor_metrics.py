# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What ``ic_monitor`` derives from the series: trends, alerts, and the Prometheus textfile."""

from __future__ import annotations

try:
    from ansible_collections.icp.canister_factory.plugins.module_utils._registry import (
        CODE_EVENTS, RESULT_OK, RESULT_STARTED)
    from ansible_collections.icp.canister_factory.plugins.module_utils._template_report import near_limit
except ImportError:
    # The EDA event source (extensions/eda) imports module_utils as top-level modules.
    from _registry import CODE_EVENTS, RESULT_OK, RESULT_STARTED  # type: ignore[no-redef]
    from _template_report import near_limit  # type: ignore[no-redef]

DAY = 86400.0
MAX_POINTS = 60
LABELS = ("host", "canister_id", "template")


def last_failure(entry):
    """The newest failed create, install or upgrade event of an entry when nothing succeeded after it."""
    for event in reversed(entry.get("events") or []):
        if event.get("action") in CODE_EVENTS:
            return event if event.get("result") not in (RESULT_OK, RESULT_STARTED) else None
    return None


def burn_per_day(samples):
    """Cycles burnt per day over the samples: only decreases count (a top-up is not negative burn).

    With fewer than two samples, or none apart in time, the IC's own idle burn of the newest one.
    """
    burnt = 0
    for before, after in zip(samples, samples[1:]):
        if before["cycles"] is not None and after["cycles"] is not None and after["cycles"] < before["cycles"]:
            burnt += before["cycles"] - after["cycles"]
    elapsed = samples[-1]["ts"] - samples[0]["ts"] if samples else 0
    if len(samples) < 2 or elapsed <= 0:
        return float(samples[-1]["idle_burn_per_day"] or 0) if samples else 0.0
    return max(burnt / elapsed * DAY, float(samples[-1]["idle_burn_per_day"] or 0))


def _thin(samples):
    step = max(1, -(-len(samples) // MAX_POINTS))
    picked = samples[::step]
    if picked[-1] is not samples[-1]:
        picked.append(samples[-1])
    return [{"ts": s["ts"], "cycles": s["cycles"], "memory_bytes": s["memory_bytes"]} for s in picked]


def trends(series):
    """``{host: trend}``: the newest figures, burn per day, days left, memory use, thinned points."""
    out = {}
    for host, samples in series.items():
        last = samples[-1]
        burn = burn_per_day(samples)
        out[host] = {
            "canister_id": last["canister_id"], "template": last["template"], "status": last["status"],
            "cycles": last["cycles"], "memory_bytes": last["memory_bytes"],
            "wasm_memory_limit": last["wasm_memory_limit"] or 0,
            "memory_ratio": _rounded(last.get("memory_ratio")), "fullness": last.get("fullness"),
            "full_by": last.get("full_by"), "capacity": last.get("capacity"),
            "burn_per_day": round(burn), "days_left": round(last["cycles"] / burn, 2) if burn > 0 and last["cycles"]
            is not None else None,
            "query_calls": last["query_calls"], "query_instructions": last["query_instructions"],
            "counters": last["counters"], "samples": len(samples), "points": _thin(samples)}
    return out


def _rounded(ratio):
    return None if ratio is None else round(ratio, 4)


def near_limit_message(host, trend):
    """Why a canister is near its limit: its capacity counter or its memory, whichever is fuller."""
    capacity = trend.get("capacity")
    if trend.get("full_by") == "capacity" and capacity:
        return (f"{host}: {trend['fullness']:.0%} full by its template's capacity "
                f"({capacity['used']} of {capacity['limit']} {capacity['unit']})")
    return f"{host}: {trend['fullness']:.0%} full by memory (of its wasm_memory_limit)"


def alerts(trend_by_host, days_left_below, near_limit_above, failures=None):
    """The alerts: few days left, near the limit (template_report's fullness), not running, failed upgrades or installs."""
    found = []
    for host in sorted(trend_by_host):
        trend = trend_by_host[host]
        if trend["days_left"] is not None and trend["days_left"] < days_left_below:
            found.append({"host": host, "kind": "low_cycles", "value": trend["days_left"],
                          "message": f"{host}: {trend['days_left']} days of cycles left (below {days_left_below})"})
        if near_limit(trend, near_limit_above):
            found.append({"host": host, "kind": "near_limit", "value": trend["fullness"],
                          "message": near_limit_message(host, trend)})
        if trend["status"] not in ("running", None):
            found.append({"host": host, "kind": "not_running", "value": trend["status"],
                          "message": f"{host}: canister is {trend['status']}"})
    for host, event in sorted((failures or {}).items()):
        found.append({"host": host, "kind": f"failed_{event.get('action', 'operation')}", "value": event.get("time"),
                      "message": f"{host}: {event.get('action')} failed at {event.get('time')}: "
                                 f"{event.get('error', '')}".rstrip(": ")})
    return found


def write_textfile(path, trend_by_host, now):
    """Write the Prometheus text format for node_exporter's textfile collector (atomically)."""
    from prometheus_client import CollectorRegistry, Gauge, write_to_textfile

    registry = CollectorRegistry()

    def gauge(name, doc, extra=()):
        return Gauge(name, doc, LABELS + tuple(extra), registry=registry)

    figures = {
        "cycles": gauge("icp_canister_cycles", "Cycle balance of the canister."),
        "memory_bytes": gauge("icp_canister_memory_bytes", "Memory the canister uses, in bytes."),
        "wasm_memory_limit": gauge("icp_canister_wasm_memory_limit_bytes", "The canister's wasm_memory_limit (0: none)."),
        "fullness": gauge("icp_canister_fullness_ratio",
                          "The larger of Wasm memory against wasm_memory_limit and the template's capacity counter."),
        "burn_per_day": gauge("icp_canister_burn_cycles_per_day", "Cycles burnt per day over the retention window."),
        "days_left": gauge("icp_canister_days_left", "Days until the cycles run out at the current burn."),
        "query_calls": gauge("icp_canister_query_calls", "Query calls counted by query_stats."),
        "query_instructions": gauge("icp_canister_query_instructions", "Query instructions counted by query_stats."),
    }
    running = gauge("icp_canister_running", "1 when the canister is running, else 0.")
    counter = gauge("icp_canister_template_counter", "A counter the template reports in get_info.", ["counter"])
    for host in sorted(trend_by_host):
        trend = trend_by_host[host]
        labels = (host, trend["canister_id"], trend["template"] or "")
        for key, metric in figures.items():
            if trend.get(key) is not None:
                metric.labels(*labels).set(trend[key])
        running.labels(*labels).set(1 if trend["status"] == "running" else 0)
        for name, value in sorted((trend["counters"] or {}).items()):
            counter.labels(*labels, name).set(value)
    Gauge("icp_monitor_last_sample_timestamp_seconds", "When ic_monitor sampled last.",
          registry=registry).set(now)
    write_to_textfile(path, registry)
