"""Smoke test of bench/templates.py: the whole run with 20 items, checked for shape and sense."""
import json
import os

import pytest

from bench import templates

MANIFEST = os.path.join(templates.WASM_DIR, "manifest.json")


def _deployable():
    with open(MANIFEST, encoding="utf-8") as fh:
        entries = json.load(fh)["templates"]
    return [e["template"] for e in entries
            if not e["test_only"] and e["out"] == e["template"] and e["template"] != "factory"]


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory):
    try:
        templates.exec_canisters.rust_wasm()
    except templates.exec_canisters.BuildUnavailable as exc:
        pytest.skip(str(exc))
    out = str(tmp_path_factory.mktemp("bench") / "templates.md")
    rows, markdown = templates.run(items=20, workers=4, out=out)
    return rows, markdown, out


@pytest.mark.slow
def test_one_row_per_template_and_the_floor(bench_run):
    rows, _, _ = bench_run
    assert [r["canister"] for r in rows] == _deployable() + [templates.FLOOR]


@pytest.mark.slow
def test_figures_are_sane(bench_run):
    rows, _, _ = bench_run
    floor = rows[-1]
    for r in rows:
        assert 0 < r["gzip_bytes"] < r["wasm_bytes"], r
        assert r["create_cycles"] == r["create_creation_fee"] + r["create_ledger_fee"] > 0, r
        assert r["install_cycles"] > 0 and r["write_cycles"] > 0, r
        assert r["write_calls"] >= r["items"] == 20, r
        assert 0 < r["memory_after_install"] <= r["memory_after_items"], r
        if r is not floor:
            assert r["wasm_bytes"] > floor["wasm_bytes"], r


@pytest.mark.slow
def test_table_is_written(bench_run):
    rows, markdown, out = bench_run
    with open(out, encoding="utf-8") as fh:
        assert fh.read() == markdown
    with open(os.path.splitext(out)[0] + ".json", encoding="utf-8") as fh:
        assert json.load(fh) == rows
    table = [line for line in markdown.splitlines() if line.startswith("| ")]
    assert len(table) == 1 + len(rows)
    assert "memory after 20 items" in table[0]
    widths = {line.count("|") for line in table + [markdown.splitlines()[1]]}
    assert len(widths) == 1
