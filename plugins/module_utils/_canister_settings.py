# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Canister settings in three shapes: module options, a comparable normal form, and Candid values.

The normal form is what modules compare and return: principals as canonical text, controller
and viewer lists sorted, visibilities as ``"controllers"``, ``"public"`` or
``{"allowed_viewers": [...]}``, environment variables as a ``{name: value}`` dict.
"""

from __future__ import annotations

from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import InputError
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.principal import Principal

NAT_FIELDS = (
    "compute_allocation", "memory_allocation", "freezing_threshold", "reserved_cycles_limit",
    "minimum_incoming_canister_call_cycles", "wasm_memory_limit", "wasm_memory_threshold",
)
VISIBILITY_FIELDS = ("log_visibility", "snapshot_visibility", "status_visibility")
ALL_FIELDS = ("controllers",) + NAT_FIELDS + VISIBILITY_FIELDS + ("environment_variables",)
# The IC's bounds (management canister reference): nat64 and nat128 fields, percent, 2^48 bytes.
LIMITS = {"compute_allocation": 100, "memory_allocation": 2 ** 64 - 1, "freezing_threshold": 2 ** 64 - 1,
          "reserved_cycles_limit": 2 ** 128 - 1, "minimum_incoming_canister_call_cycles": 2 ** 128 - 1,
          "wasm_memory_limit": 2 ** 48, "wasm_memory_threshold": 2 ** 48}
MAX_CONTROLLERS = 10


def settings_argument_spec():
    """Return the ``settings`` suboptions (every field of ``canister_settings`` in ic.did)."""
    spec = {"controllers": {"type": "list", "elements": "str"},
            "environment_variables": {"type": "dict"}}
    for name in NAT_FIELDS:
        spec[name] = {"type": "int"}
    for name in VISIBILITY_FIELDS:
        spec[name] = {"type": "raw"}
    return spec


def _principals(values, field):
    if not isinstance(values, (list, tuple)):
        raise InputError(field, "must be a list of principals")
    texts = {Principal.coerce(v, field=f"{field}[{i}]").to_text() for i, v in enumerate(values)}
    return sorted(texts)


def _visibility(value, field):
    if value in ("controllers", "public"):
        return value
    if isinstance(value, dict) and set(value) == {"allowed_viewers"}:
        value = value["allowed_viewers"]
    if isinstance(value, (list, tuple)):
        viewers = _principals(value, f"{field}.allowed_viewers")
        if len(viewers) > MAX_CONTROLLERS:
            raise InputError(field, f"at most {MAX_CONTROLLERS} allowed viewers")
        return {"allowed_viewers": viewers}
    raise InputError(field, "must be 'controllers', 'public' or a list of principals (allowed viewers)")


def normalize(settings, prefix="settings"):
    """Return the normal form of the fields the user set (None values are left out)."""
    out = {}
    for name, value in (settings or {}).items():
        if value is None:
            continue
        field = f"{prefix}.{name}"
        if name == "controllers":
            out[name] = _principals(value, field)
            if len(out[name]) > MAX_CONTROLLERS:
                raise InputError(field, f"at most {MAX_CONTROLLERS} controllers")
        elif name in NAT_FIELDS:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InputError(field, f"is {value!r}; give a whole number of at least 0")
            if name in LIMITS and value > LIMITS[name]:
                raise InputError(field, f"is {value}; the IC allows at most {LIMITS[name]}")
            out[name] = value
        elif name in VISIBILITY_FIELDS:
            out[name] = _visibility(value, field)
        elif name == "environment_variables":
            if not isinstance(value, dict):
                raise InputError(field, "must be a mapping of name to value")
            out[name] = {str(k): str(v) for k, v in sorted(value.items())}
        else:
            raise InputError(field, f"unknown setting; known: {', '.join(ALL_FIELDS)}")
    return out


def from_definite(definite):
    """Normal form of a ``definite_canister_settings`` value from canister_status.

    A setting the replica does not report (an older replica's reply, decoded leniently as
    None) is left out: unknown, never 0."""
    definite = {k: v for k, v in definite.items() if v is not None}
    out = {"controllers": sorted(Principal.coerce(p).to_text() for p in definite.get("controllers", []))}
    for name in NAT_FIELDS:
        if name in definite:
            out[name] = int(definite[name])
    for name in VISIBILITY_FIELDS:
        if name in definite:
            tag, payload = next(iter(definite[name].items()))
            out[name] = tag if tag != "allowed_viewers" else {
                "allowed_viewers": sorted(Principal.coerce(p).to_text() for p in payload)}
    if "environment_variables" in definite:
        out["environment_variables"] = {
            e["name"]: e["value"] for e in sorted(definite["environment_variables"], key=lambda e: e["name"])}
    return out


def to_candid(normal):
    """Return a ``canister_settings`` Candid value (dict) setting only the fields in ``normal``."""
    value = {name: None for name in ALL_FIELDS}
    for name, item in normal.items():
        if name == "controllers":
            value[name] = [Principal.from_text(p) for p in item]
        elif name in VISIBILITY_FIELDS:
            if isinstance(item, dict):
                value[name] = {"allowed_viewers": [Principal.from_text(p) for p in item["allowed_viewers"]]}
            else:
                value[name] = {item: None}
        elif name == "environment_variables":
            value[name] = [{"name": k, "value": v} for k, v in sorted(item.items())]
        else:
            value[name] = item
    return value


def differences(wanted, current):
    """Return the subset of ``wanted`` whose value differs from ``current``.

    A wanted setting the replica does not report (``current`` from ``from_definite`` lacks
    it: an older replica version) can be neither set nor checked there, so it is refused
    rather than sent again on every run."""
    for name in wanted:
        if name not in current:
            raise InputError(f"settings.{name}", "this network's replica does not report this "
                             "setting (an older replica version), so it can be neither set nor "
                             "checked there; remove it from settings")
    return {k: v for k, v in wanted.items() if current.get(k) != v}
