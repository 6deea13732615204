"""Wasm loading: gzip detection, module hash, custom sections, validity, chunks."""
import gzip
import hashlib
import os

import pytest

from _ic import wasm
from _ic.errors import InputError

DIDC_WASM = os.path.join(os.path.dirname(__file__), "..", "..", "..", "node_modules",
                         "@dfinity", "didc", "dist", "nodejs", "didc_bg.wasm")


def _uleb(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _custom(name, payload):
    body = _uleb(len(name.encode())) + name.encode() + payload
    return b"\x00" + _uleb(len(body)) + body


def _module(*sections):
    # A type section with one () -> () type keeps the module non-trivial.
    type_section = b"\x01\x04\x01\x60\x00\x00"
    return b"\x00asm\x01\x00\x00\x00" + type_section + b"".join(sections)


def test_raw_module_hash_and_sections(tmp_path):
    did = b"service : { greet : (text) -> (text) query }"
    data = _module(_custom("icp:public candid:service", did),
                   _custom("icp:private git:commit", b"abc"), _custom("name", b"\x00"))
    path = tmp_path / "m.wasm"
    path.write_bytes(data)
    module = wasm.load(str(path))
    assert not module.gzipped and module.bytes_installed == data and module.wasm == data
    assert module.sha256_hex == hashlib.sha256(data).hexdigest()
    assert module.candid_service == did.decode()
    assert module.metadata("git:commit") == ("private", b"abc")
    assert module.metadata("missing") is None
    assert module.custom_sections["name"] == b"\x00"
    assert wasm.load(data).sha256 == module.sha256


def test_gzip_is_hashed_as_sent(tmp_path):
    raw = _module(_custom("icp:public candid:service", b"service : {}"))
    gz = wasm.gzip_module(raw)
    assert gz[:3] == b"\x1f\x8b\x08" and wasm.gzip_module(raw) == gz
    path = tmp_path / "m.wasm.gz"
    path.write_bytes(gz)
    module = wasm.load(path)
    assert module.gzipped and module.bytes_installed == gz and module.wasm == raw
    assert module.sha256_hex == hashlib.sha256(gz).hexdigest() != hashlib.sha256(raw).hexdigest()
    assert module.candid_service == "service : {}"


def test_real_module_from_didc():
    if not os.path.exists(DIDC_WASM):
        pytest.skip("node_modules/@dfinity/didc is not installed")
    module = wasm.load(DIDC_WASM)
    assert len(module.wasm) > 100_000 and not module.gzipped


@pytest.mark.parametrize("data,match", [
    (b"", "missing \\\\0asm magic"),
    (b"\x7fELF\x01\x00\x00\x00", "missing \\\\0asm magic"),
    (b"\x00asm\x02\x00\x00\x00", "unsupported Wasm version 02000000"),
    (b"\x00asm\x01\x00\x00\x00\x01\x10\x00", "runs past the end"),
    (b"\x00asm\x01\x00\x00\x00\x01", "section size runs past the end"),
    (b"\x00asm\x01\x00\x00\x00\x01\xff\xff\xff\xff\xff\x01", "not a valid u32"),
    (b"\x00asm\x01\x00\x00\x00\x20\x00", "unknown section id 32"),
    (b"\x00asm\x01\x00\x00\x00\x00\x02\x05a", "name too long"),
    (b"\x00asm\x01\x00\x00\x00\x00\x02\x01\xff", "not UTF-8"),
    (gzip.compress(b"", mtime=0)[:10] + b"\xff" * 20, "corrupt gzip"),
    (gzip.compress(b"\x00asm\x01\x00\x00\x00", mtime=0)[:-12], "truncated gzip"),
])
def test_invalid_modules(data, match):
    with pytest.raises(InputError, match="^wasm: .*" + match):
        wasm.load(data)


@pytest.mark.parametrize("sections,match", [
    ([("icp:secret x", b"")], "must be named 'icp:public <name>'"),
    ([("icp:public", b"")], "must be named"),
    ([("icp:public a", b""), ("icp:private a", b"")], "both public and private"),
    ([("icp:public a", b""), ("icp:public a", b"")], "appears twice"),
    ([(f"icp:public s{i}", b"") for i in range(17)], "at most 16"),
    ([("icp:public big", b"\x00" * (1024 * 1024))], "at most 1 MiB"),
])
def test_icp_section_rules(sections, match):
    with pytest.raises(InputError, match=match):
        wasm.load(_module(*(_custom(n, v) for n, v in sections)))


def test_load_errors_name_the_problem(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        wasm.load(str(tmp_path / "absent.wasm"))
    with pytest.raises(InputError, match="expected a file path or the module bytes"):
        wasm.load(12)


def test_chunks():
    data = os.urandom(wasm.CHUNK_SIZE * 2 + 10)
    parts = wasm.chunks(data)
    assert [len(c) for c, _ in parts] == [wasm.CHUNK_SIZE, wasm.CHUNK_SIZE, 10]
    assert all(h == hashlib.sha256(c).digest() for c, h in parts)
    assert b"".join(c for c, _ in parts) == data
    assert wasm.chunks(b"") == []
    assert len(wasm.load(_module()).chunks(4)) == 4
    with pytest.raises(InputError, match="chunk_size"):
        wasm.chunks(data, wasm.CHUNK_SIZE + 1)
