# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The fast path of a fleet upgrade (the ``module_on_target`` filter and ``ic_fleet action=upgrade``).

A module of its own that imports only the Wasm loader: the filter runs in every Ansible worker
(once per host and task), so it must not pull in the client or the fleet.
"""

from __future__ import annotations

import os
import threading

from ansible_collections.icp.canister_factory.plugins.module_utils._ic import wasm as wasm_lib
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import InputError

_HASHES = {}
_LOCK = threading.Lock()


def module_on_target(recorded_module_hash, target_module_hash):
    """The fast path of a fleet upgrade: the recorded module already is the target, so no call."""
    return bool(recorded_module_hash) and recorded_module_hash == target_module_hash


def target_module_hash(path):
    """The module hash of the module file ``path`` (as ic_code installs it), or None when it cannot
    be loaded (ic_code's checks then name the problem); computed once per file version."""
    try:
        stat = os.stat(path)
    except (OSError, TypeError, ValueError):
        return None
    key = (os.path.abspath(path), stat.st_mtime_ns, stat.st_size)
    with _LOCK:
        if key not in _HASHES:
            try:
                _HASHES[key] = wasm_lib.load(path).sha256_hex
            except (InputError, OSError):
                _HASHES[key] = None
        return _HASHES[key]
