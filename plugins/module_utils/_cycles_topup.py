# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What ``ic_cycles`` does: top a canister up to a band, with the mainnet and ledger-balance guards.

Mixed into an ``ICModule`` subclass (ic_cycles, and the fleet's cycles band).
"""

from __future__ import annotations

from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import ICError, InputError
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.principal import Principal
from ansible_collections.icp.canister_factory.plugins.module_utils._creation_keys import FUNDING_CHOICES, resolve_funding
from ansible_collections.icp.canister_factory.plugins.module_utils._ic_module import resolve_network
from ansible_collections.icp.canister_factory.plugins.module_utils._registry import EVENT_TOP_UP, RESULT_OK, add_event
from ansible_collections.icp.canister_factory.plugins.module_utils._topup_keys import (
    KEY_KEPT, KEY_NOT_KEPT, PAID_NOW, PENDING_FIELD, new_key, pending_key, settle)
from ansible_collections.icp.canister_factory.plugins.module_utils._unknown_outcomes import outcome_unknown


class CyclesTopUp:
    """The ``run`` of ic_cycles and its options: keep a canister's cycles within a band.

    The fleet sets ``known_balance`` to the balance it has just read, saving a status read."""

    known_balance = None

    argument_spec = {
        "canister_id": {"type": "str"},
        "name": {"type": "str"},
        "registry": {"type": "path"},
        "min_cycles": {"type": "int"},
        "target_cycles": {"type": "int"},
        "amount": {"type": "int"},
        "source": {"type": "str", "default": "auto", "choices": FUNDING_CHOICES},
    }
    required_one_of = [["canister_id", "name"], ["min_cycles", "amount"]]
    mutually_exclusive = [["canister_id", "name"], ["min_cycles", "amount"], ["target_cycles", "amount"]]
    required_by = {"name": "registry", "target_cycles": "min_cycles"}

    def run(self):
        """Top up when needed, first settling a top-up an earlier run left unfinished."""
        self._require_key_home()
        canister_id = self.require_canister(predicted_in_check_mode=True)[0]
        if canister_id is None:
            # Check mode, and an earlier task would create the canister: it starts with the
            # cycles it is created with, so no top-up is predicted.
            self.result.update(canister_id=None, balance_before=None, balance_after=None, topped_up=0)
            return
        resumed, paid_now = self._resume_pending()
        before = self.known_balance
        if before is None:
            status = self.canister_status(canister_id)
            if status is None:
                raise InputError("canister_id", f"canister {canister_id} does not exist")
            before = int(status["cycles"])
        elif paid_now:
            before += resumed   # the fleet read the balance before this run's payment
        add = 0 if resumed and self.params.get("amount") is not None else self._amount(before)
        if add:
            self._check_source(add)
        self.result.update(canister_id=canister_id, balance_before=before, balance_after=before + add,
                           topped_up=add + resumed)
        self.diff.add("cycles", before, before + add)
        if resumed:
            self.result["changed"] = True
        if add == 0:
            return
        self.change(self._top_up, canister_id, add)
        if not self.check_mode:
            after = self.canister_status(canister_id)
            self.result["balance_after"] = int(after["cycles"]) if after else before + add
            self._record(self.result["balance_after"], add)

    def _resume_pending(self):
        """Settle the top-up recorded in the registry entry by an earlier run (``_topup_keys``):
        ``(cycles it added, whether this run paid them)``; a top-up that definitely failed drops
        its key and adds 0. In check mode a pending top-up is predicted to have landed, and
        nothing is sent."""
        key = pending_key(self._entry())
        if key is None:
            return 0, False
        resumed = self.result["resumed_top_up"] = dict(key, outcome="pending")
        if self.check_mode:
            return int(key["cycles"]), False
        try:
            paid = settle(self._ledger(), self.identity.sender, key)
        except ICError as exc:
            if outcome_unknown(exc):
                raise
            self.update_entry(lambda entry: entry.pop(PENDING_FIELD, None))
            resumed.update(outcome="failed", message=str(exc).splitlines()[0])
            self.module.warn(f"an earlier top-up did not happen, deciding afresh: {resumed['message']}")
            return 0, False
        self._record(None, int(key["cycles"]))
        resumed["outcome"] = paid
        return int(key["cycles"]), paid == PAID_NOW

    def _require_key_home(self):
        """A ledger top-up by ``amount`` off a local network needs a registry entry to keep its key:
        without one a rerun after a lost reply would pay again (the band re-reads the balance)."""
        if (self.params.get("amount") is not None and not self.params.get("name")
                and self._source() == "cycles_ledger" and not resolve_network(self.network_url())[1]):
            raise InputError("registry", "a cycles-ledger top-up by amount off a local network keeps its "
                             "deduplication key in the canister's registry entry, so that a lost reply is never "
                             "paid twice: give name and registry instead of canister_id (or use min_cycles)")

    def _amount(self, balance):
        params = self.params
        # validation.cycles (and validation.fleet for a fleet's band) checked the amounts.
        if params.get("amount") is not None:
            return params["amount"]
        minimum = params["min_cycles"]
        target = params.get("target_cycles") or minimum
        return target - balance if balance < minimum else 0

    def _source(self):
        """``provisional`` or ``cycles_ledger``: option ``source`` with ``auto`` resolved."""
        return resolve_funding(self.params["source"], self.network_url(), field="source", what="top-up")

    def _check_source(self, add):
        if self._source() == "provisional":
            return  # refused on mainnet by validation before anything ran
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
        from ansible_collections.icp.canister_factory.plugins.module_utils._ic.cycles_ledger import CyclesLedger

        return CyclesLedger(self.agent)

    def _entry(self):
        """This canister's registry entry (option ``name``) or None."""
        registry = self.registry() if self.params.get("name") else None
        return registry.read().get(self.params["name"]) if registry is not None else None

    def _top_up(self, canister_id, add):
        principal = Principal.from_text(canister_id)
        if self._source() == "provisional":
            self.mgmt("provisional_top_up_canister", {"canister_id": principal, "amount": add})
            return
        key = new_key(canister_id, add)
        # On disk before the call: a lost reply or a killed run is settled by the next run.
        entry = self.update_entry(lambda entry: entry.update({PENDING_FIELD: key}))
        try:
            settle(self._ledger(), self.identity.sender, key, kept=KEY_KEPT if entry is not None else KEY_NOT_KEPT)
        except ICError as exc:
            if not outcome_unknown(exc):
                self.update_entry(lambda entry: entry.pop(PENDING_FIELD, None))
            raise

    def _record(self, balance, add):
        """Note the top-up in the registry entry (and clear its key) in one locked update."""
        def update(entry):
            entry.pop(PENDING_FIELD, None)
            if balance is not None:
                entry["cycles_balance"] = balance
            add_event(entry, EVENT_TOP_UP, RESULT_OK, identity=self.caller_text(), cycles=add)
        self.update_entry(update)
