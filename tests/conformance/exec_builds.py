"""Build the Motoko fixture canisters the end-to-end execution tests install.

Modules are cached under build/test-canisters/motoko by a hash of source, persistence mode and
moc version (loading moc costs a minute on a loaded machine, so all missing ones are compiled
in one node run). Counter.mo comes from the execution tests' own builder and cache.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MOTOKO = os.path.join(ROOT, "tests", "fixtures", "canisters", "motoko")
BUILD = os.path.join(ROOT, "build", "test-canisters", "motoko")
_EXECUTION_TESTS = os.path.join(ROOT, "tests", "execution")


if _EXECUTION_TESTS not in sys.path:
    sys.path.insert(0, _EXECUTION_TESTS)
# The execution tests' builder: one moc version lookup and one BuildUnavailable for both.
import exec_canisters  # noqa: E402  pylint: disable=wrong-import-position

BuildUnavailable = exec_canisters.BuildUnavailable


def _out_path(name, source, persistence, moc):
    digest = hashlib.sha256(f"{source}\0{persistence}\0{moc}".encode()).hexdigest()[:16]
    return os.path.join(BUILD, f"{name.lower()}-{persistence}-{digest}.wasm")


def build(names, persistence="enhancedOP"):
    """{name: wasm bytes} for fixture sources ``<name>.mo``; missing builds compiled at once."""
    moc = exec_canisters.moc_version()
    paths, jobs = {}, []
    for name in names:
        with open(os.path.join(MOTOKO, name + ".mo"), encoding="utf-8") as fh:
            source = fh.read()
        out = _out_path(name, source, persistence, moc)
        paths[name] = out
        if not os.path.exists(out):
            jobs.append({"out": f"{out}.{os.getpid()}.tmp", "source": source,
                         "persistence": persistence})
    if jobs:
        _compile(jobs)
    result = {}
    for name, path in paths.items():
        with open(path, "rb") as fh:
            result[name] = fh.read()
    return result


def _compile(jobs):
    if shutil.which("node") is None:
        raise BuildUnavailable("node is not installed")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(jobs, fh)
    try:
        env = dict(os.environ, NODE_PATH=os.path.join(ROOT, "node_modules"))
        proc = subprocess.run(["node", os.path.join(MOTOKO, "build.js"), fh.name],
                              capture_output=True, text=True, env=env, timeout=900,
                              check=False)
    finally:
        os.unlink(fh.name)
    if proc.returncode:
        raise RuntimeError(f"moc failed: {proc.stderr[-3000:]}")
    for job in jobs:
        os.replace(job["out"], job["out"].rsplit(".", 2)[0])


def counter(version=1, persistence="eop"):
    """Counter.mo's wasm bytes, from the execution tests' cached builds."""
    path = exec_canisters.motoko_wasm([(persistence, version)])[(persistence, version)]
    return exec_canisters.read(path)
