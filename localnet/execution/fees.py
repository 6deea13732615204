"""What executing canister code costs, as a 13-node application subnet charges it.

Figures from the replica's ``CyclesAccountManagerConfig::application_subnet()`` (see
shared reference management-canister.md, "Cycle costs"). Queries are free.
"""

UPDATE_BASE_FEE = 5_000_000
CYCLES_PER_INSTRUCTION = 1
WASM64_MULTIPLIER = 2
INGRESS_RECEPTION_FEE = 1_200_000
INGRESS_BYTE_FEE = 2_000
CALL_FEE = 260_000
CALL_BYTE_FEE = 1_000


def execution(instructions, wasm64):
    """One message execution (update, callback, timer, install step) of ``instructions``."""
    per_instruction = CYCLES_PER_INSTRUCTION * (WASM64_MULTIPLIER if wasm64 else 1)
    return UPDATE_BASE_FEE + instructions * per_instruction


def ingress(method, arg):
    """Inducting an ingress message: a fixed fee plus its payload bytes."""
    return INGRESS_RECEPTION_FEE + INGRESS_BYTE_FEE * (len(method.encode()) + len(arg))


def outgoing_calls(calls):
    """Sending inter-canister requests (each paid by its caller)."""
    return sum(CALL_FEE + CALL_BYTE_FEE * (len(c.method.encode()) + len(c.arg)) for c in calls)
