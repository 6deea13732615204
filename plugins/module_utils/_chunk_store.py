# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The fleet's shared Wasm chunk store: each module uploaded once, every canister installed from it.

The store itself (reuse of stored chunks, upload of the missing ones, ``install_chunked_code``)
is the client's ``ic.chunk_store.ChunkStore``; this adds the choice of the store canister and
its registry mark, so that a run after a crash finds the chunks an interrupted run uploaded.
"""

from __future__ import annotations

import threading

from ansible_collections.icp.canister_factory.plugins.module_utils._ic.chunk_store import ChunkStore
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import ICError
from ansible_collections.icp.canister_factory.plugins.module_utils._registry import RegistryError


class SharedStore:
    """One chunk store for every install of a run (the fleet's): each module is uploaded once.

    The first canister to install becomes the store. ``mark(name, held)`` records durably in
    that canister's registry entry that its chunk store holds chunks, before the first upload,
    so that a run after a crash finds them (``recovered``) and installs from them. The first
    install holds the lock until it succeeded: no canister installs from a store that its own
    failed install could still roll back (delete). ``finish`` empties the stores and clears the
    marks.
    """

    def __init__(self, client, mark, recovered=None):
        """``client``: the ``Management`` client; ``recovered``: ``(name, canister id)`` of a
        store an interrupted run left, or None."""
        self.client = client
        self.mark = mark
        self._lock = threading.Lock()
        self._store = None
        self._used = {}
        self._recovered = recovered
        if recovered:
            self._store = self._used[recovered[0]] = ChunkStore(client, recovered[1])

    def install(self, step, target, module, arg, install_mode):
        """Install ``module`` (a ``WasmModule``) into ``target`` (the canister of fleet step
        ``step``) from the store."""
        with self._lock:
            store = self._usable_store()
            if store is None:
                name = step.params["name"]
                store = self._used.get(name)
                if store is None:
                    self.mark(name, True)
                    store = self._used[name] = ChunkStore(self.client, target)
                store.install(target, module.bytes_installed, arg, install_mode, module.sha256)
                self._store = store
                return
        store.install(target, module.bytes_installed, arg, install_mode, module.sha256)

    def _usable_store(self):
        """The store; a recovered one only while it answers (it may be gone since)."""
        if self._store is not None and self._recovered:
            name, self._recovered = self._recovered[0], None
            try:
                self._store.stored()
            except ICError:
                self._store = None
                del self._used[name]
                self.mark(name, False)
        return self._store

    def finish(self, gone=()):
        """Empty every store this run used and clear its mark (``gone``: names deleted since).
        A store that cannot be emptied keeps its mark for the next run; returns their errors."""
        errors = []
        for name, store in sorted(self._used.items()):
            if name not in gone:
                try:
                    store.clear()
                except ICError as exc:
                    errors.append(f"{name}: emptying its chunk store failed: {exc}")
                    continue
            try:
                self.mark(name, False)
            except RegistryError as exc:
                # The next run finds the mark, lists an empty store and clears the mark then.
                errors.append(f"{name}: removing its chunk_store mark failed: {exc}")
        self._used.clear()
        return errors
