"""install_code-time validation of modules, with the replica's error texts."""
import gzip
import hashlib

import pytest
import wasmtime

from localnet.execution import ExecutionError

PREFIX = "Canister's Wasm module is not valid: "


def wat(text):
    return wasmtime.wat2wasm(text)


def error_of(engine, wasm):
    with pytest.raises(ExecutionError) as info:
        engine.validate(wasm)
    assert info.value.error_code == "IC0505" and info.value.reject_code == 5
    assert info.value.message.startswith(PREFIX)
    return info.value.message[len(PREFIX):]


def test_unknown_import(engine):
    text = error_of(engine, wat('(module (import "ic0" "make_coffee" (func)))'))
    assert text == ("Wasm module has an invalid import section. Module imports function "
                    "'make_coffee' from 'ic0' that is not exported by the runtime.")


def test_import_from_other_module(engine):
    text = error_of(engine, wat('(module (import "env" "debug_print" (func (param i32 i32))))'))
    assert text == ('Wasm module has an invalid import section. Module imports function '
                    '"debug_print" from "env", expected to be imported from one of ["ic0"] '
                    'instead.')


def test_signature_follows_memory_width(engine):
    narrow = '(import "ic0" "debug_print" (func (param i32 i32)))'
    wide = '(import "ic0" "debug_print" (func (param i64 i64)))'
    assert not engine.validate(wat(f"(module {narrow} (memory 1))")).memory64
    assert engine.validate(wat(f"(module {wide} (memory i64 1))")).memory64
    text = error_of(engine, wat(f"(module {narrow} (memory i64 1))"))
    assert text == ("Wasm module has an invalid function signature. Expected input params "
                    "[I64, I64] for 'debug_print', got [I32, I32].")
    # stable64_* take i64 everywhere; the 32-bit stable API does not exist in wasm64
    engine.validate(wat('(module (import "ic0" "stable64_size" (func (result i64))) (memory 1))'))
    text = error_of(engine, wat('(module (import "ic0" "stable_size" (func (result i32))) '
                                "(memory i64 1))"))
    assert "'stable_size' from 'ic0' that is not exported by the runtime" in text


def test_result_type_checked(engine):
    text = error_of(engine, wat('(module (import "ic0" "msg_reply" (func (result i32))))'))
    assert text == ("Wasm module has an invalid function signature. Expected return type [] "
                    "for 'msg_reply', got [I32].")


def test_exports(engine):
    text = error_of(engine, wat('(module (func (export "canister_foo")))'))
    assert text == ("Wasm module has an invalid export section. Exporting reserved function "
                    "'canister_foo' with \"canister_\" prefix")
    text = error_of(engine, wat('(module (func (export "canister_update a")) '
                                '(func (export "canister_query a")))'))
    assert text.startswith("Duplicate function 'a' exported multiple times")
    text = error_of(engine, wat('(module (func (export "canister_update a") (param i32)))'))
    assert "Expected input params [] for 'canister_update a', got [I32]." in text


def test_memories_and_globals(engine):
    text = error_of(engine, wat("(module (memory 1) (memory 1))"))
    assert "multiple memories" in text
    error_of(engine, wat('(module (import "env" "g" (global i32)))'))
    globals_ = " ".join("(global i32 (i32.const 0))" for _ in range(1001))
    assert error_of(engine, wat(f"(module {globals_})")) == (
        "Wasm module defined 1001 globals which exceeds the maximum number allowed 1000.")


def test_not_wasm(engine):
    assert error_of(engine, b"hello").startswith("Failed to decode wasm module")


def test_gzip_metadata_and_methods(engine):
    raw = bytearray(wat('(module (memory 1) (func (export "canister_update up")) '
                        '(func (export "canister_query q")) '
                        '(func (export "canister_composite_query cq")) '
                        '(func (export "canister_init")))'))
    for name, content in ((b"icp:public candid:service", b"service : {}"),
                          (b"icp:private secret", b"x")):
        payload = bytes([len(name)]) + name + content
        raw += bytes([0, len(payload)]) + payload
    gz = gzip.compress(bytes(raw))
    info = engine.validate(gz)
    assert info.wasm == bytes(raw)
    assert info.module_hash == hashlib.sha256(gz).digest()
    assert info.update_methods == {"up"} and info.query_methods == {"q"}
    assert info.composite_query_methods == {"cq"} and info.system_exports == {"canister_init"}
    assert info.metadata == {"candid:service": (True, b"service : {}"), "secret": (False, b"x")}
    assert info.method_kind("cq") == "composite_query" and info.method_kind("zz") is None


def test_bad_icp_section(engine):
    raw = bytearray(wat("(module)"))
    name = b"icp:other x"
    payload = bytes([len(name)]) + name
    raw += bytes([0, len(payload)]) + payload
    assert "has no public/private scope defined" in error_of(engine, bytes(raw))
