"""The cycles ledger keeps each block and each deduplication entry as a meta value of its own,
so a transaction reads and writes what it touches, not the whole chain; state written before
(one map of every block, one map of every dedup entry) is still read."""
from localnet.system_canisters import cycles_ledger, ledger_blocks


class _Clock:
    @staticmethod
    def canister_time_ns():
        return 10 ** 18


class _Node:
    clock = _Clock()


class _CountingView:
    """A transaction's meta values, counting the values each call decodes."""

    def __init__(self, meta=None):
        self.meta = dict(meta or {})
        self.decoded = 0

    def get_meta(self, key, default=None):
        value = self.meta.get(key, default)
        self.decoded += len(value) if isinstance(value, dict) and key in self.meta else 1
        return value

    def set_meta(self, key, value):
        self.meta[key] = value


def _append(view, count):
    for _ in range(count):
        ledger_blocks.append(_Node(), view, "mint", 5, to=ledger_blocks.account(b"\x01"))


def test_a_block_costs_the_same_however_long_the_chain():
    view = _CountingView()
    _append(view, 3)
    view.decoded = 0
    _append(view, 1)
    early = view.decoded
    _append(view, 500)
    view.decoded = 0
    _append(view, 1)
    assert view.decoded == early, "appending a block reads more as the chain grows"
    blocks = ledger_blocks.get_blocks(view, [{"start": 500, "length": 10}])
    assert [b["id"] for b in blocks["blocks"]] == list(range(500, 505)) and blocks["log_length"] == 505
    previous = ledger_blocks._tuples(view.meta["ledger_block/503"])  # pylint: disable=protected-access
    assert dict(blocks["blocks"][4]["block"]["Map"])["phash"] == {"Blob": ledger_blocks.value_hash(previous)}


def test_state_from_before_is_read_and_chained():
    old = _CountingView()
    _append(old, 3)
    legacy = {"ledger_blocks": 3,
              "ledger_block_log": {i: old.meta[f"ledger_block/{i}"] for i in range(3)},
              "ledger_dedup": {"k1": {"at": _Clock.canister_time_ns(), "block": 7}}}
    view = _CountingView(legacy)
    _append(view, 1)
    found = ledger_blocks.get_blocks(view, [{"start": 0, "length": 10}])["blocks"]
    assert [b["id"] for b in found] == [0, 1, 2, 3]
    assert dict(found[3]["block"]["Map"])["phash"] == {"Blob": ledger_blocks.value_hash(found[2]["block"])}
    now = _Clock.canister_time_ns()
    assert cycles_ledger._seen(view, "k1")["block"] == 7  # pylint: disable=protected-access
    assert cycles_ledger._seen(view, "k2") is None  # pylint: disable=protected-access
    # As the real ledger, a key past the window answers until a block prunes it.
    view.set_meta("ledger_pruned_at", now + cycles_ledger.WINDOW_NS + cycles_ledger.DRIFT_NS)
    assert cycles_ledger._seen(view, "k1")["block"] == 7  # pylint: disable=protected-access
    view.set_meta("ledger_pruned_at", now + cycles_ledger.WINDOW_NS + cycles_ledger.DRIFT_NS + 1)
    assert cycles_ledger._seen(view, "k1") is None, "a pruned entry still answered"  # pylint: disable=protected-access
