"""The network's subnets: keys, canister ranges and NNS delegations.

Subnet 0 is the root (NNS-like) subnet: its key is the root key and its certificates carry no
delegation, so its id is the self-authenticating id of the root key (what agents assume).
Every other subnet has its own BLS key and node key and certifies through a *delegation*: a
certificate signed by the root subnet revealing the subnet's public key, type and canister
ranges, flat (``/subnet/<s>/canister_ranges``, v2 endpoints and the v3 call) or sharded
(``/canister_ranges/<s>/<shard>``, the v3 read_state and the v4 call).

Ranges. With one subnet it holds every canister id (as before). With more, subnet ``k``
(``k >= 1``) holds the block ``0x80000000_00000000 + (k + 1) * 2^20`` of 2^20 ids, as a
replica's application subnets do, and the root keeps the rest, so ids made before stay where
they were. Each subnet hands out ids from the start of its allocation block; ``specified_id``
must lie outside that block.
"""
import os
import threading

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from _ic import cbor
from _ic.cbor import uleb128
from _ic.certificate import reconstruct
from _ic.principal import Principal

from . import limits, signing
from .keys import RESPONSE_DOMAIN, STATE_ROOT_DOMAIN
from .treebuild import build_tree

BLOCK = 1 << 20
_BASE = 0x8000000000000000
_LAST = 0xFFFFFFFFFFFFFFFF
FORMATS = ("flat", "sharded")
# A delegation is re-signed this often, so its /time stays far younger than agent-js's 30 days.
DELEGATION_REFRESH_NS = 60 * 10 ** 9


def _raw(index):
    return Principal.from_canister_index(index).raw


def layout(count):
    """``[(ranges as index pairs, allocation block (lo, hi), first allocated index)]`` of
    ``count`` subnets, the root first."""
    if count == 1:
        return [([(0, _LAST)], limits.ALLOCATION_RANGE, limits.FIRST_ALLOCATED)]
    root_alloc = limits.ALLOCATION_RANGE
    subnets = [([(0, root_alloc[1]), (_BASE + (count + 1) * BLOCK, _LAST)],
                root_alloc, limits.FIRST_ALLOCATED)]
    for k in range(1, count):
        lo = _BASE + (k + 1) * BLOCK
        # The lower half is handed out; the upper half is free for specified ids.
        subnets.append(([(lo, lo + BLOCK - 1)], (lo, lo + BLOCK // 2 - 1), lo + 1))
    return subnets


class Subnet:
    """One subnet: its BLS key (state signatures), its node's Ed25519 key (query signatures),
    its canister ranges and allocation block."""

    def __init__(self, index, secret, node_seed, ranges, allocation, first_allocated):
        self.index = index
        self.secret = secret
        self.public_key_der = signing.bls_public_key_der(secret)
        self.subnet_id = Principal.self_authenticating(self.public_key_der)
        self._node_key = ed25519.Ed25519PrivateKey.from_private_bytes(node_seed)
        self.node_key_der = self._node_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        self.node_id = Principal.self_authenticating(self.node_key_der)
        self.ranges = [(_raw(lo), _raw(hi)) for lo, hi in ranges]
        self.allocation = allocation
        self.first_allocated = first_allocated
        self.type = "application"

    @property
    def is_root(self):
        """True for the subnet whose key is the root key."""
        return self.index == 0

    def hosts(self, canister_id):
        """True when ``canister_id`` lies in one of this subnet's canister ranges."""
        raw = canister_id.raw if isinstance(canister_id, Principal) else bytes(canister_id)
        return any(lo <= raw <= hi for lo, hi in self.ranges)

    def ranges_value(self):
        """CBOR of the subnet's ranges (``[[lo, hi], ...]``), flat and as its one shard."""
        return cbor.dumps([[lo, hi] for lo, hi in self.ranges])

    def shards(self):
        """``/canister_ranges/<sid>`` contents: one shard labelled by its first lower bound."""
        return {self.ranges[0][0]: self.ranges_value()}

    def sign_state_root(self, root_hash):
        """BLS signature (48 bytes) over the state-root domain and ``root_hash``."""
        return signing.bls_sign(self.secret, STATE_ROOT_DOMAIN + root_hash)

    def sign_response(self, digest):
        """The node's Ed25519 signature over the response domain and ``digest``."""
        return self._node_key.sign(RESPONSE_DOMAIN + digest)


class Topology:
    """All subnets of the network, with the root subnet's delegations to the others."""

    def __init__(self, keys, store, clock, count=1):
        if not isinstance(count, int) or count < 1 or count > 16:
            raise ValueError("subnets: give a number of subnets from 1 to 16")
        self.clock = clock
        extra = list(store.get_meta("subnet_keys", []))
        while len(extra) < count - 1:
            extra.append({"key": os.urandom(32), "node": os.urandom(32)})
            store.set_meta("subnet_keys", extra)
        plan = layout(count)
        self.subnets = [Subnet(0, keys.root_secret, keys.node_seed, *plan[0])]
        for k in range(1, count):
            secret = signing.bls_keypair(extra[k - 1]["key"])[0]
            self.subnets.append(Subnet(k, secret, extra[k - 1]["node"], *plan[k]))
        self.root = self.subnets[0]
        self._by_id = {s.subnet_id: s for s in self.subnets}
        self._delegations = {}
        self._lock = threading.Lock()

    def __len__(self):
        return len(self.subnets)

    def get(self, subnet_id):
        """The subnet with this id, or None."""
        return self._by_id.get(subnet_id)

    def by_range(self, canister_id):
        """The subnet whose ranges hold ``canister_id``, or None."""
        for subnet in self.subnets:
            if subnet.hosts(canister_id):
                return subnet
        return None

    def summary(self):
        """JSON-ready facts of every subnet (``GET /_/subnets``), the root first."""
        return [{"id": str(s.subnet_id), "root": s.is_root, "type": s.type,
                 "public_key": s.public_key_der.hex(), "node_id": str(s.node_id),
                 "ranges": [[str(Principal(lo)), str(Principal(hi))] for lo, hi in s.ranges],
                 "allocation": [str(Principal.from_canister_index(i)) for i in s.allocation]}
                for s in self.subnets]

    def delegation(self, subnet, fmt):
        """``{subnet_id, certificate}`` for a non-root subnet (None for the root): the root
        subnet certifies the subnet's key, type and ranges in format ``flat`` or ``sharded``."""
        if subnet.is_root:
            return None
        now = self.clock.now_ns()
        with self._lock:
            cached = self._delegations.get((subnet.index, fmt))
            if cached is not None and now - cached[0] < DELEGATION_REFRESH_NS:
                return cached[1]
            sid = subnet.subnet_id.raw
            facts = {b"public_key": subnet.public_key_der, b"type": subnet.type.encode()}
            mapping = {b"subnet": {sid: facts}, b"time": uleb128(now)}
            if fmt == "flat":
                facts[b"canister_ranges"] = subnet.ranges_value()
            else:
                mapping[b"canister_ranges"] = {sid: subnet.shards()}
            tree = build_tree(mapping)
            certificate = cbor.dumps({"tree": tree,
                                      "signature": self.root.sign_state_root(reconstruct(tree))})
            value = {"subnet_id": sid, "certificate": certificate}
            self._delegations[(subnet.index, fmt)] = (now, value)
            return value
