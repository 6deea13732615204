"""The checked-in template builds: sums, manifest, Candid files and module metadata.

Fast checks only; the full rebuild (`wasm/build --check`, minutes) runs here when
WASM_BUILD_CHECK=1 and is part of `make test`.
"""
import json
import os
import subprocess

import pytest

from template_artifacts import ROOT, TEMPLATES, WASM, did, entry, installed_module, manifest, path, read, sha256, sources_fingerprint, sums

OUTS = [t["out"] for t in manifest()["templates"]]
# Builds of templates a factory installs (init record with an owner); the factory itself differs.
TEMPLATE_OUTS = [out for out in OUTS if entry(out)["template"] != "factory"]


def test_every_output_matches_sha256sums():
    listed = sums()
    expected = {f"{out}.{ext}" for out in OUTS for ext in ("wasm.gz", "did")} | {"manifest.json"}
    assert set(listed) == expected
    for rel, digest in listed.items():
        assert sha256(read(rel)) == digest, f"wasm/{rel} changed without wasm/build"


def test_sources_were_rebuilt_after_the_last_change():
    assert sources_fingerprint() == manifest()["sources_sha256"], \
        "wasm/src, wasm/build or wasm/targets.json changed since the last build: run wasm/build"


def test_toolchain_is_the_pinned_one():
    with open(os.path.join(ROOT, "package.json"), encoding="utf-8") as handle:
        pinned = json.load(handle)["dependencies"]
    toolchain = manifest()["toolchain"]
    assert toolchain["motoko"] == pinned["motoko"]
    assert toolchain["ic-wasm"] == pinned["@icp-sdk/ic-wasm-linux-x64"]


def test_targets_cover_the_templates_an_old_version_the_factory_and_test_only_builds():
    assert {"user", "ai_assistant", "gallery", "memory", "user-0.1.0", "factory",
            "test/user-broken", "test/user-picky"} == set(OUTS)
    assert entry("user-0.1.0")["version"] == "0.1.0" and entry("user")["version"] == "0.2.0"
    assert [t["out"] for t in manifest()["templates"] if t["test_only"]] == ["test/user-broken", "test/user-picky"]


@pytest.mark.parametrize("out", [out for out in TEMPLATE_OUTS if not entry(out)["test_only"]])
def test_a_shipped_label_keeps_its_bytes(out):
    """A factory refuses other bytes under a version it registered: changed bytes need a new label."""
    with open(path("released.json"), encoding="utf-8") as handle:
        labels = json.load(handle)["labels"]
    e = entry(out)
    shipped = labels.get(e["template"], {}).get(e["version"])
    assert shipped is not None, f"{e['template']} {e['version']} is not in wasm/released.json: add it when shipping"
    assert shipped == e["module_hash"], \
        f"{e['template']} {e['version']} was shipped as {shipped}: give the new build a new version"


@pytest.mark.parametrize("out", OUTS)
def test_manifest_hashes_and_sizes(out):
    gz = read(f"{out}.wasm.gz")
    module = installed_module(out)
    e = entry(out)
    assert e["module_hash"] == sha256(gz) and e["gz_bytes"] == len(gz)
    assert e["wasm_sha256"] == sha256(module) and e["wasm_bytes"] == len(module)


@pytest.mark.parametrize("out", OUTS)
def test_gzip_is_reproducible(out):
    gz = read(f"{out}.wasm.gz")
    flags, mtime = gz[3], int.from_bytes(gz[4:8], "little")
    assert gz[:3] == b"\x1f\x8b\x08" and flags == 0 and mtime == 0, "gzip header must carry no name and mtime 0"


@pytest.mark.parametrize("out", OUTS)
def test_module_metadata(out):
    from _ic.wasm import load
    module = load(read(f"{out}.wasm.gz"))
    service = module.metadata("candid:service")
    assert service is not None, "candid:service missing"
    names = sorted(module.custom_sections)
    assert "icp:public candid:service" in names and "icp:public candid:args" in names
    assert "icp:private candid:service" not in names and "icp:private candid:args" not in names
    # Enhanced orthogonal persistence: upgrades must pass wasm_memory_persistence = keep.
    assert "icp:private enhanced-orthogonal-persistence" in names
    args = module.custom_sections["icp:public candid:args"].decode()
    assert ("admins: vec principal" if out == "factory" else "owner: principal") in args


@pytest.mark.parametrize("out", TEMPLATE_OUTS)
def test_did_parses_and_every_template_has_the_common_interface(out):
    parsed = did(out)
    (init,) = parsed.init_args
    fields = {f.label: f.type for f in init.resolve().fields}
    assert "owner" in fields and all(name == "owner" or name.startswith("max_") for name in fields)
    for method in ("version", "whoami", "get_info", "admin_stats", "admin_set_limit", "grant", "revoke"):
        assert method in parsed.service, f"{out} lacks {method}"
    for method in ("version", "whoami", "get_info", "admin_stats"):
        assert parsed.service[method].is_query


@pytest.fixture(scope="module")
def didc_results():
    """DFINITY's Candid implementation (npm @dfinity/didc) reads each .did and encodes the
    minimal init argument against it; one node process for all templates."""
    if not os.path.exists(os.path.join(ROOT, "node_modules", "@dfinity", "didc")):
        pytest.skip("npm @dfinity/didc is not installed")
    inputs = {t: '(record { owner = principal "aaaaa-aa" })' for t in TEMPLATES}
    inputs["factory"] = '(record { admins = vec { principal "aaaaa-aa" }; backup_controllers = vec {} })'
    jobs = [{"op": "encode", "idl": read(f"{t}.did").decode(), "input": arg} for t, arg in inputs.items()]
    out = subprocess.run(["node", os.path.join(ROOT, "tests", "tools", "didc.js")], input=json.dumps(jobs) + "\n",
                         capture_output=True, text=True, timeout=60, check=True)
    return dict(zip(inputs, json.loads(out.stdout.splitlines()[0])))


@pytest.mark.parametrize("template", TEMPLATES + ("factory",))
def test_did_accepted_by_didc(didc_results, template):
    assert "ok" in didc_results[template], didc_results[template]


@pytest.mark.slow
def test_full_rebuild_matches():
    if os.environ.get("WASM_BUILD_CHECK") != "1":
        pytest.skip("set WASM_BUILD_CHECK=1 to rebuild every template (minutes); `make test` runs wasm/build --check")
    subprocess.run([path("build"), "--check"], cwd=WASM, check=True, timeout=1200)
