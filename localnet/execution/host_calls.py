"""The ``ic0`` host functions that build outgoing calls and tell what they cost: the
call-building half of ``host.Execution`` (which provides ``read``, ``_write128``,
``balance``, ``cc``, ``state`` and the list ``calls``)."""
from . import errors
from .errors import HostTrap, contract_violation
from .state import Callback, OutgoingCall

U64 = (1 << 64) - 1
FEE_CALL, FEE_CALL_BYTE, FEE_CREATE = 260_000, 1_000, 500_000_000_000
FEE_SIGN = 10_000_000_000
KNOWN_KEYS = ("dfx_test_key", "test_key_1", "key_1")


def u128(hi, lo):
    """The 128-bit number passed as two 64-bit halves."""
    return ((hi & U64) << 64) | (lo & U64)


class CallBuilding:
    """``ic0.call_*`` and ``ic0.cost_*``."""

    def call_new(self, callee_src, callee_size, name_src, name_size,
                 reply_fun, reply_env, reject_fun, reject_env):
        self._drop_pending()
        callee = self.read(callee_src, callee_size, "ic0.call_new")
        name = self.read(name_src, name_size, "ic0.call_new")
        try:
            method = name.decode("utf-8")
        except UnicodeDecodeError:
            raise contract_violation("ic0.call_new: method name is not valid UTF-8")
        cb = Callback(reply_fun, reply_env, reject_fun, reject_env, self.cc)
        self.pending = OutgoingCall(callee, method, b"", 0, cb)
        self._pending_arg = bytearray()

    def _building(self, name):
        if self.pending is None:
            raise contract_violation(f"ic0.{name} called when no call is under construction.")
        return self.pending

    def call_on_cleanup(self, fun, env):
        call = self._building("call_on_cleanup")
        if call.callback.cleanup_fun is not None:
            raise contract_violation("ic0.call_on_cleanup: cleanup closure already set.")
        call.callback.cleanup_fun, call.callback.cleanup_env = fun, env

    def call_data_append(self, src, size):
        self._building("call_data_append")
        self._pending_arg += self.read(src, size, "ic0.call_data_append")

    def call_with_best_effort_response(self, timeout_seconds):
        call = self._building("call_with_best_effort_response")
        if call.timeout_seconds is not None:
            raise contract_violation("ic0.call_with_best_effort_response: timeout already set.")
        call.timeout_seconds = min(timeout_seconds & 0xFFFFFFFF, 300)

    def _add_cycles(self, amount):
        call = self._building("call_cycles_add128")
        if amount > self.balance:
            raise HostTrap(errors.CONTRACT_VIOLATION,
                           f"Canister {errors.canister_text(self.state.canister_id)} is out of "
                           f"cycles: please top up the canister with at least "
                           f"{amount - self.balance} additional cycles")
        self.balance -= amount
        call.cycles += amount

    def call_cycles_add128(self, hi, lo):
        self._add_cycles(u128(hi, lo))

    def call_cycles_add(self, amount):
        self._add_cycles(amount & U64)

    def call_perform(self):
        call = self._building("call_perform")
        call.arg = bytes(self._pending_arg)
        self.calls.append(call)
        self.pending = None
        return 0

    def _drop_pending(self):
        if self.pending is not None:
            self.balance += self.pending.cycles
            self.pending = None

    def finish_calls(self):
        """Return the cycles of a call that was started but never performed."""
        self._drop_pending()

    # -- costs ----------------------------------------------------------------------------
    def cost_call(self, name_size, payload_size, dst):
        cost = FEE_CALL + FEE_CALL_BYTE * ((name_size & U64) + (payload_size & U64))
        self._write128(dst, cost, "ic0.cost_call")

    def cost_create_canister(self, dst):
        self._write128(dst, FEE_CREATE, "ic0.cost_create_canister")

    def cost_http_request(self, request_size, max_res_bytes, dst):
        n = 13
        cost = (3_000_000 + 60_000 * n) * n + (400 * (request_size & U64)
                                               + 800 * (max_res_bytes & U64)) * n
        self._write128(dst, cost, "ic0.cost_http_request")

    def _cost_signing(self, src, size, code, dst, known_codes, what):
        if code not in known_codes:
            return 1
        if self.read(src, size, what).decode("utf-8", "replace") not in KNOWN_KEYS:
            return 2
        self._write128(dst, FEE_SIGN, what)
        return 0

    def cost_sign_with_ecdsa(self, src, size, curve, dst):
        return self._cost_signing(src, size, curve, dst, (0,), "ic0.cost_sign_with_ecdsa")

    def cost_sign_with_schnorr(self, src, size, algorithm, dst):
        return self._cost_signing(src, size, algorithm, dst, (0, 1), "ic0.cost_sign_with_schnorr")

    def cost_vetkd_derive_key(self, src, size, curve, dst):
        return self._cost_signing(src, size, curve, dst, (0,), "ic0.cost_vetkd_derive_key")
