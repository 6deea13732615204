# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Action plugin of ic_fleet: a converged fleet answers from the controller, without a module run.

ic_fleet runs on localhost with ``connection: local``, so its module would run on the controller
anyway. Before packing and starting the module, this plugin runs the fleet's read-only probe
(``module_utils/_fleet_probe.py``: the module's own class in check mode, status read by query) in
the controller process. When nothing would change, its result is the task's result. Otherwise,
when the task's Python is the controller's own (provision.yml sets it so), the module's ``main()``
runs in this process (``module_utils/_in_controller.py``): the same arguments, changes, output and
result parsing as a module process, without packing the module with its module_utils, starting
Python and compiling them (~0.6 s of a provisioning run; action=upgrade, which has no probe, runs so too). Anywhere else (another connection or
Python, become, async, a task ``environment``) the module runs as a process, as usual.

The probe runs under the controller's Python, whatever ``ansible_python_interpreter`` says
(provision.yml sets it to the controller's). ``ICP_FLEET_CONTROLLER_PROBE=0`` in the
controller's environment turns the probe and the run in the controller off: the module then
always runs as a process.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash

display = Display()


@contextlib.contextmanager
def fact_cleaning_skipped_without_facts():
    """Within: ``VariableManager.get_vars`` (each ``hostvars[host]`` read) skips cleaning the facts
    of a host that has none, and gives exactly the same variables.

    ``clean_facts`` only removes keys of the facts it is given: for no facts its result is ``{}``,
    which ``get_vars`` then merges as nothing. What it costs even then is a glob of every connection
    plugin directory per host (~40% of a ``hostvars[host]`` read; ~85 ms for 1,000 hosts). A host
    with facts is cleaned as always. The worker process runs this one task, and nothing else reads
    variables while the items are built; the function is put back on the way out."""
    from ansible.vars import manager

    original = getattr(manager, "clean_facts", None)
    if original is None:  # another ansible-core: nothing to skip
        yield
        return

    def clean_facts(facts):
        return {} if not facts else original(facts)

    manager.clean_facts = clean_facts
    try:
        yield
    finally:
        manager.clean_facts = original


def _invocation_as_given(result, source):
    """The result's ``invocation`` with the task's ``from_inventory`` in place of the ``canisters``
    built from it: -vvv shows the options as the task gave them, and the result of a large fleet
    does not carry every item a second time (the controller turns every result it receives into
    plain types and strips it, whole, before registering it without its invocation)."""
    module_args = (result.get("invocation") or {}).get("module_args")
    if isinstance(module_args, dict):
        module_args.pop("canisters", None)
        module_args["from_inventory"] = source


class ActionModule(ActionBase):
    """Run ic_fleet's module (in the controller process where it would run there anyway), unless
    the controller probe shows the fleet converged."""

    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        """The module's result: from the probe when nothing would change, else from the module."""
        result = super().run(tmp, task_vars)
        del tmp
        # The worker holds the whole inventory (1,000 hosts: ~10^6 objects), and every garbage
        # collection of the oldest generation walks it; the fleet's items, checks, Candid replies
        # and result allocate enough to trigger several. Frozen, those objects are left out of
        # every collection (~0.1 s of a converged 1,000-canister rerun). The worker process ends
        # with this task, so nothing frozen outlives its use.
        gc.freeze()
        try:
            args = self._module_args(task_vars or {})
        except AnsibleError as exc:  # a bad from_inventory or inventory: before any call
            return merge_hash(result, {"failed": True, "msg": exc.message})
        outcome = self._outcome(args, task_vars)
        if "from_inventory" in self._task.args:
            _invocation_as_given(outcome, self._task.args["from_inventory"])
        return merge_hash(result, outcome)

    def _outcome(self, args, task_vars):
        """The result of the probe, or else of the module, for the module's arguments ``args``."""
        here = self._module_would_run_here()
        # action=upgrade has its own fast path (module_on_target) before the task: no probe.
        probe = here and (args.get("action") or "converge") == "converge"
        converged, why = self._probe(args) if probe else (None, "probe not applicable")
        if converged is not None:
            display.vvv("ic_fleet: every canister converged (controller probe); module not run")
            return converged
        if here and self._controller_python(task_vars):
            display.vvv(f"ic_fleet: running the module in the controller process ({why})")
            return self._run_in_controller(task_vars, args)
        display.vvv(f"ic_fleet: running the module ({why})")
        wrap_async = self._task.async_val and not self._connection.has_native_async
        outcome = self._execute_module(module_args=args, task_vars=task_vars, wrap_async=wrap_async)
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return outcome

    def _module_args(self, task_vars):
        """The task's arguments as the module takes them: ``from_inventory`` (an option of this
        plugin only) turned into the ``canisters`` it stands for, built here from the inventory
        by the fleet_specs filter's function. Built here, the 1,000 items of a large fleet are not
        templated and finalized as a task argument (~0.25 s of a converged rerun)."""
        args = dict(self._task.args)
        source = args.pop("from_inventory", None)
        if source is None:
            return args
        if args.get("canisters") is not None:
            raise AnsibleError("from_inventory: give canisters or from_inventory, not both")
        from ansible_collections.icp.canister_factory.plugins.filter.fleet_specs import inventory_specs

        def render(name):  # as lookup('ansible.builtin.vars', name) in this task's context
            return self._templar.template(task_vars[name])

        with fact_cleaning_skipped_without_facts():
            args["canisters"] = inventory_specs(source, task_vars, render)
        return args

    def _module_would_run_here(self):
        """Whether the module would run in this process's place (the probe and the run in the
        controller stand in for it only there), and they are not turned off."""
        # Imported here: the collection's module_utils are found through the collection loader.
        from ansible_collections.icp.canister_factory.plugins.module_utils._fleet_probe import probe_enabled

        return (probe_enabled(os.environ)
                and self._connection.transport == "local"
                and not self._play_context.become
                and not self._task.async_val
                # The task's environment (a list of mappings) would reach only the module.
                and not any(self._task.environment or []))

    def _controller_python(self, task_vars):
        """Whether the task's Python is the controller's own (provision.yml sets it so): then the
        module can run in this process, as it would in a process of that Python."""
        from ansible_collections.icp.canister_factory.plugins.module_utils._in_controller import same_python

        variables = task_vars or {}
        if self._task.delegate_to:
            # As ActionBase._configure_module: a delegated task's module runs with the delegated host's vars.
            variables = (variables.get("ansible_delegated_vars") or {}).get(self._task.delegate_to) or {}
        try:
            interpreter = self._templar.template(variables.get("ansible_python_interpreter"))
        except Exception:  # pylint: disable=broad-exception-caught
            return False  # any doubt: the module runs as a process
        return same_python(interpreter if isinstance(interpreter, str) else None, sys.executable)

    def _run_in_controller(self, task_vars, args):
        """The module's result, its ``main()`` run in this process (module_utils/_in_controller.py):
        the same arguments, output and parsing as a module process, without packing and starting one."""
        from ansible_collections.icp.canister_factory.plugins.module_utils._in_controller import PROFILE, run_main
        from ansible_collections.icp.canister_factory.plugins.modules.ic_fleet import main

        module_args = dict(args)
        self._update_module_args(self._task.resolved_action or "icp.canister_factory.ic_fleet", module_args, task_vars)
        code, stdout = run_main(main, module_args)
        return self._parse_returned_data({"rc": code, "stdout": stdout, "stderr": ""}, PROFILE)

    def _probe(self, args):
        """``(result, None)`` from the probe, or ``(None, why)``: any doubt, even an import error, runs the module."""
        try:
            from ansible_collections.icp.canister_factory.plugins.module_utils._fleet_probe import converged_result
            from ansible_collections.icp.canister_factory.plugins.modules.ic_fleet import ICFleet

            return converged_result(ICFleet, args, bool(self._task.diff))
        except Exception as exc:  # pylint: disable=broad-exception-caught
            return None, f"probe error: {exc}"
