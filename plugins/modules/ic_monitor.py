#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ic_monitor
short_description: Sample a fleet of canisters into a time series on disk, with trends, alerts and a Prometheus file
version_added: 0.2.0
description:
  - Reads every canister of the registry (or those in O(names)) with C(canister_status) sent as a
    query, and the template's own counters from its C(get_info) query, concurrently and without
    any update call.
  - Adds one sample per canister to the SQLite file O(db) and deletes samples older than
    O(retention_days) in the same transaction.
  - Writes O(prom_file) in the Prometheus text format (for node_exporter's textfile collector) with
    the C(prometheus_client) library, atomically.
  - Returns per canister the trend over the last O(trend_days) (cycles and memory over time, burn
    per day, days left, how full it is) and the alerts (days left below O(days_left_below), fullness
    at or above O(near_limit_above), not running, a failed install or upgrade in the registry's
    audit log).
  - Fullness is the collection's one rule for "near the limit", the same as
    M(icp.canister_factory.ic_canister_info)'s and C(scale.yml)'s; the larger of the Wasm memory
    against C(wasm_memory_limit) and the template's own C(capacity) counter from C(get_info) (for
    example preferences of C(max_preferences)).
author:
  - icp.canister_factory maintainers (@icp-canister-factory)
extends_documentation_fragment:
  - icp.canister_factory.ic
  - icp.canister_factory.ic.ATTRIBUTES
  - icp.canister_factory.ic.SUPPORT_NO_DIFF
requirements:
  - prometheus_client (for O(prom_file))
attributes:
  idempotent:
    support: full
    details:
      - A run within O(min_interval) seconds of the newest sample adds none and changes nothing.
options:
  registry:
    description: The registry file whose canisters are sampled.
    type: path
    required: true
  names:
    description: Only these entries of the registry (default all that are not deleted).
    type: list
    elements: str
  db:
    description: The SQLite file of samples (created when missing).
    type: path
    required: true
  prom_file:
    description: The Prometheus text file to write (node_exporter's C(--collector.textfile.directory)).
    type: path
  retention_days:
    description: Samples older than this many days are deleted.
    type: float
    default: 30
  min_interval:
    description: Seconds; no sample is added while the newest one is younger than this.
    type: float
    default: 60
  sample:
    description: V(false) adds no sample and only reports trends and alerts from O(db).
    type: bool
    default: true
  did_dir:
    description: Directory of the template interfaces (C(<template>.did)) to read C(get_info)'s counters with.
    type: path
  trend_days:
    description: The trends and the burn per day cover this many days.
    type: float
    default: 7
  days_left_below:
    description: Alert when a canister has fewer days of cycles left.
    type: float
    default: 30
  near_limit_above:
    description:
      - Alert (kind V(near_limit)) when the canister's fullness reaches this ratio (0.8 = 80 %).
      - Fullness is the larger of its Wasm memory against C(wasm_memory_limit) and its template's
        C(capacity) counter (used of limit of its fullest quota).
    type: float
    default: 0.8
    aliases: [memory_ratio_above]
  workers:
    description: Canisters read at once.
    type: int
    default: 8
"""

EXAMPLES = r"""
- name: Sample the fleet every few minutes (from cron or a timer)
  icp.canister_factory.ic_monitor:
    registry: "{{ icp_registry }}"
    db: /var/lib/icp/monitor.sqlite
    prom_file: /var/lib/node_exporter/textfile/icp.prom
    did_dir: "{{ playbook_dir }}/../wasm"
"""

RETURN = r"""
sampled:
  description: Canisters sampled by this run (0 when within O(min_interval) or with O(sample=false)).
  returned: always
  type: int
  sample: 200
pruned:
  description: Samples deleted by the retention window.
  returned: always
  type: int
  sample: 0
trends:
  description: Per registry entry, the newest figures and the trend over O(trend_days).
  returned: always
  type: dict
  sample:
    alice:
      canister_id: lxzze-o7777-77777-aaaaa-cai
      template: user
      status: running
      cycles: 990000000000
      memory_bytes: 5308416
      wasm_memory_limit: 268435456
      memory_ratio: 0.0198
      fullness: 0.8
      full_by: capacity
      capacity: {used: 80, limit: 100, unit: preferences}
      burn_per_day: 12000000
      days_left: 82500.0
      counters: {readers: 1}
      samples: 12
      points: [{ts: 1764871200.0, cycles: 990000000000, memory_bytes: 5308416}]
alerts:
  description:
    - Alerts, each with C(host), C(kind) (V(low_cycles), V(near_limit), V(not_running), V(failed_upgrade) ...),
      C(value) and C(message).
    - V(near_limit) carries the fullness as C(value) and says in C(message) whether memory or the
      template's capacity counter is the fuller.
  returned: always
  type: list
  elements: dict
  sample: [{host: alice, kind: low_cycles, value: 3.5, message: "alice: 3.5 days of cycles left (below 30)"}]
"""

import os
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.icp.canister_factory.plugins.module_utils._ic_module import ICModule, run_status
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import ICError, InputError
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.principal import Principal
from ansible_collections.icp.canister_factory.plugins.module_utils._monitor_store import MonitorStore
from ansible_collections.icp.canister_factory.plugins.module_utils import _monitor_metrics as monitor_metrics
from ansible_collections.icp.canister_factory.plugins.module_utils import _template_report as template_report

DAY = 86400.0
EMPTY_ARGS = b"DIDL\x00\x00"


def _int(value):
    return int(value) if value is not None else None


class ICMonitor(ICModule):
    """ic_monitor: sample, keep, derive, export."""

    argument_spec = {
        "registry": {"type": "path", "required": True},
        "names": {"type": "list", "elements": "str"},
        "db": {"type": "path", "required": True},
        "prom_file": {"type": "path"},
        "retention_days": {"type": "float", "default": 30},
        "min_interval": {"type": "float", "default": 60},
        "sample": {"type": "bool", "default": True},
        "did_dir": {"type": "path"},
        "trend_days": {"type": "float", "default": 7},
        "days_left_below": {"type": "float", "default": 30},
        "near_limit_above": {"type": "float", "default": 0.8, "aliases": ["memory_ratio_above"]},
        "workers": {"type": "int", "default": 8},
    }

    def run(self):
        """Sample when due, prune, then report trends and alerts and write the textfile."""
        params = self.params
        if params["retention_days"] <= 0:
            raise InputError("retention_days", "must be more than 0")
        entries = self._entries()
        store = MonitorStore(params["db"])
        now = time.time()
        last = store.last_time()
        due = params["sample"] and (last is None or now - last >= params["min_interval"])
        self.result.update(sampled=0, pruned=0)
        if due:
            self.result["changed"] = True
            if not self.check_mode:
                samples = self._sample(entries, now)
                self.result["pruned"] = store.add(samples, params["retention_days"] * DAY, now)
                self.result["sampled"] = len(samples)
        series = store.series(since=now - params["trend_days"] * DAY)
        series = {h: s for h, s in series.items() if h in entries}
        trend_by_host = monitor_metrics.trends(series)
        failures = {h: e for h, e in ((h, monitor_metrics.last_failure(entry)) for h, entry in entries.items()) if e}
        self.result["trends"] = trend_by_host
        self.result["alerts"] = monitor_metrics.alerts(trend_by_host, params["days_left_below"],
                                                       params["near_limit_above"], failures)
        if params.get("prom_file") and not self.check_mode and (due or not os.path.exists(params["prom_file"])):
            os.makedirs(os.path.dirname(os.path.abspath(params["prom_file"])), exist_ok=True)
            monitor_metrics.write_textfile(params["prom_file"], trend_by_host, now)
            self.result["changed"] = True

    def _entries(self):
        data = self.registry().read()
        wanted = self.params.get("names")
        return {name: entry for name, entry in data.entries.items()
                if entry.get("canister_id") and entry.get("status") != "deleted"
                and (wanted is None or name in wanted)}

    def _sample(self, entries, now):
        self.connect()  # built once, before the threads share it
        self._services = {}
        names = sorted(entries)
        with ThreadPoolExecutor(max_workers=max(1, self.params["workers"])) as pool:
            return list(pool.map(lambda name: self._one(name, entries[name], now), names))

    def _one(self, name, entry, now):
        canister_id = entry["canister_id"]
        sample = {"ts": now, "host": name, "canister_id": canister_id, "template": entry.get("template"),
                  "counters": {}}
        try:
            status = self.canister_status(canister_id)
        except ICError:
            # One canister whose status cannot be read (no longer ours, a network hiccup) must not
            # cost the whole fleet its sample; it shows as status "unknown" and raises an alert.
            sample["status"] = "unknown"
            return sample
        sample["status"] = run_status(status)
        if status is None:
            return sample
        stats = status.get("query_stats") or {}
        settings = status.get("settings") or {}
        sample.update(cycles=_int(status.get("cycles")), memory_bytes=_int(status.get("memory_size")),
                      wasm_memory_limit=_int(settings.get("wasm_memory_limit")),
                      idle_burn_per_day=_int(status.get("idle_cycles_burned_per_day")),
                      query_calls=_int(stats.get("num_calls_total")),
                      query_instructions=_int(stats.get("num_instructions_total")))
        report = None
        if sample["status"] == "running" and status.get("module_hash") is not None:
            report, sample["counters"] = self._get_info(canister_id, entry.get("template"))
        assessment = template_report.assess(status, report)
        sample.update(memory_ratio=assessment["memory_ratio"], fullness=assessment["fullness"],
                      full_by=assessment["by"], capacity=assessment["capacity"])
        return sample

    def _get_info(self, canister_id, template):
        """The template's report and counters from one ``get_info`` query: ``(report or None, counters)``."""
        try:
            reply = self.agent.query(Principal.from_text(canister_id), "get_info", EMPTY_ARGS)
        except ICError:
            return None, {}  # a template without get_info, or one that traps, has neither
        return template_report.decode_report(reply), self._counters(reply, template)

    def _counters(self, reply, template):
        service = self._service(template)
        if service is None or "get_info" not in service:
            return {}
        from ansible_collections.icp.canister_factory.plugins.module_utils._ic import candid
        try:
            (info,) = candid.decode(reply, list(service["get_info"].rets))
        except ICError:
            return {}
        counters = {str(k): int(v) for k, v in info.get("counts") or []}
        for key in ("bytes_used", "heap_bytes", "memory_bytes"):
            if isinstance(info.get(key), int):
                counters[key] = info[key]
        return counters

    def _service(self, template):
        if not self.params.get("did_dir") or not template:
            return None
        if template not in self._services:
            from ansible_collections.icp.canister_factory.plugins.module_utils._ic import candid
            path = os.path.join(self.params["did_dir"], f"{template}.did")
            try:
                with open(path, encoding="utf-8") as handle:
                    self._services[template] = candid.parse_did(handle.read()).service
            except OSError:
                self._services[template] = None
        return self._services[template]


def main():
    ICMonitor.main()


if __name__ == "__main__":
    main()
