# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Every input check, in one place: runs before the first IC call and the first registry write.

``check(kind, params)`` runs the pass of one module (``kind`` is the module name) from
``ICModule.main``, in check mode too; ``fleet`` checks every spec of ``ic_fleet`` with the same
``canister`` and ``code`` passes, ``ic_registry`` checks the fields it shares with the modules
with ``entry_fields``. The passes are built from the field checkers of ``input_fields``. Every
failure is an ``InputError`` whose text is one line: ``<field>: <what is wrong>; <what to do>``.
"""

from __future__ import annotations

import collections

from ansible_collections.icp.canister_factory.plugins.module_utils import _candid_args as candid_args
from ansible_collections.icp.canister_factory.plugins.module_utils import _factory_policy_rules as factory_policy_rules
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import InputError
from ansible_collections.icp.canister_factory.plugins.module_utils._canister_settings import normalize
from ansible_collections.icp.canister_factory.plugins.module_utils._checked_args import CheckedArgs
from ansible_collections.icp.canister_factory.plugins.module_utils._upgrade_items import serial_batches
from ansible_collections.icp.canister_factory.plugins.module_utils._input_fields import (
    NAT64_MAX,
    canister_id,
    hex_bytes,
    init_arg,
    name,
    nat,
    network_url,
    optional_nat,
    owner,
    principal,
    readable_file,
    registry_file,
    seconds,
    sha256_hex,
    status,
    template,
    wasm,
    writable_path,
)

# ----- options shared by several modules ---------------------------------------------------


def _common(params):
    if "network" in params:
        network_url(params.get("network"))
    if params.get("timeout") is not None:
        seconds(params["timeout"], "timeout")
    if params.get("retries") is not None:
        nat(params["retries"], "retries", maximum=100)
    if params.get("root_key") not in (None, "", "fetch"):
        hex_bytes(params["root_key"], "root_key")
    if params.get("identity"):
        readable_file(params["identity"], "identity")


def _target(params, prefix=""):
    """canister_id or name + registry (the ways a module finds its canister)."""
    if params.get("canister_id") is not None:
        canister_id(params["canister_id"], prefix + "canister_id")
    if params.get("name") is not None:
        name(params["name"], prefix + "name")
    if params.get("registry"):
        registry_file(params["registry"], prefix + "registry")


def _funding(params, prefix):
    """The funding a creation would use (``auto`` resolved for the network); provisional on
    mainnet is refused here, before any call."""
    from ansible_collections.icp.canister_factory.plugins.module_utils._creation_keys import resolve_funding

    if "network" not in params or params.get("state") == "absent":
        return params.get("funding") or "provisional"
    try:
        return resolve_funding(params.get("funding"), params.get("network"))
    except InputError as exc:
        raise InputError(prefix + exc.field, exc.message) from None


def _top_up_source(params, source, field):
    """A top-up's funding source (``auto`` resolved for the network); provisional on mainnet is
    refused here, before any call."""
    from ansible_collections.icp.canister_factory.plugins.module_utils._creation_keys import resolve_funding

    if "network" in params:
        resolve_funding(source, params.get("network"), field=field, what="top-up")


# ----- one pass per module -----------------------------------------------------------------

def canister(params, prefix=""):
    """ic_canister (and each fleet spec's canister part)."""
    _target(params, prefix)
    if params.get("specified_id") is not None:
        canister_id(params["specified_id"], prefix + "specified_id")
    if params.get("subnet") is not None:
        principal(params["subnet"], prefix + "subnet")
    if params.get("owner") is not None:
        owner(params["owner"], prefix + "owner")
    if params.get("template") is not None:
        template(params["template"], prefix + "template")
    optional_nat(params, "cycles", prefix)
    normalize(params.get("settings"), prefix=prefix + "settings")
    funding = _funding(params, prefix)
    if funding == "cycles_ledger":
        if params.get("specified_id"):
            raise InputError(prefix + "specified_id", "only with funding=provisional; remove it or "
                             "change funding")
        if params.get("cycles") is None and params.get("state") != "absent":
            raise InputError(prefix + "cycles", "required with funding=cycles_ledger (the amount "
                             "to spend on the new canister)")
    elif params.get("subnet") and params.get("specified_id"):
        raise InputError(prefix + "subnet", "give subnet or specified_id, not both (a specified "
                         "id lands on the subnet whose range holds it)")
    if params.get("last_snapshot_dir"):
        writable_path(params["last_snapshot_dir"], prefix + "last_snapshot_dir", directory=True)
    if params.get("reclaim_to"):
        canister_id(params["reclaim_to"], prefix + "reclaim_to")
    _wait_timeout(params, prefix)
    if params.get("install_check") and params.get("state") != "absent":
        code(dict(params["install_check"]), prefix + "install_check.")


def _wait_timeout(params, prefix=""):
    if params.get("wait_timeout") is not None:
        seconds(params["wait_timeout"], prefix + "wait_timeout")


def code(params, prefix="", checked_args=None):
    """ic_code (and each fleet spec's code part): returns ``(module, arg_bytes)``."""
    _target(params, prefix)
    _wait_timeout(params, prefix)
    return code_payload(params, prefix, checked_args)


def code_payload(params, prefix="", checked_args=None):
    """The module and init argument of an install, checked: ``(module, arg_bytes)``. Cheap to call
    again (the module and its types are cached), so the install itself uses it too.

    With ``checked_args`` (a fleet's ``CheckedArgs``), an init argument text that passed this
    check before with the same module and ``did`` is not parsed again: ``arg_bytes`` is then None."""
    module = wasm(params.get("wasm"), prefix + "wasm")
    if params.get("wasm_sha256"):
        wanted = sha256_hex(params["wasm_sha256"], prefix + "wasm_sha256")
        if wanted != module.sha256_hex:
            raise InputError(prefix + "wasm_sha256", f"{params['wasm']} has SHA-256 {module.sha256_hex}, "
                             f"not {wanted}; give the right file or hash")
    if params.get("mode") == "reinstall" and not params.get("allow_data_loss"):
        raise InputError(prefix + "allow_data_loss", "mode=reinstall wipes the canister's state; "
                         "set allow_data_loss: true")
    if params.get("wasm_memory_persistence") and params.get("mode") not in ("auto", "upgrade"):
        raise InputError(prefix + "wasm_memory_persistence", "only applies to upgrades; remove it "
                         "or use mode=upgrade")
    verify = params.get("verify") or {}
    if verify and not (verify.get("method") or "").strip():
        raise InputError(prefix + "verify.method", "is empty; give the name of a query method")
    if params.get("version_manifest"):
        readable_file(params["version_manifest"], prefix + "version_manifest")
    if params.get("notify_factory"):
        canister_id(params["notify_factory"], prefix + "notify_factory")
    if checked_args is None:
        return module, init_arg(params, module, prefix)
    key = checked_args.key(module, params)
    if checked_args.passed(key):
        return module, None
    arg = init_arg(params, module, prefix)
    checked_args.add(key)
    return module, arg


def cycles(params):
    """ic_cycles."""
    _target(params)
    if params.get("amount") is not None:
        nat(params["amount"], "amount", minimum=1)
    optional_nat(params, "min_cycles")
    optional_nat(params, "target_cycles")
    band(params.get("min_cycles"), params.get("target_cycles"), "target_cycles", "min_cycles")
    _top_up_source(params, params.get("source"), "source")


def band(minimum, target, target_field, minimum_field):
    """A cycles band: ``target`` (default ``minimum``) at least ``minimum``."""
    if minimum is not None and target is not None and target < minimum:
        raise InputError(target_field, f"is {target}, below {minimum_field} {minimum}; "
                         f"make {target_field} at least {minimum_field}")


def call(params):
    """ic_call: the target and the argument's syntax (its types come from the canister later)."""
    principal(params.get("canister_id"), "canister_id")
    method = params.get("method")
    if not isinstance(method, str) or not method.strip():
        raise InputError("method", "is empty; give the name of a method of the canister")
    if params.get("did"):
        readable_file(params["did"], "did")
    if params.get("arg_value") is None:
        candid_args.encode(params, None)


def canister_info(params):
    """ic_canister_info."""
    if params.get("canister_id") is not None:
        principal(params["canister_id"], "canister_id")
    for index, value in enumerate(params.get("canister_ids") or []):
        principal(value, f"canister_ids[{index}]")
    if params.get("canister_ids") is not None and not params["canister_ids"]:
        raise InputError("canister_ids", "is empty; give at least one canister id")
    optional_nat(params, "logs_since", maximum=NAT64_MAX)
    lookup = params.get("ledger_creation")
    if lookup:
        nat(lookup["created_at_time"], "ledger_creation.created_at_time", maximum=NAT64_MAX)
        nat(lookup["cycles"], "ledger_creation.cycles")
    if params.get("workers") is not None:
        nat(params["workers"], "workers", minimum=1, maximum=256)
    for index, value in enumerate(params.get("metadata") or []):
        if not isinstance(value, str) or not value.strip():
            raise InputError(f"metadata[{index}]", "is empty; give a metadata section name such as 'candid:service'")


def snapshot(params):
    """ic_snapshot."""
    _target(params)
    if params.get("snapshot_id") is not None:
        hex_bytes(params["snapshot_id"], "snapshot_id")
    if params.get("replace") not in (None, "oldest"):
        hex_bytes(params["replace"], "replace")
    for field in ("if_older_than", "older_than", "keep"):
        optional_nat(params, field, maximum=NAT64_MAX)
    _wait_timeout(params)


def entry_fields(fields, prefix=""):
    """The registry entry fields the modules own, checked as the modules check them (ic_registry)."""
    out = dict(fields)
    for key, value in fields.items():
        field = prefix + key
        if value is None:
            continue
        if key == "canister_id":
            out[key] = canister_id(value, field)
        elif key == "owner":
            out[key] = owner(value, field)
        elif key in ("created_by",):
            out[key] = principal(value, field)
        elif key == "template":
            template(value, field)
        elif key == "status":
            status(value, field)
        elif key in ("cycles_balance", "cycles"):
            nat(value, field)
        elif key in ("module_hash", "arg_sha256"):
            out[key] = sha256_hex(value, field)
        elif key == "settings":
            normalize(value, prefix=field)
    return out


def registry(params):
    """ic_registry."""
    registry_file(params.get("path"), "path")
    if params.get("name") is not None:
        name(params["name"], "name")
    entry_fields({k: params.get(k) for k in ("canister_id", "owner", "template", "status",
                                             "module_hash", "cycles_balance")})
    entry_fields(params.get("vars") or {}, prefix="vars.")
    if params.get("export_path"):
        writable_path(params["export_path"], "export_path")
    if params.get("import_path"):
        import_ids(params)


def import_ids(params):
    """``{name: canister_id}`` from the O(import_path) file, every name and id checked."""
    import json

    path = readable_file(params["import_path"], "import_path")
    try:
        with open(path, "r", encoding="utf-8") as handle:
            doc = json.load(handle)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError("import_path", f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    except ValueError as exc:
        raise InputError("import_path", f"{path} is not valid JSON ({str(exc).splitlines()[0]})") from None
    if not isinstance(doc, dict):
        raise InputError("import_path", "expected a JSON object of canister names")
    ids = {}
    for key, value in doc.items():
        if params.get("import_format") == "dfx":
            value = value.get(params.get("dfx_network") or "ic") if isinstance(value, dict) else None
        if value is None:
            continue
        name(key, f"import_path[{key!r}]")
        ids[key] = canister_id(value, f"import_path[{key}]")
    return ids


def fleet(params):
    """ic_fleet: every spec, with the checks of ic_canister and ic_code, before any canister is made."""
    if params.get("action") == "upgrade":
        fleet_upgrade(params)
        return
    if params.get("from_inventory") is not None:
        raise InputError("from_inventory", "is read by ic_fleet's action plugin, which builds canisters from it; "
                         "run the task as icp.canister_factory.ic_fleet, or give canisters")
    common = {k: params.get(k) for k in ("network",) if k in params}
    # Init argument texts proven valid by an earlier run (an unusable registry path reads as none;
    # _fleet_items checks the path before the first item).
    checked_args = CheckedArgs(params.get("registry"))
    for prefix, spec in _fleet_items(params, "canisters"):
        for field in ("cycles_min", "cycles_target"):
            optional_nat(spec, field, prefix)
        band(spec.get("cycles_min"), spec.get("cycles_target"), prefix + "cycles_target", "cycles_min")
        if spec.get("cycles_min") is not None:
            _top_up_source(params, spec.get("cycles_source"), prefix + "cycles_source")
        own = dict(common, **{k: v for k, v in spec.items() if k != "name"})
        canister(own, prefix)
        if own.get("arg_value") is not None:
            own["arg"] = None  # data wins over text, as in the role
        code(own, prefix, checked_args)
    checked_args.keep()  # written by the run once it has succeeded (save_kept)


def _fleet_items(params, field):
    """The fleet's own options and the names of the items of ``field``, checked; yields
    ``(prefix, item)`` with the prefix that names the item's fields in errors."""
    registry_file(params.get("registry"), "registry")
    nat(params.get("workers"), "workers", minimum=1, maximum=256)
    items = params.get(field) or []
    names = [s.get("name") for s in items]
    counts = collections.Counter(str(n) for n in names)  # names.count() per name was O(N^2)
    duplicates = sorted(n for n, count in counts.items() if count > 1)
    if duplicates:
        raise InputError(field, f"names must be unique; repeated: {', '.join(duplicates)}")
    for index, item in enumerate(items):
        label = item.get("name")
        if not isinstance(label, str) or not label.strip() or not label.isprintable():
            label = index
        prefix = f"{field}[{label}]."
        name(item.get("name"), prefix + "name")
        yield prefix, item


def fleet_upgrade(params):
    """ic_fleet with action=upgrade: every item with ic_code's checks of the role's upgrade, before any call."""
    if not params.get("upgrades"):
        raise InputError("upgrades", "is empty; action=upgrade needs one item per canister to upgrade")
    if params.get("canisters"):
        raise InputError("canisters", "is for action=converge; give the canisters to upgrade as upgrades")
    if params.get("version_manifest"):
        readable_file(params["version_manifest"], "version_manifest")
    serial_batches(params["upgrades"], params.get("batch_size"))
    nat(params.get("max_fail_percentage") or 0, "max_fail_percentage", minimum=0, maximum=100)
    for prefix, item in _fleet_items(params, "upgrades"):
        if item.get("module_hash"):
            sha256_hex(item["module_hash"], prefix + "module_hash")
        if item.get("verify_method") is not None and not str(item["verify_method"]).strip():
            raise InputError(prefix + "verify_method", "is empty; give the name of a query method")
        code({"network": params.get("network"), "canister_id": item.get("canister_id"), "wasm": item.get("wasm"),
              "arg": item.get("arg"), "mode": "upgrade", "wasm_memory_persistence": item.get("wasm_memory_persistence"),
              "notify_factory": item.get("notify_factory")}, prefix)


CHECKS = {
    "ic_canister": canister, "ic_code": code, "ic_cycles": cycles, "ic_call": call,
    "ic_canister_info": canister_info, "ic_snapshot": snapshot, "ic_registry": registry,
    "ic_fleet": fleet, "ic_factory_policy": factory_policy_rules.check_options,
}


def check(kind, params):
    """Run the common checks and those of module ``kind``; raise InputError on the first problem."""
    _common(params)
    checker = CHECKS.get(kind)
    if checker is not None:
        checker(params)
