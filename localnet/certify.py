"""Certificates: a hash tree with ``/time`` plus the given subtrees, signed by a subnet's key
(with the root subnet's delegation when that subnet is not the root).

Signing (BLS, ~1 ms) dominates the cost of an answer, so concurrent requests share one
signature, as the replica certifies many messages per height: the first waiting request
becomes the signer for everything queued while it starts, merges all trees into one, signs
its root once and gives each request that tree pruned to its own paths (pruning keeps the
root hash, so the one signature verifies for every pruned tree).
"""
import threading

from _ic import cbor
from _ic.cbor import uleb128
from _ic.certificate import reconstruct

from .treebuild import build_tree, prune


class _Item:
    __slots__ = ("mapping", "paths", "result", "error", "delegation")

    def __init__(self, mapping, paths, delegation=None):
        self.mapping = mapping
        self.paths = paths
        self.delegation = delegation
        self.result = None
        self.error = None


def _merge(into, extra):
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        elif isinstance(value, dict):
            into[key] = _copy(value)
        else:
            into[key] = value


def _copy(mapping):
    return {k: _copy(v) if isinstance(v, dict) else v for k, v in mapping.items()}


class Certifier:
    """Signs trees with one subnet's key at the clock's current time.

    ``delegation(fmt)`` gives the root subnet's delegation to this subnet in range format
    ``flat`` or ``sharded`` (None for the root subnet, whose certificates carry none)."""

    def __init__(self, keys, clock, delegation=None):
        self.keys = keys
        self.clock = clock
        self._delegation = delegation or (lambda fmt: None)
        self._cond = threading.Condition()
        self._pending = []
        self._signing = False

    def certificate(self, mapping, paths=None, fmt="flat"):
        """CBOR bytes of ``{tree, signature[, delegation]}`` for ``mapping`` plus the current
        ``/time``; a delegation, if any, has its canister ranges in format ``fmt``.

        ``paths`` are the paths the requester asked for; with them the request may share a
        signature with concurrent ones (its tree is then pruned to these paths and /time).
        """
        delegation = self._delegation(fmt)
        if paths is None:
            return self._sign([_Item(mapping, None, delegation)])[0]
        item = _Item(mapping, list(paths) + [[b"time"]], delegation)
        with self._cond:
            self._pending.append(item)
            while item.result is None and item.error is None and self._signing:
                self._cond.wait()
            if item.result is None and item.error is None:
                batch, self._pending, self._signing = self._pending, [], True
            else:
                batch = None
        if batch is not None:
            try:
                for it, result in zip(batch, self._sign(batch)):
                    it.result = result
            except BaseException as err:  # noqa: BLE001 - every waiter must learn of it
                for it in batch:
                    it.error = err
            finally:
                with self._cond:
                    self._signing = False
                    self._cond.notify_all()
        if item.error is not None:
            raise item.error
        return item.result

    def _sign(self, batch):
        merged = {}
        for it in batch:
            _merge(merged, it.mapping)
        merged[b"time"] = uleb128(self.clock.now_ns())
        tree = build_tree(merged)
        signature = self.keys.sign_state_root(reconstruct(tree))
        if len(batch) == 1:
            return [_encode(tree, signature, batch[0].delegation)]
        return [_encode(prune(tree, it.paths) if it.paths else tree, signature, it.delegation)
                for it in batch]

    def request_status(self, entry, fmt="flat"):
        """The certificate for one entry of the ingress history."""
        return self.certificate({b"request_status": {entry.request_id: entry.tree()}},
                                paths=[[b"request_status", entry.request_id]], fmt=fmt)


def _encode(tree, signature, delegation):
    cert = {"tree": tree, "signature": signature}
    if delegation is not None:
        cert["delegation"] = delegation
    return cbor.dumps(cert)
