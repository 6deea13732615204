"""ic_fleet's run in the controller process: which Python counts as the controller's, and a real
AnsibleModule main() run in this process gets its arguments as AnsiballZ gives them and hands
back what it printed, leaving the process's module state as it was."""
import json
import os
import sys

from ansible.module_utils import basic

from ansible_collections.icp.canister_factory.plugins.module_utils._in_controller import run_main, same_python


def test_the_same_python_in_the_same_environment_only(tmp_path):
    assert same_python(sys.executable, sys.executable)
    # A symlink to the same binary in another directory is another environment (a venv is
    # told by the directory its python lies in), and so is a wrapper script.
    other = tmp_path / "bin"
    other.mkdir()
    link = other / "python3"
    link.symlink_to(os.path.realpath(sys.executable))
    assert not same_python(str(link), sys.executable)
    wrapper = tmp_path / "python-wrapper"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    assert not same_python(str(wrapper), sys.executable)
    assert not same_python(None, sys.executable) and not same_python("", sys.executable)


def _echo_main():
    module = basic.AnsibleModule(argument_spec={"name": {"type": "str", "required": True},
                                                "count": {"type": "int", "default": 2}},
                                 supports_check_mode=True)
    if module.params["name"] == "bad":
        module.fail_json(msg="name: bad is refused")
    module.exit_json(changed=not module.check_mode, echoed=module.params)


def _internal(check=False):
    return {"_ansible_check_mode": check, "_ansible_no_log": False, "_ansible_diff": False,
            "_ansible_verbosity": 0, "_ansible_module_name": "echo", "_ansible_tmpdir": None,
            "_ansible_remote_tmp": "~/.ansible/tmp", "_ansible_keep_remote_files": False}


def test_main_runs_in_process_with_the_module_arguments_and_its_output_comes_back():
    before = basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE  # pylint: disable=protected-access
    code, out = run_main(_echo_main, dict({"name": "x"}, **_internal()))
    result = json.loads(out)
    assert code == 0 and result["changed"] is True
    assert result["echoed"] == {"name": "x", "count": 2}
    assert result["invocation"]["module_args"] == {"name": "x", "count": 2}
    assert (basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE) == before  # pylint: disable=protected-access

    code, out = run_main(_echo_main, dict({"name": "x"}, **_internal(check=True)))
    assert code == 0 and json.loads(out)["changed"] is False

    code, out = run_main(_echo_main, dict({"name": "bad"}, **_internal()))
    assert code == 1 and json.loads(out)["failed"] is True and json.loads(out)["msg"] == "name: bad is refused"

    code, out = run_main(_echo_main, dict({"count": "many"}, **_internal()))
    assert code == 1 and "name" in json.loads(out)["msg"]
