#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ic_canister_info
short_description: Read facts about canisters on the Internet Computer
version_added: 0.1.0
description:
  - Returns status, settings, cycles, memory, module hash, idle burn, query statistics and optionally
    snapshots and logs of one canister or of a list (read concurrently, one agent).
  - Uses queries and certified C(read_state) only, except O(snapshots=true), since the IC lists
    snapshots only through an update call.
  - For a canister the caller does not control, returns the public facts from certified state
    (module hash, controllers, requested public metadata).
author:
  - icp.canister_factory maintainers (@icp-canister-factory)
extends_documentation_fragment:
  - icp.canister_factory.ic
  - icp.canister_factory.ic.ATTRIBUTES
  - icp.canister_factory.ic.SUPPORT_NO_DIFF
  - icp.canister_factory.ic.UNKNOWN_OUTCOMES
attributes:
  check_mode:
    support: full
    details: The module changes nothing.
options:
  canister_id:
    description: Principal text of one canister.
    type: str
  canister_ids:
    description: Principal texts of several canisters.
    type: list
    elements: str
  snapshots:
    description: Also list each canister's snapshots (one update call per canister).
    type: bool
    default: false
  template_report:
    description:
      - Also read the template's own report from its C(get_info) query (no update call), that is its fullest
        quota (C(capacity) of RV(canisters[].report)) and state version, and how full the canister is
        (RV(canisters[].fullness), the larger of memory against C(wasm_memory_limit) and that quota).
      - A canister without such a report (another template, an older version, stopped) gets a null
        RV(canisters[].report), and its fullness comes from memory alone.
    type: bool
    default: false
  logs:
    description: Also fetch each canister's logs (C(fetch_canister_logs)).
    type: bool
    default: false
  logs_since:
    description: Only log records with C(timestamp_nanos) at or after this (nanoseconds since the epoch).
    type: int
  metadata:
    description: Names of metadata sections to read from certified state, for example C(candid:service).
    type: list
    elements: str
    default: []
  ledger_creation:
    description:
      - Look up what became of a cycles-ledger creation whose answer was lost and whose key the
        ledger no longer deduplicates (C(TooOld)); it reads the burn block of the caller's account with
        this C(created_at_time) and amount (the registry entry's C(created_at_time) and
        C(creation_cycles)), and a refund block after it if the CMC refused.
      - Returned as RV(creation); reads blocks with C(icrc3_get_blocks) queries only.
    type: dict
    suboptions:
      created_at_time:
        description: The creation's C(created_at_time) in nanoseconds.
        type: int
        required: true
      cycles:
        description: The amount the creation was sent with.
        type: int
        required: true
  workers:
    description: Canisters read at the same time.
    type: int
    default: 8
"""

EXAMPLES = r"""
- name: Facts of a fleet
  icp.canister_factory.ic_canister_info:
    canister_ids: "{{ groups['user_canisters'] | map('extract', hostvars, 'canister_id') | list }}"
  register: fleet
"""

RETURN = r"""
creation:
  description: What the cycles ledger's blocks say about the creation O(ledger_creation) names.
  returned: when O(ledger_creation) is set
  type: dict
  contains:
    found:
      description: Whether the creation's burn block exists (the cycles were spent).
      type: bool
    burn_block:
      description: Index of the burn block, or null.
      type: int
    burned_at:
      description: Timestamp (ns) of the burn block, or null.
      type: int
    refund_block:
      description:
        - Index of the refund (the CMC refused; no canister), or null.
        - A refund block names no burn. While other creations of the same amount from the same
          account overlap this one, a refund counts as this one's only when the refunds after its
          burn outnumber those other burns.
      type: int
    canister_exists:
      description: True when the cycles were burnt and no refund is certainly this creation's, so a
        canister controlled by the caller (or the creation's controllers) was probably created around
        RV(creation.burned_at).
      type: bool
    scanned:
      description: How many blocks were read.
      type: int
  sample: {found: true, burn_block: 12, burned_at: 1764870000000000000, refund_block: null,
           canister_exists: true, scanned: 3}
canister:
  description: Facts of O(canister_id) (the first element of RV(canisters)).
  returned: when O(canister_id) is set
  type: dict
  sample: {canister_id: lxzze-o7777-77777-aaaaa-cai, exists: true, controller: true, status: running, cycles: 2000000000000}
canisters:
  description: Facts of every canister asked for, in order.
  returned: always
  type: list
  elements: dict
  contains:
    canister_id:
      description: Principal text.
      type: str
    exists:
      description: Whether the canister exists.
      type: bool
    controller:
      description: Whether the status was readable (the caller controls it or may see its status).
      type: bool
    status:
      description: V(running), V(stopping) or V(stopped).
      type: str
    module_hash:
      description: Hex module hash, null when empty.
      type: str
    controllers:
      description: Controller principals.
      type: list
      elements: str
    settings:
      description: Settings in normal form.
      type: dict
    cycles:
      description: Cycle balance.
      type: int
    reserved_cycles:
      description: Reserved cycles.
      type: int
    idle_cycles_burned_per_day:
      description: Idle burn per day.
      type: int
    memory_size:
      description: Memory in bytes.
      type: int
    memory_metrics:
      description: Memory by kind.
      type: dict
    query_stats:
      description: Query statistics.
      type: dict
    version:
      description: Canister version; null when the replica does not report it (older
        replicas; a value a replica does not send is null, never 0, here and in
        C(memory_metrics), C(reserved_cycles), C(settings)).
      type: int
    report:
      description:
        - The template's report (O(template_report=true)), null when it gives none.
        - C(capacity) is its fullest quota C({used, limit, unit}) (null when the template has no
          counter); C(state_version) goes up with every state-changing update, install and upgrade.
      type: dict
      sample: {capacity: {used: 4, limit: 5, unit: preferences}, state_version: 7}
    fullness:
      description:
        - (O(template_report=true)) The larger of C(memory_size / wasm_memory_limit) and the report's
          C(used / limit), from 0 to 1 (or above); null when neither is known.
      type: float
      sample: 0.8
    snapshots:
      description: Snapshots (O(snapshots=true)).
      type: list
      elements: dict
    logs:
      description: Log records with C(idx), C(timestamp_nanos), C(content) (O(logs=true)).
      type: list
      elements: dict
    metadata:
      description: Requested metadata sections (text, or hex when not UTF-8; null when absent).
      type: dict
  sample: [{canister_id: lxzze-o7777-77777-aaaaa-cai, exists: true, controller: true, status: running, cycles: 2000000000000}]
"""

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.icp.canister_factory.plugins.module_utils._ic_module import ICModule, hex_or_none
from ansible_collections.icp.canister_factory.plugins.module_utils._canister_facts import canister_facts
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import InputError, Reject
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.principal import Principal
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.cycles_ledger import CyclesLedger
from ansible_collections.icp.canister_factory.plugins.module_utils._ledger_lookup import find_creation
from ansible_collections.icp.canister_factory.plugins.module_utils import _template_report as template_report


def _text_or_hex(blob):
    if blob is None:
        return None
    try:
        return bytes(blob).decode("utf-8")
    except UnicodeDecodeError:
        return bytes(blob).hex()


class ICCanisterInfo(ICModule):
    """ic_canister_info: facts only."""

    input_checks = "ic_canister_info"

    argument_spec = {
        "canister_id": {"type": "str"},
        "canister_ids": {"type": "list", "elements": "str"},
        "snapshots": {"type": "bool", "default": False},
        "logs": {"type": "bool", "default": False},
        "template_report": {"type": "bool", "default": False},
        "logs_since": {"type": "int"},
        "metadata": {"type": "list", "elements": "str", "default": []},
        "workers": {"type": "int", "default": 8},
        "ledger_creation": {"type": "dict", "options": {
            "created_at_time": {"type": "int", "required": True},
            "cycles": {"type": "int", "required": True}}},
    }
    required_one_of = [["canister_id", "canister_ids", "ledger_creation"]]
    mutually_exclusive = [["canister_id", "canister_ids"]]

    def run(self):
        """Read every canister, concurrently for a list."""
        if self.params.get("ledger_creation"):
            lookup = self.params["ledger_creation"]
            self.result["creation"] = find_creation(CyclesLedger(self.agent), self.identity.sender,
                                                    lookup["created_at_time"], lookup["cycles"])
        if not (self.params.get("canister_id") or self.params.get("canister_ids")):
            return
        ids = [self.params["canister_id"]] if self.params.get("canister_id") else self.params["canister_ids"]
        ids = [Principal.coerce(c, field=f"canister_ids[{i}]").to_text() for i, c in enumerate(ids)]
        if len(ids) == 1:
            facts = [self.facts(ids[0])]
        else:
            self.connect()  # built once, before the threads share it
            with ThreadPoolExecutor(max_workers=max(1, self.params["workers"])) as pool:
                facts = list(pool.map(self.facts, ids))
        self.result["canisters"] = facts
        if self.params.get("canister_id"):
            self.result["canister"] = facts[0]

    def facts(self, canister_id):
        """Facts of one canister as a JSON-friendly dict."""
        out = {"canister_id": canister_id, "exists": True, "controller": True}
        try:
            status = self.canister_status(canister_id)
        except Reject as exc:
            if exc.error_code != "IC0512" and exc.reject_code != 5:
                raise
            status = None
            out["controller"] = False
        if status is None and out["controller"]:
            out.update(exists=False, controller=False, status="absent")
            return out
        if status is not None:
            out.update(canister_facts(status))
        else:
            out.update(module_hash=hex_or_none(self.agent.module_hash(canister_id)),
                       controllers=sorted(p.to_text() for p in self.agent.controllers(canister_id)))
        if self.params["metadata"]:
            out["metadata"] = {name: _text_or_hex(self.agent.metadata(canister_id, name))
                               for name in self.params["metadata"]}
        if self.params["template_report"]:
            report = template_report.read_report(self.agent, canister_id) if status is not None else None
            out["report"] = report
            out["fullness"] = template_report.fullness(status, report)
        if self.params["snapshots"]:
            out["snapshots"] = self._snapshots(canister_id)
        if self.params["logs"]:
            out["logs"] = self._logs(canister_id)
        return out

    def _snapshots(self, canister_id):
        found = self.mgmt("list_canister_snapshots", {"canister_id": Principal.from_text(canister_id)})
        return sorted(({"id": s["id"].hex(), "taken_at_timestamp": int(s["taken_at_timestamp"]),
                        "total_size": int(s["total_size"])} for s in found),
                      key=lambda s: s["taken_at_timestamp"])

    def _logs(self, canister_id):
        since = self.params.get("logs_since")
        if since is not None and since < 0:
            raise InputError("logs_since", "must be zero or more")
        reply = self.mgmt("fetch_canister_logs", {"canister_id": Principal.from_text(canister_id)})
        records = reply["canister_log_records"]
        return [{"idx": int(r["idx"]), "timestamp_nanos": int(r["timestamp_nanos"]),
                 "content": _text_or_hex(r["content"])}
                for r in records if since is None or int(r["timestamp_nanos"]) >= since]


def main():
    ICCanisterInfo.main()


if __name__ == "__main__":
    main()
