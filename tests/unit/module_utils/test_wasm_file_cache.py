"""input_fields.wasm: a module file is loaded once per version, and a new version of the file
(content, mode, place) is checked and loaded again; a file that is gone is refused, cached or not."""
import gzip
import os
import shutil

import pytest

from ansible_collections.icp.canister_factory.plugins.module_utils import _input_fields as input_fields
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import InputError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
EMPTY_MODULE = b"\x00asm\x01\x00\x00\x00"


@pytest.fixture
def module_file(tmp_path):
    path = tmp_path / "m.wasm.gz"
    shutil.copyfile(os.path.join(ROOT, "wasm", "user.wasm.gz"), path)
    return str(path)


def test_a_file_version_is_loaded_once(module_file, monkeypatch):
    loads = []
    real = input_fields.wasm_lib.load
    monkeypatch.setattr(input_fields.wasm_lib, "load", lambda path: loads.append(path) or real(path))
    first = input_fields.wasm(module_file)
    assert input_fields.wasm(module_file) is first
    assert len(loads) == 1


def test_new_content_or_mode_is_checked_and_loaded_again(module_file, monkeypatch):
    loads = []
    real = input_fields.wasm_lib.load
    monkeypatch.setattr(input_fields.wasm_lib, "load", lambda path: loads.append(path) or real(path))
    first = input_fields.wasm(module_file)
    with open(module_file, "wb") as handle:
        handle.write(gzip.compress(EMPTY_MODULE))
    second = input_fields.wasm(module_file)
    assert second.sha256_hex != first.sha256_hex and len(loads) == 2
    checked = []
    monkeypatch.setattr(input_fields, "readable_file", lambda path, field: checked.append(path) or path)
    os.chmod(module_file, 0o600)
    input_fields.wasm(module_file)
    assert checked == [module_file], "a chmod is a new version: the file is checked again"


def test_a_cached_file_that_is_gone_or_a_directory_is_refused(module_file):
    input_fields.wasm(module_file)
    os.remove(module_file)
    with pytest.raises(InputError) as info:
        input_fields.wasm(module_file)
    assert info.value.field == "wasm" and "no file" in info.value.message
    os.mkdir(module_file)
    with pytest.raises(InputError, match="is a directory"):
        input_fields.wasm(module_file)
