"""Build the test canisters (Motoko via the npm `motoko` package, no_std Rust via Debian rustc),
cached under build/test-canisters by a hash of everything that goes into them."""
import hashlib
import json
import os
import shutil
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "canisters")
BUILD = os.path.join(ROOT, "build", "test-canisters")
MOTOKO_SOURCE = os.path.join(FIXTURES, "motoko", "Counter.mo")
RUST_SOURCE = os.path.join(FIXTURES, "rust", "counter.rs")
VERSION_2 = "public query func version() : async Nat { 2 };"
PERSISTENCE = {"eop": "enhancedOP", "classic": "classicOP"}
RUSTC = "/usr/bin/rustc"
WASM_LD = "wasm-ld-14"


class BuildUnavailable(RuntimeError):
    """A compiler needed for a test canister is not installed."""


def _digest(*parts):
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else str(part).encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


def moc_version():
    """The version of the npm motoko package (part of every build's cache key)."""
    path = os.path.join(ROOT, "node_modules", "motoko", "package.json")
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)["version"]
    except OSError as exc:
        raise BuildUnavailable(f"npm package motoko is not installed ({path})") from exc


def motoko_source(version):
    """Counter.mo for version 1 or 2."""
    with open(MOTOKO_SOURCE, encoding="utf-8") as fh:
        text = fh.read()
    return text.replace("//@VERSION@", VERSION_2) if version == 2 else text


def motoko_wasm(variants):
    """Paths of Motoko builds, one per (persistence, version) in ``variants``; missing ones are
    compiled in one node run (loading moc costs more than compiling)."""
    moc = moc_version()
    paths, jobs = {}, []
    for persistence, version in variants:
        source = motoko_source(version)
        out = os.path.join(BUILD, "motoko",
                           f"counter-{persistence}-v{version}-{_digest(source, persistence, moc)}.wasm")
        paths[(persistence, version)] = out
        if not os.path.exists(out):
            jobs.append({"out": out, "source": source, "persistence": PERSISTENCE[persistence]})
    if jobs:
        compile_motoko(jobs)
    return paths


def compile_motoko(jobs):
    """Compile Motoko ``jobs`` (``{out, source, persistence}``: the module's path, its source
    text, moc's persistence mode) in one node run of tests/fixtures/canisters/motoko/build.js;
    each module is written beside ``out`` first and moved there when moc is done."""
    if shutil.which("node") is None:
        raise BuildUnavailable("node is not installed")
    staged = [dict(job, out=f"{job['out']}.{os.getpid()}.tmp") for job in jobs]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(staged, fh)
    try:
        env = dict(os.environ, NODE_PATH=os.path.join(ROOT, "node_modules"))
        proc = subprocess.run(["node", os.path.join(FIXTURES, "motoko", "build.js"), fh.name],
                              capture_output=True, text=True, env=env, timeout=900, check=False)
    finally:
        os.unlink(fh.name)
    if proc.returncode:
        raise RuntimeError(f"moc failed: {proc.stderr[-3000:]}")
    for job, stage in zip(jobs, staged):
        os.replace(stage["out"], job["out"])


def rust_wasm():
    """Path of the no_std Rust canister, built with Debian's rustc for wasm32."""
    with open(RUST_SOURCE, "rb") as fh:
        source = fh.read()
    out = os.path.join(BUILD, "rust", f"counter-{_digest(source)}.wasm")
    if os.path.exists(out):
        return out
    if not os.path.exists(RUSTC) or shutil.which(WASM_LD) is None:
        raise BuildUnavailable("Debian rustc + libstd-rust-dev-wasm32 + lld-14 are not installed")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    proc = subprocess.run(
        [RUSTC, "--edition", "2021", "--target", "wasm32-unknown-unknown", "--crate-type",
         "cdylib", "-C", "opt-level=s", "-C", "panic=abort", "-C", f"linker={WASM_LD}",
         "-C", "link-arg=--strip-all", "-o", out + ".tmp", RUST_SOURCE],
        capture_output=True, text=True, timeout=300, check=False)
    if proc.returncode:
        raise RuntimeError(f"rustc failed: {proc.stderr[-3000:]}")
    os.replace(out + ".tmp", out)
    return out


def read(path):
    """File bytes."""
    with open(path, "rb") as fh:
        return fh.read()
