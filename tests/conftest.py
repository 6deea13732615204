"""Test-wide setup: make the IC client importable as the top-level package ``ic``.

The collection's client lives in plugins/module_utils/_ic and is imported by Ansible through
the collection path; tests, localnet and benchmarks import it as ``ic`` directly.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for path in (os.path.join(ROOT, "plugins", "module_utils"), ROOT):
    if path not in sys.path:
        sys.path.insert(0, path)

try:
    from hypothesis import settings as _hypothesis_settings
except ImportError:  # hypothesis is a dev requirement; without it the property tests are not collected
    _hypothesis_settings = None
if _hypothesis_settings is not None:
    # CI must be reproducible: the same examples on every run (seeded), no wall-clock deadlines on
    # a loaded 2-core machine. `HYPOTHESIS_PROFILE=explore` searches with fresh randomness.
    _hypothesis_settings.register_profile("ci", derandomize=True, deadline=None)
    _hypothesis_settings.register_profile("explore", deadline=None)
    _hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
