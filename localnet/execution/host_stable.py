"""The ``ic0.stable*`` host functions: the stable-memory half of ``host.Execution`` (which
provides ``read``, ``write`` and ``state``)."""
from . import errors
from .errors import HostTrap, contract_violation
from .host_calls import U64
from .stable import MAX_PAGES, StableMemoryOutOfBounds


class StableMemory:
    """32- and 64-bit stable memory access."""

    def stable64_size(self):
        return self.state.stable.pages

    def stable64_grow(self, pages):
        return self.state.stable.grow(pages & U64)

    def stable64_write(self, offset, src, size):
        data = self.read(src, size, "ic0.stable64_write")
        try:
            self.state.stable.write(offset & U64, data)
        except StableMemoryOutOfBounds:
            raise HostTrap(errors.CANISTER_TRAPPED, "Canister trapped: stable memory out of bounds")

    def stable64_read(self, dst, offset, size):
        try:
            data = self.state.stable.read(offset & U64, size & U64)
        except StableMemoryOutOfBounds:
            raise HostTrap(errors.CANISTER_TRAPPED, "Canister trapped: stable memory out of bounds")
        self.write(dst, data, "ic0.stable64_read")

    def stable_size(self):
        if self.state.stable.pages > 65536:
            raise contract_violation("32 bit stable memory api used on a memory larger than 4GB")
        return self.state.stable.pages

    def stable_grow(self, pages):
        if self.state.stable.pages > 65536:
            raise contract_violation("32 bit stable memory api used on a memory larger than 4GB")
        return self.state.stable.grow(pages & 0xFFFFFFFF, min(MAX_PAGES, 65536))

    def stable_write(self, offset, src, size):
        self.stable64_write(offset & 0xFFFFFFFF, src, size)

    def stable_read(self, dst, offset, size):
        self.stable64_read(dst, offset & 0xFFFFFFFF, size & 0xFFFFFFFF)
