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


class BuildUnavailable(RuntimeError):
    """node or the npm motoko package is missing."""


def _moc_version():
    path = os.path.join(ROOT, "node_modules", "motoko", "package.json")
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)["version"]
    except OSError as exc:
        raise BuildUnavailable(f"npm package motoko is not installed ({path})") from exc


def _out_path(name, source, persistence, moc):
    digest = hashlib.sha256(f"{source}\0{persistence}\0{moc}".encode()).hexdigest()[:16]
    return os.path.join(BUILD, f"{name.lower()}-{persistence}-{digest}.wasm")


def build(names, persistence="enhancedOP"):
    """{name: wasm bytes} for fixture sources ``<name>.mo``; missing builds compiled at once."""
    moc = _moc_version()
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
    if _EXECUTION_TESTS not in sys.path:
        sys.path.insert(0, _EXECUTION_TESTS)
    import exec_canisters  # pylint: disable=import-outside-toplevel
    try:
        path = exec_canisters.motoko_wasm([(persistence, version)])[(persistence, version)]
    except exec_canisters.BuildUnavailable as exc:
        raise BuildUnavailable(str(exc)) from exc
    return exec_canisters.read(path)
