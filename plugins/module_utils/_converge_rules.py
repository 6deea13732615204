# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The init-argument record and the fast path: when a canister needs no module run at all.

One rule for the batch path (``fleet.py``) and the per-host roles (through the
``canister_arg_record`` and ``canister_converged`` filters), so both skip exactly the same
canisters.
"""

from __future__ import annotations

from ansible_collections.icp.canister_factory.plugins.module_utils._canister_settings import differences, normalize


def arg_record(arg, arg_value=None, arg_default=None):
    """The init argument as a registry entry records it: ``{init_arg, init_value}``.

    The template's default argument follows from the recorded owner, so it is recorded as
    nothing; data (``arg_value``) wins over text (``arg``).
    """
    if arg_value is None and (arg or "") == (arg_default or ""):
        return {"init_arg": None, "init_value": None}
    return {"init_arg": None if arg_value is not None else (arg or None), "init_value": arg_value}


def code_converged(entry, live_module_hash, template, owner, wasm_sha256, record):
    """Whether the entry and the canister show this module and argument already installed.

    Decoding the module and encoding the argument again costs more CPU than the rest of a
    converged canister; the entry records what they would give.
    """
    entry = entry or {}
    return bool(wasm_sha256) and (
        entry.get("status") == "active" and entry.get("module_hash") == wasm_sha256
        and live_module_hash == wasm_sha256
        and entry.get("owner") == owner and entry.get("template") == template
        and all(entry.get(k) == v for k, v in record.items()))


def canister_converged(entry, live, template, owner, wasm_sha256, record, state, cycles_min, settings):
    """Whether a canister is as wanted in every respect: no module needs to run for it.

    ``live`` is the canister's facts (``canister_facts``/ic_canister_info). Besides the code
    (``code_converged``): it exists, runs as ``state`` says, holds at least ``cycles_min``
    cycles and has ``settings`` (compared in normal form, as ic_canister compares them).
    """
    if not isinstance(live, dict) or not live.get("exists", True) or live.get("status") in (None, "absent"):
        return False
    if state != "present" and live.get("status") != state:
        return False
    if not code_converged(entry, live.get("module_hash"), template, owner, wasm_sha256, record):
        return False
    if cycles_min is not None and int(live.get("cycles") or 0) < int(cycles_min):
        return False
    try:
        wanted = normalize(settings or {})
    except ValueError:
        return False  # bad settings: ic_canister reports them
    return not differences(wanted, live.get("settings") or {})
