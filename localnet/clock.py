"""The network's clock: the host's real time, strictly increasing, with an admin offset.

Clients compare certificate times with their own wall clock, so the clock follows real time;
``advance`` (the admin surface) adds an offset for tests of time-dependent behaviour.
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
        """Current time in ns since the epoch; strictly greater than any earlier reading."""
        with self._lock:
            now = time.time_ns() + self._offset
            if now <= self._last:
                now = self._last + 1
            self._last = now
            return now

    def advance(self, seconds):
        """Move the clock forward by ``seconds`` (non-negative); returns the new time."""
        if seconds < 0:
            raise ValueError("advance_seconds must not be negative")
        with self._lock:
            self._offset += int(seconds * 1_000_000_000)
        return self.now_ns()
