"""The collection's shipped template modules (wasm/) run on the engine: install, use, upgrade."""
import os

import pytest

from exec_canisters import ROOT, read
from exec_helpers import OWNER
from _ic import candid
from _ic.principal import Principal
from localnet.execution import CanisterState, Message

WASM = os.path.join(ROOT, "wasm")


def module(name):
    path = os.path.join(WASM, name)
    if not os.path.exists(path):
        pytest.skip(f"{path} is not built")
    return read(path)


def call(engine, state, kind, method, text, caller=OWNER):
    result = engine.run(state, Message(kind, method, candid.encode_text(text), caller,
                                       time_ns=10))
    return result.response


def test_user_template_upgrade_keeps_data_and_broken_upgrade_rolls_back(engine):
    old, new, broken = (module("user-0.1.0.wasm.gz"), module("user.wasm.gz"),
                        module(os.path.join("test", "user-broken.wasm.gz")))
    init = candid.encode_text(f'(record {{ owner = principal "{Principal(OWNER)}" }})')
    state = CanisterState(Principal.from_canister_index(77).raw, [OWNER], cycles=10**13)
    assert engine.install(state, old, init, OWNER).committed
    assert call(engine, state, "update", "set_preference", '("theme", "dark")')[0] == "reply"
    assert candid.decode_to_text(call(engine, state, "query", "version", "()")[1]) == '("0.1.0")'
    anonymous = Principal.anonymous().raw
    assert call(engine, state, "update", "set_preference", '("a", "b")', anonymous)[:2] == \
        ("reject", 4)

    assert engine.upgrade(state, new, init, OWNER, wasm_memory_persistence="keep").committed
    version = candid.decode_to_text(call(engine, state, "query", "version", "()")[1])
    assert version != '("0.1.0")'
    assert candid.decode_to_text(call(engine, state, "query", "get_preference",
                                      '("theme")')[1]) == '(opt "dark")'

    result = engine.upgrade(state, broken, init, OWNER, wasm_memory_persistence="keep")
    assert not result.committed and result.error.error_code == "IC0503"
    assert candid.decode_to_text(call(engine, state, "query", "version", "()")[1]) == version
    assert candid.decode_to_text(call(engine, state, "query", "get_preference",
                                      '("theme")')[1]) == '(opt "dark")'


@pytest.mark.parametrize("name", ["ai_assistant.wasm.gz", "gallery.wasm.gz", "memory.wasm.gz"])
def test_other_templates_install(engine, name):
    init = candid.encode_text(f'(record {{ owner = principal "{Principal(OWNER)}" }})')
    state = CanisterState(Principal.from_canister_index(78).raw, [OWNER], cycles=10**13)
    result = engine.install(state, module(name), init, OWNER)
    assert result.committed, result.error
    assert engine.validate(module(name)).enhanced_orthogonal_persistence
