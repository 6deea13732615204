"""Tiny hand-assembled canister modules for the module integration tests.

Each module exports ``canister_query version`` replying with the Candid text ``(<version>)``
and carries ``candid:service`` metadata, so ic_call and ic_code can type their arguments.
Variants: a post_upgrade that traps (rollback tests), no ``version`` method (verify failures),
and padding past 2 MiB (chunked install).
"""
import hashlib
import os
import random

from _ic.leb128 import write_leb  # the collection's client (plugins/module_utils on sys.path)

SERVICE = "service : { version : () -> (text) query }"


def _uleb(n):
    out = bytearray()
    write_leb(out, n)
    return bytes(out)


def _vec(items):
    return _uleb(len(items)) + b"".join(items)


def _name(text):
    data = text.encode("utf-8")
    return _uleb(len(data)) + data


def _section(section_id, body):
    return bytes([section_id]) + _uleb(len(body)) + body


def _custom(name, payload):
    return _section(0, _name(name) + payload)


def _i32_const(n):
    # Signed LEB128; the values used here are small and non-negative.
    assert 0 <= n < 64
    return b"\x41" + bytes([n])


def build(version="v1", trap_on_upgrade=False, with_version_method=True, padding=0,
          eop=False, args=None):
    """Return the bytes of a module replying ``version`` to the ``version`` query."""
    reply = b"DIDL\x00\x01\x71" + _uleb(len(version)) + version.encode()
    types = _vec([b"\x60\x00\x00", b"\x60\x02\x7f\x7f\x00"])  # () -> (), (i32, i32) -> ()
    imports = _vec([
        _name("ic0") + _name("msg_reply_data_append") + b"\x00\x01",
        _name("ic0") + _name("msg_reply") + b"\x00\x00",
        _name("ic0") + _name("trap") + b"\x00\x01",
    ])
    bodies, exports, funcs = [], [], []
    if with_version_method:
        code = _i32_const(0) + _i32_const(len(reply)) + b"\x10\x00" + b"\x10\x01" + b"\x0b"
        bodies.append(code)
        exports.append(_name("canister_query version") + b"\x00" + _uleb(3 + len(funcs)))
        funcs.append(b"\x00")
    if trap_on_upgrade:
        code = _i32_const(0) + _i32_const(len(reply)) + b"\x10\x02" + b"\x0b"
        bodies.append(code)
        exports.append(_name("canister_post_upgrade") + b"\x00" + _uleb(3 + len(funcs)))
        funcs.append(b"\x00")
    code_section = _vec([_uleb(len(b"\x00" + body)) + b"\x00" + body for body in bodies])
    data = _vec([b"\x00" + _i32_const(0) + b"\x0b" + _uleb(len(reply)) + reply])
    module = b"\x00asm\x01\x00\x00\x00"
    module += _section(1, types) + _section(2, imports) + _section(3, _vec(funcs))
    module += _section(5, _vec([b"\x00\x01"])) + _section(7, _vec(exports))
    module += _section(10, code_section) + _section(11, data)
    module += _custom("icp:public candid:service", SERVICE.encode())
    if args:
        module += _custom("icp:public candid:args", args.encode())
    if eop:
        module += _custom("icp:private enhanced-orthogonal-persistence", b"")
    if padding:
        rng = random.Random(padding)
        module += _custom("padding", rng.randbytes(padding))
    return module


def write_all(directory):
    """Write every fixture module into ``directory``; return ``{name: (path, sha256_hex)}``."""
    os.makedirs(directory, exist_ok=True)
    modules = {
        "v1": build("v1"),
        "v2": build("v2"),
        "v3": build("v3"),
        "trap_upgrade": build("v9", trap_on_upgrade=True),
        "no_version": build("v0", with_version_method=False),
        "big": build("big", padding=2 * 1024 * 1024 + 300_000),
        "eop_v1": build("e1", eop=True),
        "args": build("a1", args="(record { owner : principal; limit : nat })"),
        "eop_v2": build("e2", eop=True),
    }
    out = {}
    for name, data in modules.items():
        path = os.path.join(directory, f"{name}.wasm")
        with open(path, "wb") as handle:
            handle.write(data)
        out[name] = (path, hashlib.sha256(data).hexdigest())
    return out
