# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Give a canister's cycles back before deleting it (what ``ic_canister state=absent``,
``decommission.yml``, the role's rollback and ``ic_fleet`` do).

The canister is reinstalled with the drain module (``drain_module.py``), started, and its
``drain`` method sends the liquid balance to the operator's cycles-ledger account (ledger
``deposit``) or to the canister ``reclaim_to`` (management ``deposit_cycles``). Then it is
stopped again; deleting it is the caller's next step.

Crash safety: every step can be repeated. A run killed after the drain finds the drain module
installed and a balance below the margin, so it drains nothing more and deletes; the cycles
already moved are on the ledger account (or the target canister) and are counted once, from
the drain's own answer.
"""

from __future__ import annotations

import hashlib

from ansible_collections.icp.canister_factory.plugins.module_utils._drain_module import (
    DRAIN_KEEP_CYCLES, DRAIN_WASM, install_arg, parse_reply)
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import InputError
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.principal import Principal

DRAIN_HASH = hashlib.sha256(DRAIN_WASM).digest()
LEDGER_ID = "um5iw-rqaaa-aaaaq-qaaba-cai"
LEDGER_FEE = 100_000_000


class Reclaim:
    """Where the cycles go: ``target`` None is the caller's cycles-ledger account."""

    def __init__(self, caller, target=None):
        self.caller = Principal.coerce(caller, "identity")
        self.target = Principal.coerce(target, "reclaim_to") if target else None

    def worth_it(self, cycles):
        """Whether a balance of ``cycles`` leaves anything after the margin and the fee."""
        return int(cycles) > DRAIN_KEEP_CYCLES + self.fee

    @property
    def fee(self):
        """What the receiving end keeps: the ledger's deposit fee, nothing for deposit_cycles."""
        return 0 if self.target else LEDGER_FEE

    def call(self, client):
        """``(callee raw bytes, method, Candid payload)`` of the drain's one call; ``client`` is
        the Management client (it encodes management arguments)."""
        from ansible_collections.icp.canister_factory.plugins.module_utils._ic import candid
        from ansible_collections.icp.canister_factory.plugins.module_utils._ic.cycles_ledger import ledger_interface

        if self.target is not None:
            return b"", "deposit_cycles", client.encode_arg("deposit_cycles", {"canister_id": self.target})
        func = ledger_interface().method("deposit")
        arg = {"to": {"owner": self.caller, "subaccount": None}, "memo": None}
        return Principal.from_text(LEDGER_ID).raw, "deposit", candid.encode(list(func.args), [arg])

    def received(self, attached, refunded):
        """Cycles that reached the account or canister."""
        sent = attached - refunded
        return max(sent - self.fee, 0) if sent else 0


def drain(op, canister_id, status, reclaim):
    """Move the cycles of stopped canister ``canister_id`` out; return the cycles received.

    ``op`` is the running module step (``mgmt``, ``agent``, ``wait_for_status``)."""
    principal = Principal.from_text(canister_id)
    if reclaim.target == principal:
        raise InputError("reclaim_to", f"is {canister_id}, the canister being deleted; name another canister")
    if not reclaim.worth_it(status["cycles"]):
        return 0
    # Nothing of the canister's own may hold cycles back from the drain.
    op.mgmt("update_settings", {"canister_id": principal, "sender_canister_version": None, "settings": {
        "freezing_threshold": 0, "compute_allocation": 0, "memory_allocation": 0}})
    if status.get("module_hash") != DRAIN_HASH:
        callee, method, payload = reclaim.call(op.client)
        op.mgmt("install_code", {"mode": {"reinstall": None}, "canister_id": principal,
                                 "wasm_module": DRAIN_WASM, "arg": install_arg(callee, method, payload),
                                 "sender_canister_version": None})
    op.mgmt("start_canister", {"canister_id": principal})
    try:
        attached, refunded, _reply = parse_reply(op.agent.update(principal, "drain", b""))
    finally:
        op.mgmt("stop_canister", {"canister_id": principal})
        op.wait_for_status(canister_id, "stopped", op.params["wait_timeout"])
    return reclaim.received(attached, refunded)
