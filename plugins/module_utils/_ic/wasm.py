"""Wasm modules to install: loading (.wasm or gzipped), module hash, custom sections, chunks."""
import gzip
import hashlib
import os
import zlib

from .errors import InputError

WASM_MAGIC = b"\x00asm"
WASM_VERSION = b"\x01\x00\x00\x00"
GZIP_MAGIC = b"\x1f\x8b\x08"
CHUNK_SIZE = 1024 * 1024
MAX_MODULE_BYTES = 100 * 1024 * 1024
MAX_ICP_SECTIONS = 16
MAX_ICP_SECTIONS_BYTES = 1024 * 1024
_CUSTOM = 0
_FIELD = "wasm"


class WasmModule:
    """A module as it will be installed.

    ``bytes_installed`` is what goes to the IC (gzip bytes when gzipped), ``sha256_hex`` the
    module hash the IC will report, ``wasm`` the decompressed module, ``custom_sections`` a
    dict name → bytes (the last one wins for repeated names outside ``icp:``).
    """

    def __init__(self, bytes_installed, wasm, gzipped, custom_sections):
        self.bytes_installed = bytes_installed
        self.wasm = wasm
        self.gzipped = gzipped
        self.custom_sections = custom_sections
        self.sha256 = hashlib.sha256(bytes_installed).digest()
        self.sha256_hex = self.sha256.hex()

    def metadata(self, name):
        """(visibility, bytes) of the ``icp:public``/``icp:private`` section ``name``, or None."""
        for visibility in ("public", "private"):
            value = self.custom_sections.get(f"icp:{visibility} {name}")
            if value is not None:
                return visibility, value
        return None

    @property
    def candid_service(self):
        """The embedded Candid interface text (``candid:service`` metadata), or None."""
        found = self.metadata("candid:service")
        return found[1].decode("utf-8", "replace") if found else None

    def chunks(self, size=CHUNK_SIZE):
        """The installed bytes cut into chunks: a list of (chunk bytes, SHA-256 digest)."""
        return chunks(self.bytes_installed, size)

    def __repr__(self):
        return (f"WasmModule({len(self.bytes_installed)} bytes, sha256={self.sha256_hex}, "
                f"gzipped={self.gzipped})")


def chunks(data, size=CHUNK_SIZE):
    """``data`` cut into chunks of at most ``size`` bytes, each with its SHA-256 digest."""
    if not isinstance(size, int) or not 0 < size <= CHUNK_SIZE:
        raise InputError("chunk_size", f"must be between 1 and {CHUNK_SIZE} bytes")
    data = bytes(data)
    return [(data[i:i + size], hashlib.sha256(data[i:i + size]).digest())
            for i in range(0, len(data), size)]


def _uleb(data, pos, what):
    value, shift = 0, 0
    while True:
        if pos >= len(data):
            raise InputError(_FIELD, f"truncated module: {what} runs past the end")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 28:
            raise InputError(_FIELD, f"malformed module: {what} is not a valid u32")


def custom_sections_of(wasm):
    """All custom sections of a raw Wasm module as a dict name → bytes (checks structure)."""
    if len(wasm) < 8 or wasm[:4] != WASM_MAGIC:
        raise InputError(_FIELD, "not a Wasm module (missing \\0asm magic); give a .wasm "
                         "or .wasm.gz file")
    if wasm[4:8] != WASM_VERSION:
        raise InputError(_FIELD, f"unsupported Wasm version {wasm[4:8].hex()}; expected 1")
    sections, pos = {}, 8
    while pos < len(wasm):
        section_id = wasm[pos]
        size, body = _uleb(wasm, pos + 1, "section size")
        end = body + size
        if end > len(wasm):
            raise InputError(_FIELD, f"truncated module: section {section_id} at byte {pos} "
                             "runs past the end")
        if section_id > 13:
            raise InputError(_FIELD, f"malformed module: unknown section id {section_id}")
        if section_id == _CUSTOM:
            name_len, name_start = _uleb(wasm, body, "custom section name length")
            if name_start + name_len > end:
                raise InputError(_FIELD, "malformed module: custom section name too long")
            try:
                name = wasm[name_start:name_start + name_len].decode("utf-8")
            except UnicodeDecodeError:
                raise InputError(_FIELD, "custom section name is not UTF-8") from None
            if name.startswith("icp:") and name in sections:
                raise InputError(_FIELD, f"custom section {name!r} appears twice")
            sections[name] = wasm[name_start + name_len:end]
        pos = end
    _check_icp_sections(sections)
    return sections


def _check_icp_sections(sections):
    icp = {n: v for n, v in sections.items() if n.startswith("icp:")}
    seen = {}
    for name in icp:
        visibility, _space, meta = name[4:].partition(" ")
        if visibility not in ("public", "private") or not meta:
            raise InputError(_FIELD, f"custom section {name!r} must be named 'icp:public "
                             "<name>' or 'icp:private <name>'")
        if meta in seen:
            raise InputError(_FIELD, f"metadata {meta!r} is both public and private")
        seen[meta] = visibility
    if len(icp) > MAX_ICP_SECTIONS:
        raise InputError(_FIELD, f"{len(icp)} icp: custom sections; at most {MAX_ICP_SECTIONS}")
    total = sum(len(n) + len(v) for n, v in icp.items())
    if total > MAX_ICP_SECTIONS_BYTES:
        raise InputError(_FIELD, f"icp: custom sections total {total} bytes; at most 1 MiB")


def _gunzip(data):
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = decompressor.decompress(data, MAX_MODULE_BYTES + 1)
    except zlib.error as exc:
        problem = str(exc).rsplit(":", 1)[-1].strip()
        raise InputError(_FIELD, f"corrupt gzip data ({problem}); build or download the module again") from None
    if len(out) > MAX_MODULE_BYTES:
        raise InputError(_FIELD, "decompressed module is larger than 100 MiB")
    if not decompressor.eof:
        raise InputError(_FIELD, "truncated gzip data (the file ends early); build or download the module again")
    return out


def load(path_or_bytes):
    """Load a module from a path or bytes; gzip is detected by its magic bytes."""
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        data = bytes(path_or_bytes)
    elif isinstance(path_or_bytes, (str, os.PathLike)):
        try:
            if os.path.getsize(path_or_bytes) > MAX_MODULE_BYTES:
                raise InputError(_FIELD, f"{path_or_bytes} is larger than 100 MiB")
            with open(path_or_bytes, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise InputError(_FIELD, f"cannot read {path_or_bytes}: {exc.strerror}") from None
    else:
        raise InputError(_FIELD, "expected a file path or the module bytes")
    if len(data) > MAX_MODULE_BYTES:
        raise InputError(_FIELD, "module is larger than 100 MiB")
    gzipped = data[:3] == GZIP_MAGIC
    wasm = _gunzip(data) if gzipped else data
    return WasmModule(data, wasm, gzipped, custom_sections_of(wasm))


def gzip_module(wasm, mtime=0):
    """Gzip raw Wasm bytes reproducibly (fixed mtime), for installing compressed."""
    return gzip.compress(bytes(wasm), compresslevel=9, mtime=mtime)
