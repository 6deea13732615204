"""Query statistics: counted as queries run (their transactions are discarded), folded into
the canister records by the next round of system tasks — like the replica, whose
``query_stats`` also trail the queries by an aggregation period."""
from collections import defaultdict

FIELDS = ("num_calls_total", "num_instructions_total", "request_payload_bytes_total",
          "response_payload_bytes_total")


class QueryStats:
    """Totals per canister id that the records do not show yet."""

    def __init__(self):
        self.pending = defaultdict(lambda: [0, 0, 0, 0])

    def count(self, canister_id, instructions, request_bytes, response_bytes):
        """One query executed by ``canister_id``."""
        totals = self.pending[canister_id]
        for i, value in enumerate((1, instructions, request_bytes, response_bytes)):
            totals[i] += value

    def flush(self, tx):
        """Add the pending totals to the records in ``tx``; returns how many were updated."""
        updated = 0
        pending, self.pending = self.pending, defaultdict(lambda: [0, 0, 0, 0])
        for canister_id, totals in pending.items():
            canister = tx.mutable(canister_id)
            if canister is None:
                continue
            stats = dict(canister.query_stats)
            for name, value in zip(FIELDS, totals):
                stats[name] = stats.get(name, 0) + value
            canister.query_stats = stats
            updated += 1
        return updated
