"""The ingress history: status and outcome of every update call, for read_state and dedup.

An entry stays until its ingress expiry has passed (plus a margin), so a resubmission of the
same request id while it could still be valid returns the stored outcome without running the
call again.
"""
import threading
from dataclasses import dataclass, field

from _ic.cbor import uleb128
from _ic.principal import Principal

from . import limits


@dataclass
class Outcome:
    """The result of a message: ``reply`` bytes, or a reject triple."""

    reply: bytes = None
    reject_code: int = 0
    reject_message: str = ""
    error_code: str = None
    pending: bool = False   # the answer comes later, through the message's ``reply_to``

    @property
    def replied(self):
        """True for a reply."""
        return self.reply is not None

    def to_record(self):
        """A CBOR-ready map (for the persisted ingress history)."""
        if self.replied:
            return {"reply": self.reply}
        return {"reject_code": self.reject_code, "reject_message": self.reject_message,
                "error_code": self.error_code}

    @classmethod
    def from_record(cls, record):
        """The inverse of ``to_record``."""
        if "reply" in record:
            return cls(reply=bytes(record["reply"]))
        return cls(reject_code=record["reject_code"], reject_message=record["reject_message"],
                   error_code=record.get("error_code"))

    @classmethod
    def later(cls):
        """No answer yet: it will be given to the message's ``reply_to``."""
        return cls(pending=True)

    @classmethod
    def of_reject(cls, rej):
        """From an ``ic.errors.Reject``."""
        return cls(reject_code=rej.reject_code, reject_message=rej.reject_message,
                   error_code=rej.error_code)


@dataclass
class Entry:
    """One request id's history entry."""

    request_id: bytes
    sender: object
    ecid: object
    expiry_ns: int
    status: str = "processing"
    outcome: Outcome = None
    done: threading.Event = field(default_factory=threading.Event)

    def tree(self):
        """The ``request_status/<id>`` subtree as a mapping of labels to leaf bytes."""
        node = {b"status": self.status.encode()}
        if self.outcome is not None:
            if self.outcome.replied:
                node[b"reply"] = self.outcome.reply
            else:
                node[b"reject_code"] = uleb128(self.outcome.reject_code)
                node[b"reject_message"] = self.outcome.reject_message.encode()
                if self.outcome.error_code:
                    node[b"error_code"] = self.outcome.error_code.encode()
        return node


class IngressHistory:
    """Thread-safe map request id → Entry, over the answers persisted in the store.

    A finished entry is written in the same SQLite transaction as the state change it
    answers for (``record``), so a restart after ``kill -9`` still knows every answered
    request until its expiry has passed, as the IC does.
    """

    def __init__(self, store=None):
        self._lock = threading.Lock()
        self._entries = {}
        self._store = store
        for request_id, record in (store.ingress_records() if store is not None else ()):
            entry = Entry(request_id, Principal(bytes(record["sender"])),
                          Principal(bytes(record["ecid"])), record["expiry"])
            if record["outcome"] is not None:   # else still processing (a held step)
                self.finish(entry, Outcome.from_record(record["outcome"]))
            self._entries[request_id] = entry

    @staticmethod
    def record(tx, entry, outcome):
        """Add ``entry``'s answer to the transaction that carries its state change."""
        tx.record_ingress(entry.request_id, entry.expiry_ns,
                          {"expiry": entry.expiry_ns, "outcome": outcome.to_record(),
                           "sender": entry.sender.raw, "ecid": entry.ecid.raw})

    @staticmethod
    def record_processing(tx, entry):
        """Persist ``entry`` as ``processing`` with the state change that leaves it so (its
        execution waits, e.g. on the CMC): the IC keeps an inducted call's status, so after a
        restart the call is still known and its answer still reaches its history entry."""
        tx.record_ingress(entry.request_id, entry.expiry_ns,
                          {"expiry": entry.expiry_ns, "outcome": None,
                           "sender": entry.sender.raw, "ecid": entry.ecid.raw})

    def begin(self, request_id, sender, ecid, expiry_ns):
        """Return ``(entry, is_new)``; a new entry is ``processing``."""
        with self._lock:
            entry = self._entries.get(request_id)
            if entry is not None:
                return entry, False
            entry = Entry(request_id, sender, ecid, expiry_ns)
            self._entries[request_id] = entry
            return entry, True

    def finish(self, entry, outcome):
        """Record the outcome and wake whoever waits on the entry."""
        entry.outcome = outcome
        entry.status = "replied" if outcome.replied else "rejected"
        entry.done.set()

    def get(self, request_id):
        """The entry for an id, or None."""
        return self._entries.get(request_id)

    def prune(self, now_ns):
        """Forget entries whose expiry (plus the keep margin) has passed."""
        with self._lock:
            old = [rid for rid, e in self._entries.items()
                   if e.done.is_set() and e.expiry_ns + limits.REQUEST_STATUS_KEEP_NS < now_ns]
            for rid in old:
                del self._entries[rid]
        if self._store is not None:
            self._store.forget_ingress(now_ns - limits.REQUEST_STATUS_KEEP_NS)

    def __len__(self):
        return len(self._entries)
