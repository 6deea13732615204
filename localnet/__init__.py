"""localnet: a local single-subnet Internet Computer network in Python.

Real clients (icp-cli, the JS agent, ic-py) talk to it unchanged over HTTP. The IC codecs come
from the collection's client (``plugins/module_utils/_ic``), which this package puts on
``sys.path`` so that ``import _ic`` works when run as ``python -m localnet`` from the repo root.

Layout (top calls down): ``cli`` → ``server`` (HTTP) → ``api`` (IC endpoints) / ``admin``
(``/_/``) → ``ingress`` (envelope checks), ``node`` (the network) → ``management`` (aaaaa-aa),
``canisters`` (the execution seam) → ``execution`` (Wasm), ``system_canisters`` (cycles
ledger, CMC) → ``store``/``model`` (SQLite state), ``statetree``/``certify``/``keys``
(certification), ``clock``, ``cycles``, ``ledger``. ``testing``, ``pytest_fixture`` and
``client`` are for tests. docs/internals.md describes the interfaces.
"""
import os
import sys

_MODULE_UTILS = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "plugins", "module_utils")
if _MODULE_UTILS not in sys.path:
    sys.path.insert(0, _MODULE_UTILS)

VERSION = "localnet-0.1.0"
