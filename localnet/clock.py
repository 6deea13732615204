"""The network's clocks: protocol time and canister time.

Protocol time (``now_ns``: certificates, query signatures, ingress expiry) is the host's real
time, strictly increasing, because clients compare it with their own wall clock. Canister
time (``canister_time_ns``: what code sees, idle cycle burn, history timestamps) is protocol
time plus the offset ``advance`` adds, so tests can move canisters into the future without
breaking clients.
"""
import threading
import time


class Clock:
    """Nanosecond clock that never repeats or goes backwards."""

    def __init__(self, offset_ns=0):
        self._lock = threading.Lock()
        self._offset = int(offset_ns)
        self._last = 0

    @property
    def offset_ns(self):
        """Nanoseconds added to the host clock by ``advance``."""
        return self._offset

    def now_ns(self):
        """Protocol time in ns since the epoch; strictly greater than any earlier reading."""
        with self._lock:
            now = time.time_ns()
            if now <= self._last:
                now = self._last + 1
            self._last = now
            return now

    def canister_time_ns(self):
        """Canister time: protocol time plus the advanced offset."""
        return self.now_ns() + self._offset

    def advance(self, seconds):
        """Move the clock forward by ``seconds`` (non-negative); returns the new time."""
        if seconds < 0:
            raise ValueError("advance_seconds must not be negative")
        with self._lock:
            self._offset += int(seconds * 1_000_000_000)
        return self.canister_time_ns()
