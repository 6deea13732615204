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
  - "Paid from the cycles ledger, a top-up is never paid twice for one lost reply: its deduplication key
    (C(created_at_time), amount, receiver) is recorded in the registry entry (field C(pending_top_up)) before
    the withdraw and cleared once the outcome is known. A run that finds such a key sends the same withdraw
    again instead of a new one: the ledger answers C(Duplicate) and its blocks tell whether that burn was
    refunded (a mint with memo 32 x 0xFF, amount less the fee, after it). Not refunded: it landed, and with
    O(amount) that is this run's top-up (nothing more is paid); refunded: the key is dropped and the task
    decides afresh. Past the ledger's 24 h window the burn is looked up in the ledger's blocks; when they cannot
    decide, the task fails keeping the key and says what to check. A lost reply is retried with the same key
    after 2 s and 5 s in the same run, then the task fails keeping the key."
  - Without a registry entry (O(canister_id)) the key lives only in the run; so a cycles-ledger top-up by
    O(amount) off a local network requires O(name) and O(registry) (with O(min_cycles) the next run reads the
    balance, which already holds a landed top-up).
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
  description:
    - Cycles added (or that would be added in check mode), including an earlier run's top-up settled by this
      run (RV(resumed_top_up)).
  returned: always
  type: int
  sample: 1750000000000
resumed_top_up:
  description:
    - The unfinished top-up an earlier run left in the registry entry, and what this run found out.
    - C(outcome) is V(paid_before) (the earlier withdraw landed), V(paid_now) (it had not reached the ledger; this
      run paid it), V(failed) (it was refunded or never paid; C(message) says which; the key is dropped) or
      V(pending) (in check mode, where nothing is asked).
  returned: when the registry entry held an unfinished top-up
  type: dict
  sample:
    created_at_time: 1796436210538949943
    cycles: 2000000000000
    canister_id: lxzze-o7777-77777-aaaaa-cai
    outcome: paid_before
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
