"""Replica-style execution errors: reject code, IC error code and the replica's wording."""
from dataclasses import dataclass

from _ic.principal import Principal

DOC_BASE = "http://internetcomputer.org/docs/current/references/execution-errors#"

CANISTER_TRAPPED = "IC0502"
CANISTER_CALLED_TRAP = "IC0503"
CONTRACT_VIOLATION = "IC0504"
INVALID_WASM = "IC0505"
DID_NOT_REPLY = "IC0506"
OUT_OF_MEMORY = "IC0507"
FUNCTION_NOT_FOUND = "IC0513"
INSTRUCTION_LIMIT = "IC0522"
METHOD_NOT_FOUND = "IC0536"
WASM_MODULE_NOT_FOUND = "IC0537"
WASM_MEMORY_LIMIT = "IC0539"
CANISTER_REJECT = "IC0406"

_TRAP_HELP = ("Consider gracefully handling failures from this canister or altering the canister "
              "to handle exceptions.")
HELP = {
    CANISTER_TRAPPED: (_TRAP_HELP, "trapped"),
    CANISTER_CALLED_TRAP: (_TRAP_HELP, "trapped-explicitly"),
    INSTRUCTION_LIMIT: ("Try optimizing this method to consume fewer instructions or split the "
                        "work across multiple messages.", "instruction-limit-exceeded"),
    METHOD_NOT_FOUND: ("Check that the method being called is exported by the target canister.",
                       "method-not-found"),
    WASM_MODULE_NOT_FOUND: ("Please install code to this canister before calling it.",
                            "wasm-module-not-found"),
    WASM_MEMORY_LIMIT: ("Try checking the canister for a possible memory leak or modifying it to "
                        "use more stable memory instead of Wasm memory.",
                        "wasm-memory-limit-exceeded"),
}


@dataclass
class ExecutionError(Exception):
    """A failed execution as a caller sees it (reject code 5 unless said otherwise)."""
    error_code: str
    message: str
    reject_code: int = 5

    def __str__(self):
        return f"{self.message} ({self.error_code})"

    def as_dict(self):
        """``{"reject_code", "error_code", "message"}`` like ``ic.errors.Reject.as_dict``."""
        return {"reject_code": self.reject_code, "error_code": self.error_code,
                "message": self.message}


def canister_text(canister_id):
    """Textual form of a canister id given as bytes or Principal."""
    if isinstance(canister_id, (bytes, bytearray)):
        return Principal(bytes(canister_id)).to_text()
    return str(canister_id)


def user_error(canister_id, error_code, text):
    """Wrap a hypervisor error text the way the replica reports it to users."""
    help_ = HELP.get(error_code)
    who = canister_text(canister_id)
    if help_:
        suggestion, anchor = help_
        message = f"Error from Canister {who}: {text}.\n{suggestion} See documentation: {DOC_BASE}{anchor}"
    else:
        message = f"Error from Canister {who}: {text}"
    return ExecutionError(error_code, message)


class HostTrap(Exception):
    """Raised inside a host function to abort the execution with a given error."""

    def __init__(self, error_code, text, log=None):
        super().__init__(text)
        self.error_code = error_code
        self.text = text
        self.log = log or text


def called_trap(message):
    """``ic0.trap`` called by the canister."""
    return HostTrap(CANISTER_CALLED_TRAP, f"Canister called `ic0.trap` with message: '{message}'",
                    log=message)


def contract_violation(text):
    """The canister broke a System API rule."""
    return HostTrap(CONTRACT_VIOLATION, f"Canister violated contract: {text}")


def invalid_wasm(text):
    """An install-time validation error (IC0505)."""
    return ExecutionError(INVALID_WASM, f"Canister's Wasm module is not valid: {text}")


WASM_TRAP_TEXT = {
    "STACK_OVERFLOW": "stack overflow",
    "MEMORY_OUT_OF_BOUNDS": "heap out of bounds",
    "HEAP_MISALIGNED": "heap out of bounds",
    "TABLE_OUT_OF_BOUNDS": "table out of bounds",
    "INDIRECT_CALL_TO_NULL": "uninitialized element",
    "BAD_SIGNATURE": "indirect call type mismatch",
    "INTEGER_OVERFLOW": "integer overflow",
    "INTEGER_DIVISION_BY_ZERO": "integer division by 0",
    "BAD_CONVERSION_TO_INTEGER": "invalid conversion to integer",
    "UNREACHABLE": "unreachable",
}


def wasm_trap_text(code_name, message):
    """The replica's short text for a Wasm trap (wasmtime's own cause line as a fallback)."""
    if code_name in WASM_TRAP_TEXT:
        return WASM_TRAP_TEXT[code_name]
    for line in message.splitlines():
        if line.strip().startswith("wasm trap:"):
            return line.strip()[len("wasm trap:"):].strip()
    return message.splitlines()[0] if message else "unknown trap"
