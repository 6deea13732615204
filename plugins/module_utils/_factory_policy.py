# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What ``ic_factory_policy`` converges: admins, backup controllers, global and per-template policy.

``plan(factory, wanted, caller)`` reads the factory (queries only) and returns the changes as a
list of ``Change`` (key, before, after, how to apply); ``ic_factory_policy`` applies them and
``ic_factory_info`` reports them for a playbook that wants to know whether anything is to do.
"""

from __future__ import annotations

from ansible_collections.icp.canister_factory.plugins.module_utils._ic import candid
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import InputError
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.principal import Principal
from ansible_collections.icp.canister_factory.plugins.module_utils._factory_client import plain_data
from ansible_collections.icp.canister_factory.plugins.module_utils import _factory_policy_rules as rules


def policy_argument_spec():
    """The desired-state options (shared by ic_factory_policy and ic_factory_info's compare)."""
    return {
        "admins": {"type": "list", "elements": "str"},
        "backup_controllers": {"type": "list", "elements": "str"},
        "policy": {"type": "dict"},
        "template_policies": {"type": "dict"},
        "allow_lockout": {"type": "bool", "default": False},
    }


class Change:
    """One difference: ``key`` shown in the diff, ``before``/``after`` as data, ``apply(factory)``."""

    def __init__(self, key, before, after, method, *args):
        self.key, self.before, self.after = key, before, after
        self.method, self.args = method, args

    def apply(self, factory):
        """Send the update that makes it so."""
        return factory.update(self.method, *self.args)


def principals(values, field):
    """Sorted unique principal texts (InputError naming ``field[i]``)."""
    out = set()
    for i, value in enumerate(values):
        out.add(Principal.coerce(value, field=f"{field}[{i}]").to_text())
    return sorted(out)


def merged_record(current, given, field, nullable=()):
    """``current`` (a policy record) with the keys of ``given`` replaced, each checked against its type;
    the keys in ``nullable`` (Candid ``opt`` fields) also take null (``none``) for "not set"."""
    if not isinstance(given, dict):
        raise InputError(field, "must be a mapping of policy fields")
    merged = dict(current)
    for key, value in given.items():
        if key not in current:
            raise InputError(f"{field}.{key}", f"unknown policy field (known: {', '.join(sorted(current))})")
        if key in nullable and rules.is_null(value):
            merged[key] = None
        else:
            merged[key] = rules.typed(value, current[key], f"{field}.{key}")
    return merged


def optional_fields(factory, method, index):
    """Names of the ``opt`` fields of argument ``index`` of ``method`` (a record) in the factory's interface."""
    record = factory.did.arg_types(method)[index].resolve()
    return {f.label for f in getattr(record, "fields", ()) if isinstance(f.type.resolve(), candid.Opt)}


def plan(factory, wanted, caller, pending_templates=()):
    """The changes that make the factory match ``wanted`` (the policy options); queries only.

    A template the factory does not have is refused, unless it is in ``pending_templates`` (about
    to be registered by the same play, as deploy_factory does before it sets the policy): its
    policy then starts from the factory's defaults, as a newly registered template's does.
    """
    changes = []
    if wanted.get("admins") is not None:
        admins = principals(wanted["admins"], "admins")
        if caller not in admins and not wanted.get("allow_lockout"):
            raise InputError("admins", f"the list leaves out the caller {caller}, who would lose access; "
                             "add it or set allow_lockout")
        rules.check_admins(admins, allow_lockout=True)
        current = sorted(p.to_text() for p in factory.query("get_admins"))
        if current != admins:
            changes.append(Change("admins", current, admins, "set_admins", admins))
    if wanted.get("backup_controllers") is not None:
        backups = principals(wanted["backup_controllers"], "backup_controllers")
        rules.check_backup_controllers(backups, factory.canister_id.to_text())
        current = sorted(p.to_text() for p in factory.query("get_backup_controllers"))
        if current != backups:
            changes.append(Change("backup_controllers", current, backups, "set_backup_controllers", backups))
    if wanted.get("policy"):
        current = plain_data(factory.query("get_policy"))
        merged = merged_record(current, wanted["policy"], "policy")
        rules.check_global(merged)
        if merged != current:
            changes.append(Change("policy", current, merged, "set_policy", merged))
    templates = sorted(wanted.get("template_policies") or {})
    nullable = optional_fields(factory, "set_template_policy", 1) if templates else set()
    for template in templates:
        given = wanted["template_policies"][template]
        held = factory.query("get_template_policy", template)
        field = f"template_policies.{template}"
        if held is None and template not in pending_templates:
            raise InputError(field, f"the factory has no template {template!r}; register it first "
                             "(ic_factory_template) or fix the name")
        current = plain_data(held if held is not None else factory.query("default_template_policy"))
        merged = merged_record(current, given or {}, field, nullable)
        rules.check_template(template, merged, field)
        if held is None or merged != current:
            changes.append(Change(field, plain_data(held), merged, "set_template_policy", template, merged))
    return changes
