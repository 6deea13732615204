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
  - A registry entry's C(cycles_balance) is updated after a top-up.
author:
  - icp.canister_factory maintainers (@icp-canister-factory)
extends_documentation_fragment:
  - icp.canister_factory.ic
  - icp.canister_factory.ic.ATTRIBUTES
  - icp.canister_factory.ic.SUPPORT_FULL
  - icp.canister_factory.ic.TARGET
attributes:
  idempotent:
    support: partial
    details: Idempotent with O(min_cycles); O(amount) adds cycles on every run.
options:
  min_cycles:
    description: Top up when the balance is below this.
    type: int
  target_cycles:
    description: Balance to top up to; defaults to O(min_cycles).
    type: int
  amount:
    description:
      - Cycles to add unconditionally; at least 1 (the cycles ledger refuses a withdraw of 0).
    type: int
  source:
    description:
      - V(provisional) mints the cycles with C(provisional_top_up_canister) (local networks only;
        refused on mainnet before any call).
      - V(cycles_ledger) withdraws them from the caller's balance on the cycles ledger (plus its fee).
        If the canister no longer exists the ledger still burns them, then refunds them less a second
        fee, and the task fails naming the refund block.
      - V(auto) is V(provisional) on a local network (a loopback host) and V(cycles_ledger)
        elsewhere, the rule of O(icp.canister_factory.ic_canister#module:funding).
    type: str
    choices: [auto, provisional, cycles_ledger]
    default: auto
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
  description:
    - Principal text of the canister.
    - Null in check mode when an earlier task of the run would create the canister.
  returned: always
  type: str
  sample: lxzze-o7777-77777-aaaaa-cai
balance_before:
  description: Cycle balance before the task (null when the canister is yet to be created in check mode).
  returned: always
  type: int
  sample: 250000000000
balance_after:
  description: Cycle balance after the task (predicted in check mode).
  returned: always
  type: int
  sample: 2000000000000
topped_up:
  description: Cycles added (or that would be added in check mode).
  returned: always
  type: int
  sample: 1750000000000
"""

from ansible_collections.icp.canister_factory.plugins.module_utils._ic_module import ICModule
from ansible_collections.icp.canister_factory.plugins.module_utils._cycles_topup import CyclesTopUp


class ICCycles(CyclesTopUp, ICModule):
    """ic_cycles: top up from a provisional or cycles ledger source (options: CyclesTopUp)."""

    input_checks = "ic_cycles"


def main():
    ICCycles.main()


if __name__ == "__main__":
    main()
