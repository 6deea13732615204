"""Cost of the input checks (plugins/module_utils/_validation.py) against the run they guard.

    .venv/bin/python bench/validation.py [--canisters 30] [--rounds 5]

One localnet, one fleet of ``--canisters`` user canisters created with ``ic_fleet`` (run in
this process). Then the converged fleet is run again ``--rounds`` times with the validation
pass and ``--rounds`` times with it replaced by a no-op, interleaved, each with the module
caches emptied as in a fresh module process; the best wall time of each is kept. Figures: the ratio of the converged run with checks to the run without them,
and the share of the run that the pass itself takes (it checks every spec: principals,
amounts, settings, the Wasm module and the init argument against the module's types).
"""
import argparse
import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for path in (os.path.join(ROOT, "plugins", "module_utils"), ROOT, os.path.join(ROOT, "tests", "integration")):
    if path not in sys.path:
        sys.path.insert(0, path)

from inprocess import run_module  # noqa: E402
from localnet.testing import LocalnetProcess  # noqa: E402
from module_runner import write_identity  # noqa: E402


def main():
    """Create the fleet, then time converged runs with and without the checks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--canisters", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    base = tempfile.mkdtemp(prefix="bench-validation-")
    with LocalnetProcess() as net:
        identity = os.path.join(base, "owner.pem")
        owner = write_identity(identity, bytes(range(32)))
        specs = [{"name": f"v{i:03d}", "template": "user", "owner": owner,
                  "wasm": os.path.join(ROOT, "wasm", "user.wasm.gz"),
                  "arg": f'(record {{ owner = principal "{owner}" }})', "cycles": 10 ** 12,
                  "cycles_min": 10 ** 11, "cycles_target": 10 ** 12} for i in range(options.canisters)]
        args = {"network": net.url, "root_key": net.root_key_hex, "identity": identity,
                "registry": os.path.join(base, "registry.yml"), "canisters": specs}
        created = run_module("ic_fleet", args, base)
        assert not created.get("failed"), created.get("msg")

        from ansible_collections.icp.canister_factory.plugins.module_utils import _input_fields as input_fields, _validation as validation

        real = validation.CHECKS["ic_fleet"]
        pass_times = []

        def timed(params):
            start = time.perf_counter()
            real(params)
            pass_times.append(time.perf_counter() - start)

        with_checks, without = [], []
        for _ in range(options.rounds):
            for checker, times in ((timed, with_checks), (lambda params: None, without)):
                validation.CHECKS["ic_fleet"] = checker
                # As in a fresh module process: no module or type decoded yet.
                input_fields._WASM_CACHE.clear()  # pylint: disable=protected-access
                input_fields._TYPES_CACHE.clear()  # pylint: disable=protected-access
                start = time.perf_counter()
                result = run_module("ic_fleet", args, base)
                times.append(time.perf_counter() - start)
                assert not result.get("failed") and not result["changed"], result.get("msg")
        validation.CHECKS["ic_fleet"] = real
    best_with, best_without, best_pass = min(with_checks), min(without), min(pass_times)
    print(f"converged ic_fleet of {options.canisters} canisters, best of {options.rounds}:")
    print(f"  with the validation pass    {best_with * 1000:8.1f} ms")
    print(f"  without it (no-op)          {best_without * 1000:8.1f} ms")
    print(f"  ratio with / without        {best_with / best_without:8.2f}x")
    print(f"  the pass alone              {best_pass * 1000:8.1f} ms = {best_pass / best_with:.1%} of the run")


if __name__ == "__main__":
    main()
