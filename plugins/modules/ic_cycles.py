#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ic_cycles
short_description: Keep a canister's cycle balance above a minimum on the Internet Computer
version_added: 0.1.0
description:
  - With O(min_cycles), tops the canister up to O(target_cycles) when its balance is below O(min_cycles),
    and does nothing otherwise.
  - With O(amount), adds that many cycles every time it runs (not idempotent by nature).
  - Refuses before doing anything when the source cannot pay.
author:
  - icp.canister_factory maintainers (@icp-canister-factory)
extends_documentation_fragment:
  - icp.canister_factory.ic
  - icp.canister_factory.ic.ATTRIBUTES
  - icp.canister_factory.ic.ACTIONGROUP_IC
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: partial
    details: Idempotent with O(min_cycles); O(amount) adds cycles on every run.
options:
  canister_id:
    description: Principal text of the canister.
    type: str
  name:
    description: Name of the canister's entry in O(registry). Requires O(registry).
    type: str
  registry:
    description: Registry file; the entry's C(cycles_balance) is updated after a top-up.
    type: path
  min_cycles:
    description: Top up when the balance is below this.
    type: int
  target_cycles:
    description: Balance to top up to; defaults to O(min_cycles).
    type: int
  amount:
    description: Cycles to add unconditionally.
    type: int
  source:
    description:
      - V(provisional) mints the cycles with C(provisional_top_up_canister) (local networks only).
      - V(cycles_ledger) withdraws them from the caller's balance on the cycles ledger (plus its fee).
    type: str
    choices: [provisional, cycles_ledger]
    default: provisional
"""

EXAMPLES = r"""
- name: Keep at least 1 T cycles, topping up to 3 T
  icp.canister_factory.ic_cycles:
    canister_id: "{{ canister_id }}"
    min_cycles: 1000000000000
    target_cycles: 3000000000000
    source: cycles_ledger
"""

RETURN = r"""
canister_id:
  description: Principal text of the canister.
  returned: always
  type: str
  sample: lxzze-o7777-77777-aaaaa-cai
balance_before:
  description: Cycle balance before the task.
  returned: always
  type: int
balance_after:
  description: Cycle balance after the task (predicted in check mode).
  returned: always
  type: int
topped_up:
  description: Cycles added (or that would be added in check mode).
  returned: always
  type: int
"""

import time

from ansible_collections.icp.canister_factory.plugins.module_utils.ic_module import ICModule
from ansible_collections.icp.canister_factory.plugins.module_utils.ic.errors import ICError, InputError
from ansible_collections.icp.canister_factory.plugins.module_utils.ic.principal import Principal
from ansible_collections.icp.canister_factory.plugins.module_utils.registry import add_event


class ICCycles(ICModule):
    """ic_cycles: top up from a provisional or cycles ledger source."""

    input_checks = "ic_cycles"

    argument_spec = {
        "canister_id": {"type": "str"},
        "name": {"type": "str"},
        "registry": {"type": "path"},
        "min_cycles": {"type": "int"},
        "target_cycles": {"type": "int"},
        "amount": {"type": "int"},
        "source": {"type": "str", "default": "provisional", "choices": ["provisional", "cycles_ledger"]},
    }
    required_one_of = [["canister_id", "name"], ["min_cycles", "amount"]]
    mutually_exclusive = [["canister_id", "name"], ["min_cycles", "amount"], ["target_cycles", "amount"]]
    required_by = {"name": "registry", "target_cycles": "min_cycles"}

    def run(self):
        """Top up when needed."""
        canister_id = self._canister_id()
        status = self.canister_status(canister_id)
        if status is None:
            raise InputError("canister_id", f"canister {canister_id} does not exist")
        before = int(status["cycles"])
        add = self._amount(before)
        if add:
            self._check_source(add)
        self.result.update(canister_id=canister_id, balance_before=before, balance_after=before + add,
                           topped_up=add)
        self.diff.add("cycles", before, before + add)
        if add == 0:
            return
        self.change(self._top_up, canister_id, add)
        if not self.check_mode:
            after = self.canister_status(canister_id)
            self.result["balance_after"] = int(after["cycles"]) if after else before + add
            self._record(self.result["balance_after"], add)

    def _canister_id(self):
        if self.params.get("canister_id"):
            return Principal.coerce(self.params["canister_id"], field="canister_id").to_text()
        entry = self.registry().read().get(self.params["name"])
        if not entry or not entry.get("canister_id") or entry.get("status") == "deleted":
            raise InputError("name", f"no canister recorded as {self.params['name']!r}")
        return entry["canister_id"]

    def _amount(self, balance):
        params = self.params
        if params.get("amount") is not None:
            return params["amount"]
        minimum = params["min_cycles"]
        target = params.get("target_cycles") or minimum
        return target - balance if balance < minimum else 0

    def _check_source(self, add):
        if self.params["source"] == "provisional":
            return  # validation.cycles refused it on mainnet
        ledger = self._ledger()
        try:
            fee = int(ledger.icrc1_fee())
            balance = int(ledger.icrc1_balance_of(self.identity.sender))
        except ICError as exc:
            raise InputError("source", f"cannot read the cycles ledger balance of {self.caller_text()}: {exc}") from None
        if balance < add + fee:
            raise InputError("source", f"the cycles ledger balance of {self.caller_text()} is {balance}, "
                             f"less than the {add} cycles wanted plus the {fee} fee")

    def _ledger(self):
        from ansible_collections.icp.canister_factory.plugins.module_utils.ic.cycles_ledger import CyclesLedger

        return CyclesLedger(self.agent)

    def _top_up(self, canister_id, add):
        principal = Principal.from_text(canister_id)
        if self.params["source"] == "provisional":
            self.mgmt("provisional_top_up_canister", {"canister_id": principal, "amount": add})
        else:
            self._ledger().withdraw(to=principal, amount=add, created_at_time=time.time_ns())

    def _record(self, balance, add):
        registry = self.registry() if self.params.get("name") else None
        if registry is None:
            return
        with registry.transaction() as data:
            entry = data.get(self.params["name"]) or {}
            entry["cycles_balance"] = balance
            add_event(entry, "top_up", "ok", identity=self.caller_text(), cycles=add)
            data.put(self.params["name"], entry)


def main():
    ICCycles.main()


if __name__ == "__main__":
    main()
