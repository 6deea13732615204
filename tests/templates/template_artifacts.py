"""The built template artifacts in wasm/: paths, manifest, parsed interfaces."""
import functools
import gzip
import hashlib
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WASM = os.path.join(ROOT, "wasm")
TEMPLATES = ("user", "ai_assistant", "gallery", "memory")


def path(rel):
    return os.path.join(WASM, rel)


def read(rel):
    with open(path(rel), "rb") as handle:
        return handle.read()


@functools.lru_cache(maxsize=None)
def manifest():
    with open(path("manifest.json"), encoding="utf-8") as handle:
        return json.load(handle)


def entry(out):
    return next(t for t in manifest()["templates"] if t["out"] == out)


def sums():
    """``{relative path: sha256 hex}`` from wasm/SHA256SUMS."""
    with open(path("SHA256SUMS"), encoding="utf-8") as handle:
        return {rel: digest for digest, rel in (line.split() for line in handle if line.strip())}


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def installed_module(out):
    """The Wasm bytes inside ``<out>.wasm.gz``."""
    return gzip.decompress(read(f"{out}.wasm.gz"))


@functools.lru_cache(maxsize=None)
def did(out):
    from _ic.candid import parse_did
    with open(path(f"{out}.did"), encoding="utf-8") as handle:
        return parse_did(handle.read())


def sources_fingerprint():
    """Recomputes manifest.json's ``sources_sha256`` by its documented rule."""
    inputs = ["build", "targets.json"]
    for folder, _dirs, files in os.walk(path("src")):
        inputs += [os.path.relpath(os.path.join(folder, f), WASM) for f in files if f.endswith(".mo")]
    lines = "".join(f"{sha256(read(rel))}  {rel}\n" for rel in sorted(inputs))
    return sha256(lines.encode())
