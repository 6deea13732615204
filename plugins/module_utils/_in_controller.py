# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Run a module's ``main()`` in the controller's worker process, as AnsiballZ would run it elsewhere.

ic_fleet's action plugin uses it when the module would run on the controller anyway (local
connection, the controller's own Python): the module's ``main()`` gets its arguments the way
AnsiballZ hands them over (``ANSIBLE_MODULE_ARGS``, JSON with the module serialization profile)
and prints its result as it always does; what it printed is returned for the action plugin to
parse like a module's output. What costs a module run beside the work - packing the module and
its ~120 module_utils files, starting Python, compiling those files from the zip - is saved:
~0.6 s per run. Every option check, change, error text and result stays the module's own.

The worker process runs this one task and then ends, so the module-wide state that
``AnsibleModule`` keeps (its arguments, warnings) lives no longer than a module process would.
"""

from __future__ import annotations

import contextlib
import io
import json
import os

PROFILE = "legacy"


def same_python(interpreter, controller):
    """True when ``interpreter`` (the task's ``ansible_python_interpreter``) is the controller's
    Python ``controller``: the same executable in the same environment (a virtualenv's ``bin``)."""
    if not interpreter or not controller:
        return False
    return (os.path.realpath(interpreter) == os.path.realpath(controller)
            and os.path.realpath(os.path.dirname(interpreter)) == os.path.realpath(os.path.dirname(controller)))


def run_main(main, module_args):
    """Call ``main()`` with ``module_args`` (the task's options and the ``_ansible_*`` internal
    ones) as its AnsibleModule arguments; return ``(exit code, what it printed)``."""
    # Imported here: only the controller (ansible-core's executor) has the module encoder.
    from ansible.module_utils import basic
    from ansible.module_utils.common.json import Direction, get_module_encoder

    encoder = get_module_encoder(PROFILE, Direction.CONTROLLER_TO_MODULE)
    saved = basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE  # pylint: disable=protected-access
    basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": module_args}, cls=encoder).encode()  # pylint: disable=protected-access
    basic._ANSIBLE_PROFILE = PROFILE  # pylint: disable=protected-access
    out = io.StringIO()
    code = 0
    try:
        with contextlib.redirect_stdout(out):
            try:
                main()
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE = saved  # pylint: disable=protected-access
    return code, out.getvalue()
