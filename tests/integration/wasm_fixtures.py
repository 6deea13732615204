"""The hand-assembled fixture modules of the integration targets, for the pytest suites and bench.

The builder lives with the targets (``targets/setup_ic/files/wasm_fixtures.py``) so that the
targets run from the collection alone under ``ansible-test integration``; this loads it by path.
"""
import importlib.util
import os

_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "targets", "setup_ic", "files",
                     "wasm_fixtures.py")
_SPEC = importlib.util.spec_from_file_location("setup_ic_wasm_fixtures", _PATH)
_MODULE = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(_MODULE)

SERVICE = _MODULE.SERVICE
build = _MODULE.build
write_all = _MODULE.write_all
