"""Every integration target that needs localnet, against a localnet answering as a newer replica
(extra fields and variant cases in management replies), one pytest result per target.

See test_targets_older.py; this is the same for the ``newer`` reply shape.
"""
from module_runner import shape_tests

net, test_target = shape_tests("newer")
