"""Stable memory with an undo journal, so that a trapped message can be rolled back cheaply."""

PAGE = 65536
MAX_PAGES = (500 << 30) // PAGE


class StableMemoryOutOfBounds(Exception):
    """An access past the end of stable memory."""


class StableMemory:
    """A growable byte array in 64 KiB pages; ``begin``/``commit``/``rollback`` make it atomic."""

    def __init__(self, data=b""):
        if len(data) % PAGE:
            raise ValueError("stable memory size must be a multiple of 64 KiB")
        self.data = bytearray(data)
        self._journal = None
        self._start_len = 0

    @property
    def pages(self):
        """Current size in pages."""
        return len(self.data) // PAGE

    def begin(self):
        """Start recording changes (nested transactions are not needed and not supported)."""
        self._journal = []
        self._start_len = len(self.data)

    def commit(self):
        """Keep every change since ``begin``."""
        self._journal = None

    def rollback(self):
        """Undo every change since ``begin``."""
        if self._journal is None:
            return
        for offset, old in reversed(self._journal):
            self.data[offset:offset + len(old)] = old
        del self.data[self._start_len:]
        self._journal = None

    def grow(self, new_pages, max_pages=MAX_PAGES):
        """Add pages; return the old size in pages, or -1 if the limit would be passed."""
        old = self.pages
        if old + new_pages > max_pages:
            return -1
        self.data.extend(bytes(new_pages * PAGE))
        return old

    def read(self, offset, size):
        """Bytes [offset, offset+size); raises StableMemoryOutOfBounds."""
        if offset + size > len(self.data):
            raise StableMemoryOutOfBounds()
        return bytes(self.data[offset:offset + size])

    def write(self, offset, payload):
        """Overwrite bytes at offset; raises StableMemoryOutOfBounds."""
        end = offset + len(payload)
        if end > len(self.data):
            raise StableMemoryOutOfBounds()
        if self._journal is not None and offset < self._start_len:
            keep_end = min(end, self._start_len)
            self._journal.append((offset, bytes(self.data[offset:keep_end])))
        self.data[offset:end] = payload

    def snapshot(self):
        """An immutable copy of the contents."""
        return bytes(self.data)
