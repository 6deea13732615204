"""A canister's Wasm chunk store as an install source (``install_chunked_code``).

The chunks the store holds already (``stored_chunks``, asked once) are reused and only the
missing ones are uploaded, so an install after a crash between upload and install sends nothing
again. The store is the target itself (a module too big for one message) or another canister of
the same subnet that the caller controls, from which many canisters are installed.
"""
import hashlib
import threading

from .errors import TransportError
from .principal import Principal
from .wasm import CHUNK_SIZE, chunks


class ChunkStore:
    """The chunk store of canister ``store_id``, reached through ``client`` (a ``Management``).

    Thread-safe: concurrent installs from one store upload each chunk once.
    """

    def __init__(self, client, store_id, chunk_size=CHUNK_SIZE):
        self.client = client
        self.store_id = Principal.coerce(store_id, field="store_canister")
        self.chunk_size = chunk_size
        self.uploaded = 0
        self._lock = threading.Lock()
        self._stored = None
        self._chunks = {}

    def stored(self):
        """The chunk hashes (bytes) the store holds."""
        with self._lock:
            return set(self._stored_now())

    def _stored_now(self):
        if self._stored is None:
            self._stored = {bytes(h) for h in self.client.stored_chunks(self.store_id)}
        return self._stored

    def hold(self, wasm_module, module_hash=None):
        """Upload the chunks of ``wasm_module`` the store lacks; return ``(hashes, uploaded)``."""
        module_hash = module_hash or hashlib.sha256(wasm_module).digest()
        with self._lock:
            parts = self._chunks.get(module_hash)
            if parts is None:
                parts = self._chunks[module_hash] = chunks(wasm_module, self.chunk_size)
            stored = self._stored_now()
            uploaded = 0
            for chunk, digest in parts:
                if digest in stored:
                    continue
                returned = bytes(self.client.upload_chunk(self.store_id, chunk))
                if returned != digest:
                    raise TransportError(f"upload_chunk returned hash {returned.hex()}, "
                                         f"expected {digest.hex()}")
                stored.add(digest)
                uploaded += 1
            self.uploaded += uploaded
            return [digest for _part, digest in parts], uploaded

    def install(self, target, wasm_module, arg=b"", mode="install", module_hash=None):
        """``install_chunked_code`` of ``wasm_module`` into ``target`` from this store, after
        uploading what it lacks; the IC checks the joined chunks against the module hash.
        Returns ``{"chunked": True, "chunks": n, "uploaded": k}``."""
        module_hash = module_hash or hashlib.sha256(wasm_module).digest()
        target = Principal.coerce(target, field="canister_id")
        hashes, uploaded = self.hold(wasm_module, module_hash)
        self.client.install_chunked_code(target, hashes, module_hash, arg, mode,
                                         store_canister=None if target == self.store_id else self.store_id)
        return {"chunked": True, "chunks": len(hashes), "uploaded": uploaded}

    def clear(self):
        """Empty the store (``clear_chunk_store``): chunks cost the store canister memory."""
        with self._lock:
            self.client.clear_chunk_store(self.store_id)
            self._stored = set()
