"""A minimal in-test message router: ingress, inter-canister requests and their callbacks.

It drives the engine the way localnet's scheduler will, and keeps what tests check: every
response, log line and call made.
"""
from collections import deque

from _ic.principal import Principal
from localnet.execution import CallResponse, CanisterState, Message

NOT_FOUND = 3


class Net:
    """Canisters by raw id, run to quiescence after every ingress message."""

    def __init__(self, engine, time_ns=1_700_000_000_000_000_000):
        self.engine = engine
        self.time_ns = time_ns
        self.canisters = {}
        self.logs = []
        self.calls = []
        self._next = 1

    def create(self, controllers=(), cycles=10**13):
        """A new empty canister; returns its state."""
        cid = Principal.from_canister_index(self._next).raw
        self._next += 1
        state = CanisterState(cid, controllers=controllers, cycles=cycles)
        self.canisters[cid] = state
        return state

    def install(self, state, wasm, arg=b"", caller=b""):
        """Install code; returns the ExecutionResult."""
        self.time_ns += 1000
        return self.engine.install(state, wasm, arg, caller, self.time_ns)

    def ingress(self, state, method, arg=b"", caller=b"", kind="update", cycles=0):
        """Send one message and route everything it causes; returns its response tuple."""
        self.time_ns += 1000
        box = {}
        result = self.engine.run(state, Message(kind, method, arg, caller, cycles=cycles,
                                                time_ns=self.time_ns, origin=("ingress", box)))
        self._drain(state.canister_id, result)
        return box.get("response")

    def _drain(self, source, first):
        queue = deque([(source, first)])
        while queue:
            source, result = queue.popleft()
            self.logs.extend((source, line) for _, line in result.logs)
            if result.response is not None:
                self._respond(result, queue)
            for call in result.calls:
                self.calls.append((source, call.callee, call.method))
                self._deliver(source, call, queue)

    def _respond(self, result, queue):
        kind, *payload = result.call_context.origin
        response = result.response
        if kind == "ingress":
            payload[0]["response"] = response
            return
        source, call = payload
        if response[0] == "reply":
            answer = CallResponse(reply=response[1], refund=result.refund)
        else:
            answer = CallResponse(reject_code=response[1], reject_message=response[2],
                                  refund=result.refund)
        self._callback(source, call, answer, queue)

    def _callback(self, source, call, answer, queue):
        self.time_ns += 1000
        state = self.canisters[source]
        queue.append((source, self.engine.run_callback(state, call.callback, answer,
                                                       self.time_ns)))

    def _deliver(self, source, call, queue):
        target = self.canisters.get(call.callee)
        if target is None:
            text = f"Canister {Principal(call.callee).to_text()} not found"
            self._callback(source, call, CallResponse(reject_code=NOT_FOUND, reject_message=text,
                                                      refund=call.cycles), queue)
            return
        self.time_ns += 1000
        kind = "query" if call.callback.call_context.composite else "update"
        result = self.engine.run(target, Message(kind, call.method, call.arg, source,
                                                 cycles=call.cycles, time_ns=self.time_ns,
                                                 origin=("call", source, call)))
        queue.append((call.callee, result))
