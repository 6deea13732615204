"""Counters for the admin surface (``GET /_/metrics``) and the per-subnet transaction count
of ``/subnet/<sid>/metrics``."""
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
        # Per subnet index: user calls and queries addressed to it, and the messages it
        # executed (the replica's update_transactions_total: every replicated execution,
        # ingress, calls, responses, tasks; dfinity/ic rs/execution_environment/src/scheduler.rs
        # adds the round's executed messages to its own subnet's metrics).
        self.subnet_calls = Counter()
        self.subnet_queries = Counter()
        self.transactions = Counter()

    def endpoint(self, name):
        """Count one HTTP request to an endpoint (e.g. ``v4/call``)."""
        with self._lock:
            self.by_endpoint[name] += 1

    def update(self, canister, method, subnet=0):
        """Count an update call accepted for execution on subnet index ``subnet``."""
        with self._lock:
            self.update_calls += 1
            self.by_method[(canister, method)] += 1
            self.subnet_calls[subnet] += 1

    def query(self, canister, method, subnet=0):
        """Count a query answered by subnet index ``subnet``."""
        with self._lock:
            self.queries += 1
            self.by_method[(canister, method)] += 1
            self.subnet_queries[subnet] += 1

    def executed(self, subnet):
        """Count one replicated message execution on subnet index ``subnet``."""
        with self._lock:
            self.transactions[subnet] += 1

    def read_state(self):
        """Count a read_state answered."""
        with self._lock:
            self.read_states += 1

    def outcome(self, name):
        """Count an outcome: replied, rejected, non_replicated_rejection, http_<status>."""
        with self._lock:
            self.by_outcome[name] += 1

    def snapshot(self, subnet_ids=()):
        """The JSON-ready view; ``subnets`` has the per-subnet counts under the ids of
        ``subnet_ids`` (text, by index)."""
        with self._lock:
            return {
                "subnets": {sid: {"update_calls": self.subnet_calls[i], "queries": self.subnet_queries[i],
                                  "update_transactions": self.transactions[i]}
                            for i, sid in enumerate(subnet_ids)},
                "update_calls": self.update_calls,
                "queries": self.queries,
                "read_states": self.read_states,
                "by_method": {f"{c}.{m}": n for (c, m), n in self.by_method.items()},
                "by_outcome": dict(self.by_outcome),
                "by_endpoint": dict(self.by_endpoint),
            }
