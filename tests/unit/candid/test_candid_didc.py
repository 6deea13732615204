"""Byte-for-byte cross-check of the encoder against DFINITY's @dfinity/didc, on
hypothesis-generated interfaces and values (seeded; one node process, batched calls)."""
import json
import os
import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from candid_strategies import interfaces
from candid_suite import values_equal
from ic.candid import decode, encode, format_args, parse_args_text, parse_did

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
DRIVER = os.path.join(ROOT, "tests", "tools", "didc.js")
BATCH = 25
EXAMPLES = 84  # 84 batches x 25 = 2,100 cases

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None
    or not os.path.isdir(os.path.join(ROOT, "node_modules", "@dfinity", "didc")),
    reason="node and node_modules/@dfinity/didc are needed for the cross-check")


class Didc:
    """A long-running node process answering batches of didc jobs."""

    def __init__(self):
        self.proc = subprocess.Popen(["node", DRIVER], cwd=ROOT, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, encoding="utf-8")
        self.cases = 0

    def run(self, jobs):
        self.proc.stdin.write(json.dumps(jobs) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("didc driver exited")
        self.cases += len(jobs)
        return json.loads(line)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def didc():
    driver = Didc()
    yield driver
    driver.close()


def _check_batch(didc, batch):
    texts = [format_args(types, values) for _, types, values in batch]
    encoded = [encode(types, values) for _, types, values in batch]
    jobs = [{"op": "encode", "idl": idl, "input": text,
             "withType": {"kind": "methodParams", "name": "m"}}
            for (idl, _, _), text in zip(batch, texts)]
    jobs += [{"op": "decode", "idl": idl, "input": data.hex(), "serviceMethod": "m",
              "useServiceMethodReturnType": False}
             for (idl, _, _), data in zip(batch, encoded)]
    answers = didc.run(jobs)
    n = len(batch)
    for i, (idl, types, values) in enumerate(batch):
        ours = encoded[i].hex()
        ref = answers[i]
        assert "ok" in ref, f"didc refused {texts[i]!r} for\n{idl}\n{ref}"
        assert ours == ref["ok"], f"encoding differs for {texts[i]}\n{idl}"
        types_in_file = parse_did(idl).arg_types("m")
        assert values_equal(decode(encoded[i], types_in_file), values)
        assert values_equal(parse_args_text(texts[i], types_in_file)[1], values)
        printed = answers[n + i]
        assert "ok" in printed, f"didc could not decode our bytes: {printed}"
        assert values_equal(parse_args_text(printed["ok"], types_in_file)[1], values), (
            f"didc printed {printed['ok']!r}")


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.filter_too_much])
@given(batch=st.lists(interfaces(), min_size=BATCH, max_size=BATCH))
def test_encoding_equals_didc(didc, batch):
    _check_batch(didc, batch)


def test_enough_cases_ran(didc):
    # runs after the hypothesis test in file order: at least 2,000 interfaces were compared
    assert didc.cases >= 2 * 2000
