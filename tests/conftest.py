"""Test-wide setup: make the IC client importable as the top-level package ``ic``.

The collection's client lives in plugins/module_utils/ic and is imported by Ansible through
the collection path; tests, localnet and benchmarks import it as ``ic`` directly.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for path in (os.path.join(ROOT, "plugins", "module_utils"), ROOT):
    if path not in sys.path:
        sys.path.insert(0, path)
