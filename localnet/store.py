"""Persistent state in SQLite (WAL): canister records, blobs, ledger balances, settings and
the ingress history (each answer committed with the state change it answers for).

Crash safety comes from SQLite: every state change of one message is one transaction, so a
``kill -9`` loses at most the message in flight. Callers serialise writes (the node's execution
lock); the connection is shared between threads under that discipline.
"""
import os
import sqlite3
import threading

from _ic import cbor

from .model import Canister

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS canisters (
    id BLOB PRIMARY KEY, record BLOB NOT NULL, subnet INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS blobs (
    canister BLOB NOT NULL, name TEXT NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (canister, name));
CREATE TABLE IF NOT EXISTS balances (account BLOB PRIMARY KEY, amount TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ingress (
    request_id BLOB PRIMARY KEY, expiry INTEGER NOT NULL, record BLOB NOT NULL);
"""


class Store:
    """The on-disk state of one network, with the canister records cached in memory."""

    def __init__(self, state_dir):
        os.makedirs(state_dir, exist_ok=True)
        self.path = os.path.join(state_dir, "state.sqlite3")
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        columns = [row[1] for row in self._db.execute("PRAGMA table_info(canisters)")]
        if "subnet" not in columns:  # a store made before localnet had several subnets
            self._db.execute("ALTER TABLE canisters ADD COLUMN subnet INTEGER NOT NULL "
                             "DEFAULT 0")
        self._lock = threading.RLock()
        self.canisters = {}
        for record, subnet in self._db.execute("SELECT record, subnet FROM canisters"):
            canister = Canister.from_cbor(record)
            canister.subnet = subnet
            self.canisters[canister.id] = canister

    def close(self):
        """Close the database (checkpointing the WAL)."""
        with self._lock:
            self._db.close()

    # --- meta ---------------------------------------------------------------------------
    def get_meta(self, key, default=None):
        """A stored value (decoded CBOR) or ``default``."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return default if row is None else cbor.loads(row[0])

    def set_meta(self, key, value):
        """Store one value at once (its own transaction)."""
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, cbor.dumps(value)))

    # --- reads ----------------------------------------------------------------------------
    def get(self, canister_id):
        """The committed record of a canister, or None. Treat it as read-only."""
        return self.canisters.get(canister_id)

    def read_blob(self, canister_id, name):
        """A committed blob's bytes, or None."""
        with self._lock:
            row = self._db.execute("SELECT data FROM blobs WHERE canister=? AND name=?",
                                   (canister_id.raw, name)).fetchone()
        return None if row is None else bytes(row[0])

    def blob_names(self, canister_id, prefix=""):
        """Names of a canister's committed blobs that start with ``prefix``."""
        with self._lock:
            rows = self._db.execute("SELECT name FROM blobs WHERE canister=?",
                                    (canister_id.raw,)).fetchall()
        return sorted(name for (name,) in rows if name.startswith(prefix))

    def balance(self, account):
        """A ledger account's balance (account = bytes key)."""
        with self._lock:
            row = self._db.execute("SELECT amount FROM balances WHERE account=?",
                                   (account,)).fetchone()
        return 0 if row is None else int(row[0])

    def ingress_records(self):
        """``(request_id, record)`` of every persisted ingress history entry."""
        with self._lock:
            rows = self._db.execute("SELECT request_id, record FROM ingress").fetchall()
        return [(bytes(rid), cbor.loads(record)) for rid, record in rows]

    def forget_ingress(self, expired_before_ns):
        """Drop history entries whose expiry is before ``expired_before_ns``."""
        with self._lock:
            self._db.execute("DELETE FROM ingress WHERE expiry < ?", (expired_before_ns,))

    def transaction(self):
        """A new ``Transaction``; nothing is written until ``commit``."""
        return Transaction(self)

    # --- commit ---------------------------------------------------------------------------
    def _commit(self, tx):
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                for cid, canister in tx.canisters.items():
                    if canister is None:
                        db.execute("DELETE FROM canisters WHERE id=?", (cid.raw,))
                        db.execute("DELETE FROM blobs WHERE canister=?", (cid.raw,))
                    else:
                        db.execute("INSERT OR REPLACE INTO canisters VALUES (?, ?, ?)",
                                   (cid.raw, canister.to_cbor(), canister.subnet))
                for (cid, name), data in tx.blobs.items():
                    if data is None:
                        db.execute("DELETE FROM blobs WHERE canister=? AND name=?",
                                   (cid.raw, name))
                    else:
                        db.execute("INSERT OR REPLACE INTO blobs VALUES (?, ?, ?)",
                                   (cid.raw, name, data))
                for account, amount in tx.balances.items():
                    db.execute("INSERT OR REPLACE INTO balances VALUES (?, ?)",
                               (account, str(amount)))
                for key, value in tx.meta.items():
                    db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                               (key, cbor.dumps(value)))
                for request_id, (expiry, record) in tx.ingress.items():
                    db.execute("INSERT OR REPLACE INTO ingress VALUES (?, ?, ?)",
                               (request_id, expiry, cbor.dumps(record)))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            for cid, canister in tx.canisters.items():
                if canister is None:
                    self.canisters.pop(cid, None)
                else:
                    self.canisters[cid] = canister


class Transaction:
    """Working copies of the records and blobs one message changes; all or nothing.

    A nested transaction (``tx.nested()``) reads through its parent and, on ``commit``,
    hands its changes to the parent instead of the database.
    """

    def __init__(self, store, parent=None):
        self.store = store
        self.parent = parent
        self._base = parent if parent is not None else store
        self.canisters = {}
        self.blobs = {}
        self.balances = {}
        self.meta = {}
        self.ingress = {}

    def record_ingress(self, request_id, expiry_ns, record):
        """Keep a request's answer with this transaction's state change (top level only)."""
        if self.parent is not None:
            raise RuntimeError("the ingress history belongs to the top-level transaction")
        self.ingress[request_id] = (expiry_ns, record)

    def get(self, canister_id):
        """The record as this transaction sees it (read-only use), or None."""
        if canister_id in self.canisters:
            return self.canisters[canister_id]
        return self._base.get(canister_id)

    def mutable(self, canister_id):
        """A working copy of the record to change, or None if there is no such canister."""
        if canister_id in self.canisters:
            return self.canisters[canister_id]
        committed = self._base.get(canister_id)
        if committed is None:
            return None
        working = committed.clone()
        self.canisters[canister_id] = working
        return working

    def put(self, canister):
        """Add or replace a record."""
        self.canisters[canister.id] = canister

    def delete(self, canister_id):
        """Remove a canister with all its blobs."""
        self.canisters[canister_id] = None
        for key in [k for k in self.blobs if k[0] == canister_id]:
            del self.blobs[key]

    def read_blob(self, canister_id, name):
        """A blob as this transaction sees it, or None."""
        key = (canister_id, name)
        if key in self.blobs:
            return self.blobs[key]
        if canister_id in self.canisters and self.canisters[canister_id] is None:
            return None
        return self._base.read_blob(canister_id, name)

    def write_blob(self, canister_id, name, data):
        """Set (or with ``None`` remove) a blob."""
        self.blobs[(canister_id, name)] = None if data is None else bytes(data)

    def blob_names(self, canister_id, prefix=""):
        """Names of the canister's blobs with ``prefix``, as this transaction sees them."""
        names = set(self._base.blob_names(canister_id, prefix))
        for (cid, name), data in self.blobs.items():
            if cid == canister_id and name.startswith(prefix):
                if data is None:
                    names.discard(name)
                else:
                    names.add(name)
        return sorted(names)

    def balance(self, account):
        """A ledger balance as this transaction sees it."""
        if account in self.balances:
            return self.balances[account]
        return self._base.balance(account)

    def set_balance(self, account, amount):
        """Set a ledger balance."""
        self.balances[account] = int(amount)

    def get_meta(self, key, default=None):
        """A meta value as this transaction sees it."""
        if key in self.meta:
            return self.meta[key]
        return self._base.get_meta(key, default)

    def set_meta(self, key, value):
        """Set a meta value."""
        self.meta[key] = value

    def nested(self):
        """A child transaction whose commit folds into this one."""
        return Transaction(self.store, parent=self)

    def all_canisters(self):
        """Every canister record as this transaction sees it."""
        seen = dict(self.parent.all_canisters_map() if self.parent else self.store.canisters)
        seen.update(self.canisters)
        return [c for c in seen.values() if c is not None]

    def all_canisters_map(self):
        """Like ``all_canisters`` but keyed by id (deleted ones map to None)."""
        seen = dict(self.parent.all_canisters_map() if self.parent else self.store.canisters)
        seen.update(self.canisters)
        return seen

    def commit(self):
        """Write everything (or, nested, hand it to the parent) and publish the records."""
        if self.parent is None:
            self.store._commit(self)
            return
        parent = self.parent
        for cid, canister in self.canisters.items():
            if canister is None:
                parent.delete(cid)
            else:
                parent.canisters[cid] = canister
        parent.blobs.update(self.blobs)
        parent.balances.update(self.balances)
        parent.meta.update(self.meta)
