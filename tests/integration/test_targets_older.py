"""Every integration target that needs localnet, against a localnet answering as an older replica
(management replies without the 2025-2026 fields), one pytest result per target.

The same target files run under ``ansible-test integration`` in the spec's shape
(scripts/ansible-test-integration, a stage of scripts/run-tests); here one localnet per shape is
shared by the targets. A target alone: ``pytest tests/integration/test_targets_older.py -k ic_call``.
"""
from module_runner import shape_tests

net, test_target = shape_tests("older")
