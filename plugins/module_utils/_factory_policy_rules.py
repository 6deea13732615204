# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The factory canister's policy rules (``wasm/src/factory/Policy.mo`` and the admin methods),
checked on the collection side so that a policy the canister would refuse fails before any update
call, in check mode too, instead of being predicted as a change.

Each rule names the fields it reads. ``problems(rules, record, field)`` checks every rule whose
fields are all in ``record``: ``ic_factory_policy``'s input pass runs it on the fields given
(before any call), and its plan again on the record merged with the factory's current one (after
the queries, before any update). Texts are the canister's, prefixed with the option path;
tests/integration/test_factory_policy_rules.py checks that the canister refuses the same records.
"""

from __future__ import annotations

try:
    from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import InputError
except ImportError:
    # The template tests hold these rules against the canister with the client imported top-level.
    from _ic.errors import InputError  # type: ignore[no-redef]

MAX_SHARDS = 100
MAX_BACKUP_CONTROLLERS = 9  # a canister has at most 10 controllers, one is the factory
ANONYMOUS = "2vxsx-fae"


def _scale_at(p):
    return p["scale_at"] is not None and not 1 <= p["scale_at"] <= 100


def _max_shards(p):
    return p["max_shards"] is not None and not 1 <= p["max_shards"] <= MAX_SHARDS


GLOBAL_RULES = (
    (("rate_limit_window_seconds",), lambda p: p["rate_limit_window_seconds"] == 0,
     "rate_limit_window_seconds: must be at least 1"),
    (("maintenance_interval_seconds",), lambda p: not 1 <= p["maintenance_interval_seconds"] <= 86_400,
     "maintenance_interval_seconds: must be between 1 and 86400"),
    (("log_capacity",), lambda p: not 10 <= p["log_capacity"] <= 100_000,
     "log_capacity: must be between 10 and 100000"),
    (("pool_size",), lambda p: p["pool_size"] > 100, "pool_size: at most 100 pre-created canisters"),
    (("pool_size", "pool_canister_cycles"), lambda p: p["pool_size"] > 0 and p["pool_canister_cycles"] == 0,
     "pool_canister_cycles: must be above 0 when pool_size > 0"),
)

TEMPLATE_RULES = (
    (("initial_cycles",), lambda p: p["initial_cycles"] == 0, "initial_cycles: must be above 0"),
    (("band_min", "band_target"), lambda p: p["band_target"] > 0 and p["band_min"] > p["band_target"],
     "band_min: must not exceed band_target ({band_target})"),
    (("band_min", "band_target"), lambda p: p["band_target"] == 0 and p["band_min"] > 0,
     "band_target: must be set when band_min is"),
    (("max_per_owner",), lambda p: p["max_per_owner"] == 0, "max_per_owner: must be at least 1"),
    (("max_per_owner", "template"), lambda p: p["template"] == "user" and p["max_per_owner"] != 1,
     "max_per_owner: the user template is one per owner (set 1)"),
    (("scale_at",), _scale_at, "scale_at: a percent of the wasm_memory_limit, between 1 and 100 (or none)"),
    (("scale_at", "autoscale"), lambda p: p["scale_at"] is None and bool(p["autoscale"]),
     "scale_at: must be set (1-100) when autoscale is on"),
    (("max_shards",), _max_shards, f"max_shards: between 1 and {MAX_SHARDS} (the first canister counts)"),
    (("max_shards", "autoscale"), lambda p: bool(p["autoscale"]) and (p["max_shards"] or 1) < 2,
     "max_shards: must be at least 2 when autoscale is on (the first canister counts)"),
)


BOOL_FIELDS = ("self_service", "autoscale")
NULLABLE_FIELDS = ("scale_at", "max_shards", "autoscale")  # opt in the factory's interface


def typed(value, like, field):
    """``value`` as the type of ``like`` (a bool or a whole number >= 0), or InputError naming ``field``."""
    if isinstance(like, bool):
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "yes", "1", "false", "no", "0"):
            return str(value).lower() in ("true", "yes", "1")
        raise InputError(field, f"{value!r} is not a boolean")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InputError(field, f"{value!r} is not a whole number") from None
    if isinstance(value, bool) or isinstance(value, float) and value != number or number < 0:
        raise InputError(field, f"{value!r} is not a whole number >= 0")
    return number


def is_null(value):
    """Whether an ``opt`` policy field is given as "not set"."""
    return value is None or str(value).lower() in ("none", "null", "")


def given_record(given, field, nullable=NULLABLE_FIELDS):
    """The fields of a policy mapping as given, typed (bools, whole numbers, None for a null ``opt``)."""
    if not isinstance(given, dict):
        raise InputError(field, "must be a mapping of policy fields")
    out = {}
    for key, value in given.items():
        if key in nullable and is_null(value):
            out[key] = None
        else:
            out[key] = typed(value, False if key in BOOL_FIELDS else 0, f"{field}.{key}")
    return out


def check_options(params):
    """ic_factory_policy's options before any call: each policy mapping's own fields against the rules."""
    if params.get("admins") is not None:
        check_admins([str(p).strip() for p in params["admins"]], allow_lockout=params.get("allow_lockout"))
    if params.get("backup_controllers") is not None:
        check_backup_controllers([str(p).strip() for p in params["backup_controllers"]])
    if params.get("policy"):
        check_global(given_record(params["policy"], "policy", nullable=()))
    templates = params.get("template_policies")
    if templates is not None and not isinstance(templates, dict):
        raise InputError("template_policies", "must be a mapping of template name to policy fields")
    for template, given in sorted((templates or {}).items()):
        field = f"template_policies.{template}"
        check_template(template, given_record(given or {}, field), field)


def problems(rules, record, field):
    """Raise InputError ``<field>.<name>: <the canister's text>`` for the first rule ``record`` breaks.

    A rule is checked only when every field it reads is in ``record``; an ``opt`` field given as
    None counts as given (it means "not set").
    """
    for fields, broken, text in rules:
        if all(f in record for f in fields) and broken(record):
            name, why = text.format(**record).split(": ", 1)
            raise InputError(f"{field}.{name}", why)


def check_template(template, record, field):
    """The template policy rules on ``record`` (given fields or the whole merged record)."""
    problems(TEMPLATE_RULES, dict(record, template=template), field)


def check_global(record, field="policy"):
    """The global policy rules on ``record``."""
    problems(GLOBAL_RULES, record, field)


def check_admins(admins, allow_lockout=False):
    """``admins`` (principal texts) as set_admins takes them (an empty list is a lockout too)."""
    if not admins and allow_lockout:
        raise InputError("admins", "at least one admin is required; list the principals that administer the factory")
    if ANONYMOUS in admins:
        raise InputError("admins", "the anonymous principal cannot be an admin; remove 2vxsx-fae")


def check_backup_controllers(backups, factory_id=None):
    """``backup_controllers`` (principal texts) as set_backup_controllers takes them."""
    if ANONYMOUS in backups:
        raise InputError("backup_controllers", "the anonymous principal cannot be a controller; remove 2vxsx-fae")
    others = set(backups) - {factory_id}
    if len(others) > MAX_BACKUP_CONTROLLERS:
        raise InputError("backup_controllers", f"at most {MAX_BACKUP_CONTROLLERS} (a canister has at most 10 "
                         f"controllers, one is the factory); {len(others)} given")
