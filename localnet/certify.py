"""Certificates: a hash tree with ``/time`` plus the given subtrees, signed by the root key."""
from ic import cbor
from ic.cbor import uleb128
from ic.certificate import build_tree, reconstruct


class Certifier:
    """Signs trees with the network's root key at the clock's current time."""

    def __init__(self, keys, clock):
        self.keys = keys
        self.clock = clock

    def certificate(self, mapping):
        """CBOR bytes of ``{tree, signature}`` for ``mapping`` plus the current ``/time``."""
        full = dict(mapping)
        full[b"time"] = uleb128(self.clock.now_ns())
        tree = build_tree(full)
        signature = self.keys.sign_state_root(reconstruct(tree))
        return cbor.dumps({"tree": tree, "signature": signature})

    def request_status(self, entry):
        """The certificate for one entry of the ingress history."""
        return self.certificate({b"request_status": {entry.request_id: entry.tree()}})
