# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""ic_fleet's convergence probe: the fleet in check mode, run in the controller process.

The ``ic_fleet`` action plugin calls ``converged_result``: the options are checked as the module
checks them (``ICModule.option_rules`` through ``ArgumentSpecValidator``, then the module's
``validation`` pass), and the module's own class runs in check mode, reading each canister's
status by query. When nothing at all would change - no canister changed or failed, no code step
needed, no top-up, no registry write, no chunk store left by an interrupted run, no warning -
the result is what the module would return and the module need not run. Otherwise (or on any
doubt) the answer is None and the module runs as usual, so every change, every error text and
every failure still comes from the module.
"""

from __future__ import annotations

import json
import os

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values

from ansible_collections.icp.canister_factory.plugins.module_utils import _validation as validation
from ansible_collections.icp.canister_factory.plugins.module_utils._fleet import CHUNK_STORE_MARK, CodeStep

# Set to 0 to always run the module (debugging); default on.
SWITCH = "ICP_FLEET_CONTROLLER_PROBE"


class Undecided(Exception):
    """The probe cannot vouch that the module would change nothing: run the module."""


class _ProbeModule:
    """What the module's class needs of an AnsibleModule, for a check-mode run in the controller."""

    check_mode = True
    _verbosity = 0

    def __init__(self, params, diff):
        self.params = params
        self._diff = diff

    def warn(self, msg):
        """A warning the module would print: let the module say it."""
        raise Undecided(f"warning: {msg}")

    def fail_json(self, msg, **kwargs):
        """A failure the module would report: let the module report it."""
        raise Undecided(msg)

    def exit_json(self, **kwargs):
        """Never called: the probe reads the instance's result itself."""
        raise Undecided("exit_json")


def probe_enabled(environ):
    """Whether the controller probe is on (``ICP_FLEET_CONTROLLER_PROBE`` unset or not 0/false/no)."""
    return str(environ.get(SWITCH, "1")).strip().lower() not in ("0", "false", "no", "off")


def converged_result(module_cls, args, diff):
    """``(result, None)``: what ``module_cls`` (ic_fleet's class) would return for task ``args``;
    or ``(None, why)`` when the module must run.

    A result only when the check-mode run shows that the real run would change nothing; see
    the module docstring. ``diff`` is whether ``--diff`` is on.
    """
    try:
        return _probe(module_cls, args, diff), None
    except Undecided as exc:
        return None, str(exc)


def _probe(module_cls, args, diff):
    try:
        # The module gets its arguments as JSON: the same plain types here.
        args = json.loads(json.dumps(args))
    except (TypeError, ValueError) as exc:
        raise Undecided(str(exc)) from None
    if args.get("canisters") and _no_registry_yet(args.get("registry")):
        raise Undecided("no registry yet: every canister is new")  # before any check or read
    validated, params = _validated(module_cls.option_rules(), args)
    try:
        validation.check(module_cls.input_checks, params)
    except Exception as exc:  # pylint: disable=broad-exception-caught
        raise Undecided(str(exc)) from None

    module = _ProbeModule(params, diff)
    instance = _probing(module_cls)(module)
    try:
        instance.connect()
        instance.run()
    except Undecided:
        raise
    except Exception as exc:  # pylint: disable=broad-exception-caught
        raise Undecided(str(exc)) from None
    result = instance.result
    if (result.get("changed") or result.get("failed_names") or instance.code_steps
            or instance.fleet_registry.names_with(CHUNK_STORE_MARK)):
        raise Undecided("the fleet would change")
    if diff:
        result["diff"] = instance.diff.get()
    # As AnsibleModule.exit_json: the options under invocation, no_log values masked.
    result["invocation"] = {"module_args": params}
    return _masked(result, validated._no_log_values)


def _masked(result, no_log_values):
    """``result`` as the action plugin gets the module's: no_log values masked (``remove_values``,
    as ``exit_json``), in JSON's plain types. With no value to mask, ``remove_values`` would only
    copy the result; the JSON round trip the module's result takes copies it at a fraction of the
    cost (a 1,000-canister result and its invocation: ~80 ms less)."""
    if not no_log_values:
        try:
            return json.loads(json.dumps(result))
        except (TypeError, ValueError):
            pass  # a type JSON has no word for: remove_values' copy, as before
    return remove_values(result, no_log_values)


def _validated(rules, args, field="canisters"):
    """``(ArgumentSpecValidator's result, the validated parameters)`` of ``args``; raises
    Undecided on any error (the module words it).

    The items of ``field`` are checked once per distinct shape: an item with the text of each
    free-text option (type str, nothing else: no choices, no no_log, no aliases, no default)
    put aside. The validator's only dealing with such a text is to keep it (a str stays the
    same str; required asks only that the option be there), so an item's result is its shape's
    with its own texts put back. A 1,000-canister fleet is mostly one shape: ~0.15 s less."""
    items = args.get(field)
    option = rules["argument_spec"].get(field) or {}
    if not isinstance(items, list) or set(option) - {"type", "elements", "options"}:
        return _checked(rules, args)
    free = [k for k, o in (option.get("options") or {}).items() if set(o) <= {"type", "required"}
            and o.get("type") == "str"]
    shapes, index_of, item_shapes = [], {}, []
    for item in items:
        if not isinstance(item, dict):
            return _checked(rules, args)
        shape = {k: (_PUT_ASIDE if k in free and isinstance(v, str) else v) for k, v in item.items()}
        key = json.dumps(shape, sort_keys=True)
        if key not in index_of:
            index_of[key] = len(shapes)
            shapes.append(shape)
        item_shapes.append(index_of[key])
    validated, params = _checked(rules, dict(args, **{field: shapes}))
    checked = params[field]
    params[field] = [_with_texts(checked[shape], item, free) for shape, item in zip(item_shapes, items)]
    return validated, params


# What a free-text option's value reads while its item's shape is checked.
_PUT_ASIDE = "\x00put aside"


def _with_texts(checked_shape, item, free):
    """A checked shape as ``item``'s own result: its own texts back, its own containers."""
    own = {}
    for key, value in checked_shape.items():
        if key in free and isinstance(item.get(key), str):
            own[key] = item[key]
        elif isinstance(value, (dict, list)):
            own[key] = json.loads(json.dumps(value))
        else:
            own[key] = value
    return own


def _checked(rules, args):
    validated = ArgumentSpecValidator(**rules).validate(args)
    if validated.error_messages:
        raise Undecided("options")  # the module words the error
    return validated, validated.validated_parameters


def _no_registry_yet(path):
    """True when the registry ``path`` (the module's ``type: path`` reading) has neither its file
    nor its journal: nothing is recorded, so a fleet of any canister would create it."""
    if not isinstance(path, str) or not path:
        return False
    path = os.path.expanduser(os.path.expandvars(path))
    return not os.path.exists(path) and not os.path.exists(path + ".journal")


def _probing(module_cls):
    """``module_cls`` that counts the code steps it starts (any of them sends the fleet to the module)."""
    class Probing(module_cls):
        code_steps = 0

        def _step(self, cls, spec, **params):
            if cls is CodeStep:
                self.code_steps += 1
            return super()._step(cls, spec, **params)
    return Probing
