"""The network's keys: the BLS12-381 root key that certifies state and a node's Ed25519 key.

Both are generated once per state directory and kept in its store, so a restart keeps the
root key clients were given. The subnet id is the self-authenticating id of the root key
(what agents assume for certificates without a delegation).
"""
import os

from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives import serialization

from . import signing
from _ic.principal import Principal

STATE_ROOT_DOMAIN = b"\x0dic-state-root"
RESPONSE_DOMAIN = b"\x0bic-response"


class Keys:
    """Root (BLS) and node (Ed25519) keys with their derived ids."""

    def __init__(self, root_seed, node_seed):
        self.root_secret = signing.bls_keypair(root_seed)[0]
        self.node_seed = node_seed
        self.root_key_der = signing.bls_public_key_der(self.root_secret)
        self.subnet_id = Principal.self_authenticating(self.root_key_der)
        self._node_key = ed25519.Ed25519PrivateKey.from_private_bytes(node_seed)
        self.node_key_der = self._node_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        self.node_id = Principal.self_authenticating(self.node_key_der)

    @classmethod
    def load_or_create(cls, store):
        """The keys kept in ``store``, made and saved on first use."""
        seeds = store.get_meta("keys")
        if seeds is None:
            seeds = {"root": os.urandom(32), "node": os.urandom(32)}
            store.set_meta("keys", seeds)
        return cls(seeds["root"], seeds["node"])

    def sign_state_root(self, root_hash):
        """BLS signature (48 bytes) over the state-root domain and ``root_hash``."""
        return signing.bls_sign(self.root_secret, STATE_ROOT_DOMAIN + root_hash)

    def sign_response(self, digest):
        """The node's Ed25519 signature over the response domain and ``digest``."""
        return self._node_key.sign(RESPONSE_DOMAIN + digest)
