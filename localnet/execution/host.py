"""The ``ic0`` host functions, acting on one execution's working copy of the canister state."""
import ctypes

from . import errors, system_api
from .dirty import PAGE_SHIFT as TRACK_SHIFT
from .errors import contract_violation
from .host_calls import U64, CallBuilding, u128
from .host_env import EnvironmentVariables
from .host_stable import StableMemory

MAX_PRINCIPAL = 29
NON_REPLICATED = ("NRQ", "CQ", "CRy", "CRt", "CC", "F")
MAX_REPLY = {True: 2 << 20, False: 3 << 20}


class Execution(CallBuilding, StableMemory, EnvironmentVariables):
    """Working state of one message execution; committed to the canister only on success.
    The host functions of calls and their costs, of stable memory and of environment
    variables are in their mixins (``host_calls``, ``host_stable``, ``host_env``)."""

    def __init__(self, state, api_type, message, call_context, engine_env, instruction_limit):
        self.state = state
        self.api = api_type
        self.api_code = api_type.value
        self.msg = message
        self.cc = call_context
        self.env = engine_env
        self.limit = instruction_limit
        self.store = self.memory = self.dirty = None
        self.balance = state.cycles
        self.timer = state.global_timer
        self.certified = state.certified_data
        self.available = call_context.cycles_available if call_context else 0
        self.responded = call_context.responded if call_context else False
        self.reply_buf = bytearray()
        self.response = None
        self.pending = None
        self._pending_arg = bytearray()
        self.calls = []
        self.logs = []
        self.accepted_cycles = 0
        self.burned = 0
        self.accepted_message = False
        self.arg = message.arg if message else b""
        self.reject = None        # (code, message) seen by a reject callback
        self.refunded = 0
        self.refund = 0
        self.used = 0
        self.trap_text = None
        self.replicated = api_type.value not in NON_REPLICATED and (
            message is None or message.replicated)

    # -- memory helpers -------------------------------------------------------------------
    def _base(self, start, size, what):
        length = self.memory.data_len(self.store)
        if start < 0 or size < 0 or start + size > length:
            raise contract_violation(
                f"{what}: src={start} + length={size} exceeds the slice size {length}")
        return ctypes.addressof(self.memory.data_ptr(self.store).contents) + start

    def read(self, src, size, what):
        """Bytes of the canister's memory; traps on out-of-bounds access."""
        if size == 0:
            return b""
        return ctypes.string_at(self._base(src, size, what), size)

    def write(self, dst, data, what):
        """Write into the canister's memory (marking the pages); traps when out of bounds."""
        if data:
            ctypes.memmove(self._base(dst, len(data), what), bytes(data), len(data))
            if self.dirty is not None:
                first, last = dst >> TRACK_SHIFT, (dst + len(data) - 1) >> TRACK_SHIFT
                base = ctypes.addressof(self.dirty.data_ptr(self.store).contents)
                ctypes.memset(base + first, 1, last - first + 1)

    def copy_out(self, dst, offset, size, data, what):
        """The common ``*_copy(dst, offset, size)`` pattern."""
        if offset < 0 or size < 0 or offset + size > len(data):
            raise contract_violation(f"{what}: offset + size exceeds the size of the data "
                                     f"({offset} + {size} > {len(data)})")
        self.write(dst, data[offset:offset + size], what)

    def check(self, name):
        """Trap unless ``ic0.<name>`` may be called in this context."""
        if self.api.value not in system_api.allowed_contexts(name):
            raise contract_violation(f'"ic0_{name}" cannot be executed in {self.api.label} mode')

    def instructions(self):
        """Fuel used so far in this execution."""
        return self.limit - self.store.get_fuel()

    # -- message data ---------------------------------------------------------------------
    def msg_arg_data_size(self):
        return len(self.arg)

    def msg_arg_data_copy(self, dst, offset, size):
        self.copy_out(dst, offset, size, self.arg, "ic0.msg_arg_data_copy")

    def _caller(self):
        return self.cc.caller if self.cc else (self.msg.caller if self.msg else b"")

    def msg_caller_size(self):
        return len(self._caller())

    def msg_caller_copy(self, dst, offset, size):
        self.copy_out(dst, offset, size, self._caller(), "ic0.msg_caller_copy")

    def msg_caller_info_data_size(self):
        return 0

    def msg_caller_info_data_copy(self, dst, offset, size):
        self.copy_out(dst, offset, size, b"", "ic0.msg_caller_info_data_copy")

    msg_caller_info_signer_size = msg_caller_info_data_size

    def msg_caller_info_signer_copy(self, dst, offset, size):
        self.copy_out(dst, offset, size, b"", "ic0.msg_caller_info_signer_copy")

    def msg_reject_code(self):
        return self.reject[0] if self.reject else 0

    def _reject_text(self, name):
        if not self.reject:
            raise contract_violation(f"{name}: there is no reject message in a reply callback")
        return self.reject[1].encode("utf-8")

    def msg_reject_msg_size(self):
        return len(self._reject_text("ic0.msg_reject_msg_size"))

    def msg_reject_msg_copy(self, dst, offset, size):
        data = self._reject_text("ic0.msg_reject_msg_copy")
        self.copy_out(dst, offset, size, data, "ic0.msg_reject_msg_copy")

    def msg_deadline(self):
        return self.cc.deadline if self.cc else 0

    def msg_method_name_size(self):
        return len(self.msg.method.encode())

    def msg_method_name_copy(self, dst, offset, size):
        self.copy_out(dst, offset, size, self.msg.method.encode(), "ic0.msg_method_name_copy")

    def accept_message(self):
        if self.accepted_message:
            raise contract_violation("ic0.accept_message: the function was already called.")
        self.accepted_message = True

    # -- responding -----------------------------------------------------------------------
    def _respondable(self, name):
        if self.responded:
            raise contract_violation(f"ic0.{name}: the call is already replied")

    def msg_reply_data_append(self, src, size):
        self._respondable("msg_reply_data_append")
        limit = MAX_REPLY[self.replicated]
        if len(self.reply_buf) + size > limit:
            raise contract_violation(
                f"ic0.msg_reply_data_append: application payload size ({len(self.reply_buf) + size}) "
                f"cannot be larger than {limit}.")
        self.reply_buf += self.read(src, size, "ic0.msg_reply_data_append")

    def msg_reply(self):
        self._respondable("msg_reply")
        self.responded = True
        self.response = ("reply", bytes(self.reply_buf))
        self.refund, self.available = self.available, 0

    def msg_reject(self, src, size):
        self._respondable("msg_reject")
        raw = self.read(src, size, "ic0.msg_reject")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise contract_violation("ic0.msg_reject: invalid UTF-8 string provided")
        self.responded = True
        self.response = ("reject", 4, text, errors.CANISTER_REJECT)
        self.refund, self.available = self.available, 0

    # -- cycles ---------------------------------------------------------------------------
    def _write128(self, dst, value, what):
        self.write(dst, value.to_bytes(16, "little"), what)

    def msg_cycles_available128(self, dst):
        self._write128(dst, self.available, "ic0.msg_cycles_available128")

    def msg_cycles_refunded128(self, dst):
        self._write128(dst, self.refunded, "ic0.msg_cycles_refunded128")

    def _accept(self, wanted):
        amount = min(wanted, self.available)
        self.available -= amount
        self.balance += amount
        self.accepted_cycles += amount
        return amount

    def msg_cycles_accept128(self, hi, lo, dst):
        self._write128(dst, self._accept(u128(hi, lo)), "ic0.msg_cycles_accept128")

    def cycles_burn128(self, hi, lo, dst):
        amount = min(u128(hi, lo), self.balance)
        self.balance -= amount
        self.burned += amount
        self._write128(dst, amount, "ic0.cycles_burn128")

    def canister_cycle_balance128(self, dst):
        self._write128(dst, self.balance, "ic0.canister_cycle_balance128")

    def canister_liquid_cycle_balance128(self, dst):
        self._write128(dst, self.balance, "ic0.canister_liquid_cycle_balance128")

    def mint_cycles128(self, hi, lo, dst):
        if not self.env.may_mint(self.state.canister_id):
            raise contract_violation("ic0.mint_cycles128 cannot be executed. Should only be "
                                     "called by the cycles minting canister.")
        amount = u128(hi, lo)
        self.balance += amount
        self._write128(dst, amount, "ic0.mint_cycles128")

    def msg_cycles_available(self):
        if self.available > U64:
            raise contract_violation("ic0.msg_cycles_available: the amount does not fit in 64 bits")
        return self.available

    def msg_cycles_refunded(self):
        if self.refunded > U64:
            raise contract_violation("ic0.msg_cycles_refunded: the amount does not fit in 64 bits")
        return self.refunded

    def msg_cycles_accept(self, amount):
        return self._accept(amount & U64)

    def canister_cycle_balance(self):
        if self.balance > U64:
            raise contract_violation("ic0.canister_cycle_balance: the balance does not fit in "
                                     "64 bits; use canister_cycle_balance128")
        return self.balance

    # -- identity, status, time -----------------------------------------------------------
    def canister_self_size(self):
        return len(self.state.canister_id)

    def canister_self_copy(self, dst, offset, size):
        self.copy_out(dst, offset, size, self.state.canister_id, "ic0.canister_self_copy")

    def subnet_self_size(self):
        return len(self.env.subnet_id_of(self.state.canister_id))

    def subnet_self_copy(self, dst, offset, size):
        self.copy_out(dst, offset, size, self.env.subnet_id_of(self.state.canister_id),
                      "ic0.subnet_self_copy")

    def canister_status(self):
        return self.state.status

    def canister_version(self):
        return self.state.version

    def time(self):
        return self.msg.time_ns if self.msg else 0

    def global_timer_set(self, timestamp):
        old, self.timer = self.timer, timestamp & U64
        return old

    def performance_counter(self, kind):
        if kind not in (0, 1):
            raise contract_violation(f"ic0.performance_counter: unknown counter type {kind}")
        return self.instructions()

    def is_controller(self, src, size):
        if size > MAX_PRINCIPAL:
            raise contract_violation(f"ic0.is_controller: principal of {size} bytes is too long")
        return int(self.read(src, size, "ic0.is_controller") in self.state.controllers)

    def in_replicated_execution(self):
        return int(self.replicated)

    def root_key_size(self):
        return len(self.env.root_key)

    def root_key_copy(self, dst, offset, size):
        self.copy_out(dst, offset, size, self.env.root_key, "ic0.root_key_copy")

    # -- certified data -------------------------------------------------------------------
    def certified_data_set(self, src, size):
        if size > 32:
            raise contract_violation("ic0_certified_data_set failed because the passed data must "
                                     f"be no larger than 32 bytes. Found {size} bytes.")
        self.certified = self.read(src, size, "ic0.certified_data_set")

    def _certificate(self):
        cert = self.msg.data_certificate if self.msg else None
        if callable(cert):
            # Signing costs ~1 ms, so the certificate may be made only when asked for.
            cert = self.msg.data_certificate = cert()
        return cert or b""

    def data_certificate_present(self):
        return int(bool(self.msg and self.msg.data_certificate))

    def data_certificate_size(self):
        return len(self._certificate())

    def data_certificate_copy(self, dst, offset, size):
        self.copy_out(dst, offset, size, self._certificate(), "ic0.data_certificate_copy")

    # -- debugging ------------------------------------------------------------------------
    def debug_print(self, src, size):
        self.logs.append((self.time(), self.read(src, size, "ic0.debug_print")))

    def logs_with_trap(self, err):
        """The log records, plus the trap line the replica adds when a replicated run fails."""
        logs = list(self.logs)
        if err is not None and self.replicated and self.trap_text:
            logs.append((self.time(), f"[TRAP]: {self.trap_text}".encode()))
        return logs

    def trap(self, src, size):
        text = self.read(src, size, "ic0.trap").decode("utf-8", "replace")
        raise errors.called_trap(text)
