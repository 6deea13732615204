# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Installing a module from a canister's Wasm chunk store (``install_chunked_code``).

A ``ChunkStore`` is one canister's chunk store: the chunks it already holds (``stored_chunks``,
read once) are reused and only the missing ones are uploaded, so an install after a crash
between upload and install sends nothing again. The store may be the target itself (a module
too big for one message) or another canister of the same subnet that the caller controls: the
fleet uploads a template's module once and installs every canister from there.
"""

from __future__ import annotations

import threading

from ansible_collections.icp.canister_factory.plugins.module_utils.ic.errors import ICError
from ansible_collections.icp.canister_factory.plugins.module_utils.ic.principal import Principal


class ChunkStore:
    """The chunk store of canister ``store_id``; thread-safe (one upload per chunk)."""

    def __init__(self, mgmt, store_id):
        """``mgmt(method, arg)`` calls the management canister; ``store_id`` a principal or text."""
        self.mgmt = mgmt
        self.store_id = Principal.coerce(store_id, field="store_canister")
        self._lock = threading.Lock()
        self._stored = None
        self.uploaded = 0

    def stored(self):
        """The chunk hashes the store holds (``stored_chunks``, asked once, then kept up to date)."""
        with self._lock:
            return set(self._stored_now())

    def _stored_now(self):
        if self._stored is None:
            self._stored = {c["hash"] for c in self.mgmt("stored_chunks", {"canister_id": self.store_id})}
        return self._stored

    def hold(self, module):
        """Upload the chunks of ``module`` the store lacks; return its ``chunk_hashes_list``."""
        with self._lock:
            stored = self._stored_now()
            hashes = []
            for chunk, digest in module.chunks():
                if digest not in stored:
                    self.mgmt("upload_chunk", {"canister_id": self.store_id, "chunk": chunk})
                    stored.add(digest)
                    self.uploaded += 1
                hashes.append({"hash": digest})
            return hashes

    def install(self, target, module, arg, install_mode):
        """``install_chunked_code`` of ``module`` into ``target`` from this store (uploading first
        what is missing). The IC checks the joined chunks against the module hash."""
        target = Principal.coerce(target, field="canister_id")
        self.mgmt("install_chunked_code", {
            "mode": install_mode, "target_canister": target,
            "store_canister": None if target == self.store_id else self.store_id,
            "chunk_hashes_list": self.hold(module), "wasm_module_hash": module.sha256, "arg": arg,
            "sender_canister_version": None})

    def clear(self):
        """Empty the store (``clear_chunk_store``): chunks cost the store canister memory."""
        with self._lock:
            self.mgmt("clear_chunk_store", {"canister_id": self.store_id})
            self._stored = set()


class SharedStore:
    """One chunk store for every install of a run (the fleet's): each module is uploaded once.

    The first canister to install becomes the store. ``mark(name, held)`` records durably in
    that canister's registry entry that its chunk store holds chunks, before the first upload,
    so that a run after a crash finds them (``recovered``) and installs from them. The first
    install holds the lock until it succeeded: no canister installs from a store that its own
    failed install could still roll back (delete). ``finish`` empties the stores and clears the
    marks.
    """

    def __init__(self, mgmt, mark, recovered=None):
        """``recovered``: ``(name, canister id)`` of a store an interrupted run left, or None."""
        self.mgmt = mgmt
        self.mark = mark
        self._lock = threading.Lock()
        self._store = None
        self._used = {}
        self._recovered = recovered
        if recovered:
            self._store = self._used[recovered[0]] = ChunkStore(mgmt, recovered[1])

    def install(self, step, target, module, arg, install_mode):
        """Install ``module`` into ``target`` (the canister of fleet step ``step``) from the store."""
        with self._lock:
            store = self._usable_store()
            if store is None:
                name = step.params["name"]
                store = self._used.get(name)
                if store is None:
                    self.mark(name, True)
                    store = self._used[name] = ChunkStore(self.mgmt, target)
                store.install(target, module, arg, install_mode)
                self._store = store
                return
        store.install(target, module, arg, install_mode)

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
            self.mark(name, False)
        self._used.clear()
        return errors
