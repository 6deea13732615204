"""Counters for the admin surface (``GET /_/metrics``)."""
import threading
from collections import Counter


class Metrics:
    """Thread-safe counts of calls, queries and read_states since start."""

    def __init__(self):
        self._lock = threading.Lock()
        self.update_calls = 0
        self.queries = 0
        self.read_states = 0
        self.by_method = Counter()
        self.by_outcome = Counter()
        self.by_endpoint = Counter()

    def endpoint(self, name):
        """Count one HTTP request to an endpoint (e.g. ``v4/call``)."""
        with self._lock:
            self.by_endpoint[name] += 1

    def update(self, canister, method):
        """Count an update call accepted for execution."""
        with self._lock:
            self.update_calls += 1
            self.by_method[(canister, method)] += 1

    def query(self, canister, method):
        """Count a query answered."""
        with self._lock:
            self.queries += 1
            self.by_method[(canister, method)] += 1

    def read_state(self):
        """Count a read_state answered."""
        with self._lock:
            self.read_states += 1

    def outcome(self, name):
        """Count an outcome: replied, rejected, non_replicated_rejection, http_<status>."""
        with self._lock:
            self.by_outcome[name] += 1

    def snapshot(self):
        """The JSON-ready view."""
        with self._lock:
            return {
                "update_calls": self.update_calls,
                "queries": self.queries,
                "read_states": self.read_states,
                "by_method": {f"{c}.{m}": n for (c, m), n in self.by_method.items()},
                "by_outcome": dict(self.by_outcome),
                "by_endpoint": dict(self.by_endpoint),
            }
