"""The data the engine reads and writes: canister state, messages, calls and results."""
from dataclasses import dataclass, field

from .stable import StableMemory

RUNNING, STOPPING, STOPPED = 1, 2, 3
DEFAULT_WASM_MEMORY_LIMIT = 3 << 30


@dataclass
class CanisterSnapshot:
    """Plain, immutable data of a canister's execution state (persistence and snapshots)."""
    canister_id: bytes
    wasm: bytes | None            # module bytes as installed (gzip or raw)
    heap: bytes                   # main (Wasm) memory
    globals: list                 # [(export name, value)] of the mutable globals
    stable: bytes
    certified_data: bytes
    global_timer: int
    cycles: int
    controllers: list
    version: int
    status: int
    env_vars: dict
    wasm_memory_limit: int


class CanisterState:
    """One canister's state, changed in place by the engine; every change is all-or-nothing.

    ``module`` is a ``ModuleInfo`` (None for an empty canister). The main memory lives in a
    live Wasm instance owned by the engine while the canister is hot, and as bytes
    (``_heap``/``_globals``) otherwise; use ``snapshot()`` to read it.
    """

    def __init__(self, canister_id, controllers=(), cycles=0, env_vars=None,
                 wasm_memory_limit=DEFAULT_WASM_MEMORY_LIMIT):
        self.canister_id = bytes(canister_id)
        self.controllers = [bytes(c) for c in controllers]
        self.cycles = cycles
        self.env_vars = dict(env_vars or {})
        self.wasm_memory_limit = wasm_memory_limit
        self.module = None
        self.wasm = None
        self.stable = StableMemory()
        self.certified_data = b""
        self.global_timer = 0
        self.version = 0
        self.status = RUNNING
        self._heap = b""
        self._globals = []
        self._live = None
        self._open_query = None   # the CallContext of a composite query awaiting calls

    @property
    def is_empty(self):
        """True when no code is installed."""
        return self.module is None

    def heap(self):
        """Current main-memory bytes (a copy)."""
        if self._live is not None:
            return self._live.read_heap()
        return self._heap

    def memory_sizes(self):
        """(main memory bytes, stable memory bytes) without copying anything."""
        heap = self._live.heap_size() if self._live is not None else len(self._heap)
        return heap, len(self.stable.data)

    def snapshot(self):
        """Copy everything into a CanisterSnapshot."""
        heap, globals_ = (self._live.read_heap(), self._live.read_globals()) \
            if self._live is not None else (self._heap, list(self._globals))
        return CanisterSnapshot(
            canister_id=self.canister_id, wasm=self.wasm, heap=heap, globals=globals_,
            stable=self.stable.snapshot(), certified_data=self.certified_data,
            global_timer=self.global_timer, cycles=self.cycles,
            controllers=list(self.controllers), version=self.version, status=self.status,
            env_vars=dict(self.env_vars), wasm_memory_limit=self.wasm_memory_limit)

    def detach(self):
        """Move the main memory out of the live instance (the engine calls this on eviction)."""
        if self._live is not None:
            self._heap = self._live.read_heap()
            self._globals = self._live.read_globals()
            self._live = None


@dataclass
class CallContext:
    """An incoming call that waits for its one response; shared by the callbacks of its calls.

    ``origin`` is opaque to the engine: the scheduler stores there whom to answer.
    """
    caller: bytes
    method: str = ""
    cycles_available: int = 0
    responded: bool = False
    outstanding: int = 0
    deadline: int = 0
    composite: bool = False
    origin: object = None
    undo: object = None       # composite queries: the state to return to when done


@dataclass
class Message:
    """One execution request. ``kind``: update, query, composite_query, init, post_upgrade,
    pre_upgrade, inspect_message, heartbeat, global_timer, on_low_wasm_memory."""
    kind: str
    method: str = ""
    arg: bytes = b""
    caller: bytes = b""
    cycles: int = 0
    time_ns: int = 0
    replicated: bool = True
    instruction_limit: int | None = None
    deadline: int = 0
    data_certificate: object = None   # bytes, or a callable making them on first use
    origin: object = None


@dataclass
class Callback:
    """Where the response of an outgoing call goes: function-table indexes and their env."""
    reply_fun: int
    reply_env: int
    reject_fun: int
    reject_env: int
    call_context: CallContext
    cleanup_fun: int | None = None
    cleanup_env: int = 0


@dataclass
class OutgoingCall:
    """A call performed by a committed execution; the scheduler delivers it."""
    callee: bytes
    method: str
    arg: bytes
    cycles: int
    callback: Callback
    timeout_seconds: int | None = None


@dataclass
class CallResponse:
    """The answer to an outgoing call: ``reply`` bytes, or a reject code (1..6) and message."""
    reply: bytes | None = None
    reject_code: int = 0
    reject_message: str = ""
    refund: int = 0


@dataclass
class ExecutionResult:
    """What one execution produced. ``state`` is the (same) state object, changed only if
    ``committed``. ``response`` is what the original caller gets now, if anything:
    ``("reply", bytes)`` or ``("reject", reject_code, message, error_code)``; ``refund`` is the
    part of the attached cycles that goes back with it."""
    state: CanisterState
    committed: bool
    response: tuple | None = None
    error: object = None
    calls: list = field(default_factory=list)
    logs: list = field(default_factory=list)
    call_context: CallContext | None = None
    cycles_accepted: int = 0
    cycles_burned: int = 0
    instructions: int = 0
    accepted: bool = False
    refund: int = 0
    replicated: bool = True

    @property
    def canister_logs(self):
        """The log records the replica would keep (replicated executions only)."""
        return self.logs if self.replicated else []

    @property
    def reply(self):
        """Reply bytes, or None."""
        return self.response[1] if self.response and self.response[0] == "reply" else None


def reject_response(err):
    """The ``response`` tuple for an ExecutionError."""
    return ("reject", err.reject_code, err.message, err.error_code)
