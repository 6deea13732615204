"""Run collection modules in this Python process, many per second, as Ansible would run them.

``run_module("ic_canister", {...})`` loads the module's parameters the way AnsiballZ does
(``ANSIBLE_MODULE_ARGS`` with the ``legacy`` serialization profile), calls its ``main()``,
and returns the JSON result it printed. Tests that feed many inputs to the modules use it
instead of one ``ansible-playbook`` process per input.
"""
import contextlib
import importlib
import io
import json
import os
import sys

from module_runner import collection_tree

_READY = []


def _import_path(base):
    if not _READY:
        sys.path.insert(0, collection_tree(base))
        _READY.append(base)


def run_module(name, args, base, check=False, diff=False, verbosity=0):
    """Run module ``name`` with ``args``; return its result dict (``failed`` set on failure)."""
    from ansible.module_utils import basic

    _import_path(base)
    module = importlib.import_module(f"ansible_collections.icp.canister_factory.plugins.modules.{name}")
    internal = {"_ansible_check_mode": check, "_ansible_diff": diff, "_ansible_verbosity": verbosity,
                "_ansible_module_name": f"icp.canister_factory.{name}", "_ansible_no_log": False,
                "_ansible_tmpdir": os.path.join(base, "tmp"), "_ansible_remote_tmp": os.path.join(base, "tmp"),
                "_ansible_keep_remote_files": False}
    os.makedirs(internal["_ansible_tmpdir"], exist_ok=True)
    payload = {"ANSIBLE_MODULE_ARGS": dict(args, **internal)}
    basic._ANSIBLE_ARGS = json.dumps(payload).encode()  # pylint: disable=protected-access
    basic._ANSIBLE_PROFILE = "legacy"  # pylint: disable=protected-access
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            try:
                module.main()
            except SystemExit:
                pass
    finally:
        basic._ANSIBLE_ARGS = None  # pylint: disable=protected-access
    text = out.getvalue().strip()
    try:
        return json.loads(text.splitlines()[-1])
    except (ValueError, IndexError):
        return {"failed": True, "msg": f"no JSON result: {text[-2000:]}", "_raw": text}
