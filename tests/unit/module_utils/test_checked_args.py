"""ic_fleet's init argument check remembers the texts that passed (``<registry>.checked-args``):
a text proven valid with the same module and did file is not parsed again, anything else is
checked as always, so every refusal and its error text stay the same."""
import json
import os
import shutil

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.icp.canister_factory.plugins.module_utils import _validation as validation
from ansible_collections.icp.canister_factory.plugins.module_utils._checked_args import checked_args_path, save_kept
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import InputError
from ansible_collections.icp.canister_factory.plugins.modules.ic_fleet import ICFleet

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
OWNERS = ["fnplf-uycdp-yu5v4-xuk3r-in7k5-n5mjr-tbcxb-ctohz-eeg3r-iydeb-iqe",
          "ugq7c-763ej-6ltbi-pmrpy-msutw-j3dzl-ajdlp-tihyb-miske-xsf6y-mqe"]


def _params(tmp_path, args, wasm=None):
    items = [{"name": f"c{i}", "owner": OWNERS[i % 2], "wasm": wasm or os.path.join(ROOT, "wasm", "user.wasm.gz"),
              "arg": arg} for i, arg in enumerate(args)]
    checked = ArgumentSpecValidator(**ICFleet.option_rules()).validate(
        {"network": "http://127.0.0.1:9", "registry": str(tmp_path / "registry.yml"), "canisters": items})
    assert not checked.error_messages, checked.error_messages
    return checked.validated_parameters


def _arg(owner):
    return f'(record {{ owner = principal "{owner}" }})'


@pytest.fixture
def parses(monkeypatch):
    """The texts the check parses, in order."""
    seen = []
    original = validation.init_arg

    def init_arg(params, module, prefix=""):
        seen.append(params.get("arg"))
        return original(params, module, prefix)
    monkeypatch.setattr(validation, "init_arg", init_arg)
    return seen


def _check(params):
    """The validation pass of a fleet run that then succeeds (which writes what it proved)."""
    validation.check("ic_fleet", params)
    save_kept(params["registry"])


def test_only_a_run_that_succeeded_writes_what_its_pass_proved(tmp_path, parses):
    params = _params(tmp_path, [_arg(o) for o in OWNERS])
    validation.check("ic_fleet", params)
    assert not os.path.exists(checked_args_path(params["registry"])), "checked, but the run has not succeeded"
    save_kept(params["registry"])
    with open(checked_args_path(params["registry"]), encoding="utf-8") as handle:
        assert len(json.load(handle)["checked"]) == 2
    os.remove(checked_args_path(params["registry"]))
    save_kept(params["registry"])
    assert not os.path.exists(checked_args_path(params["registry"])), "a pass is written once, by its own run"


def test_a_text_that_passed_is_not_parsed_again_with_the_same_module(tmp_path, parses):
    params = _params(tmp_path, [_arg(o) for o in OWNERS])
    _check(params)
    assert parses == [_arg(o) for o in OWNERS]
    with open(checked_args_path(params["registry"]), encoding="utf-8") as handle:
        assert len(json.load(handle)["checked"]) == 2

    parses.clear()
    _check(_params(tmp_path, [_arg(o) for o in OWNERS] + [_arg(OWNERS[0]).replace(" }", "; x = 1 }")]))
    assert parses == [_arg(OWNERS[0]).replace(" }", "; x = 1 }")], "only the new text is parsed"

    parses.clear()
    other = tmp_path / "copy.wasm.gz"
    shutil.copy(os.path.join(ROOT, "wasm", "user.wasm.gz"), other)
    _check(_params(tmp_path, [_arg(OWNERS[0])], wasm=str(other)))
    assert parses == [], "the same module bytes under another path: the same types"
    gallery = os.path.join(ROOT, "wasm", "gallery.wasm.gz")
    _check(_params(tmp_path, [_arg(OWNERS[0])], wasm=gallery))
    assert parses == [_arg(OWNERS[0])], "another module (other types): parsed"


@pytest.mark.parametrize("bad", ['(record { owner = principal "not-a-principal" })', "(record { owner = 5 })", "("])
def test_a_bad_text_is_refused_alike_and_never_listed(tmp_path, bad):
    params = _params(tmp_path, [_arg(OWNERS[0]), bad])
    messages = []
    for _ in range(2):
        with pytest.raises(InputError) as refused:
            _check(params)
        messages.append(str(refused.value))
    assert messages[0] == messages[1] and messages[0].startswith("canisters[c1].arg"), messages
    assert not os.path.exists(checked_args_path(params["registry"])), "a pass that failed writes nothing"

    _check(_params(tmp_path, [_arg(OWNERS[0])]))
    with open(checked_args_path(params["registry"]), encoding="utf-8") as handle:
        listed = json.load(handle)["checked"]
    with pytest.raises(InputError) as again:
        _check(params)
    assert str(again.value) == messages[0] and len(listed) == 1


@pytest.mark.parametrize("content", ["", "{", '{"format": 1, "checked": "all"}', '{"format": 2, "checked": []}', "[1]"])
def test_a_damaged_file_reads_as_none(tmp_path, parses, content):
    params = _params(tmp_path, [_arg(OWNERS[0])])
    with open(checked_args_path(params["registry"]), "w", encoding="utf-8") as handle:
        handle.write(content)
    _check(params)
    assert parses == [_arg(OWNERS[0])]
    with open(checked_args_path(params["registry"]), encoding="utf-8") as handle:
        assert json.load(handle)["format"] == 1
