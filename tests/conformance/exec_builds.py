"""Build the Motoko fixture canisters the end-to-end execution tests install.

Modules are cached under build/test-canisters/motoko by a hash of source, persistence mode and
moc version (loading moc costs a minute on a loaded machine, so all missing ones are compiled
in one node run). Counter.mo comes from the execution tests' own builder and cache.
"""
import hashlib
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MOTOKO = os.path.join(ROOT, "tests", "fixtures", "canisters", "motoko")
BUILD = os.path.join(ROOT, "build", "test-canisters", "motoko")
_EXECUTION_TESTS = os.path.join(ROOT, "tests", "execution")


if _EXECUTION_TESTS not in sys.path:
    sys.path.insert(0, _EXECUTION_TESTS)
# The execution tests' builder: one moc version, one compiler run and one BuildUnavailable for both.
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
            jobs.append({"out": out, "source": source, "persistence": persistence})
    if jobs:
        exec_canisters.compile_motoko(jobs)
    result = {}
    for name, path in paths.items():
        with open(path, "rb") as fh:
            result[name] = fh.read()
    return result


def counter(version=1, persistence="eop"):
    """Counter.mo's wasm bytes, from the execution tests' cached builds."""
    path = exec_canisters.motoko_wasm([(persistence, version)])[(persistence, version)]
    return exec_canisters.read(path)
