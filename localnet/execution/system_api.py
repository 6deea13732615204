"""The ``ic0`` System API as data: each import's Wasm signature and the contexts that may call it.

``I`` stands for the pointer/size type: i32 in 32-bit modules, i64 in memory64 modules.
Context codes follow the interface specification (see ``ApiType``).
"""
from enum import Enum


class ApiType(Enum):
    """The execution context of a message; ``value`` is the spec's short code."""
    START = "s"
    INIT = "I"
    PRE_UPGRADE = "G"
    UPDATE = "U"
    REPLICATED_QUERY = "RQ"
    NON_REPLICATED_QUERY = "NRQ"
    COMPOSITE_QUERY = "CQ"
    REPLY_CALLBACK = "Ry"
    REJECT_CALLBACK = "Rt"
    COMPOSITE_REPLY_CALLBACK = "CRy"
    COMPOSITE_REJECT_CALLBACK = "CRt"
    CLEANUP = "C"
    COMPOSITE_CLEANUP = "CC"
    INSPECT_MESSAGE = "F"
    SYSTEM_TASK = "T"

    @property
    def label(self):
        """The mode name used in contract-violation messages."""
        return _LABELS[self]


_LABELS = {
    ApiType.START: "start", ApiType.INIT: "init", ApiType.PRE_UPGRADE: "pre upgrade",
    ApiType.UPDATE: "update", ApiType.REPLICATED_QUERY: "replicated query",
    ApiType.NON_REPLICATED_QUERY: "non replicated query",
    ApiType.COMPOSITE_QUERY: "composite query", ApiType.REPLY_CALLBACK: "reply callback",
    ApiType.REJECT_CALLBACK: "reject callback",
    ApiType.COMPOSITE_REPLY_CALLBACK: "composite reply callback",
    ApiType.COMPOSITE_REJECT_CALLBACK: "composite reject callback",
    ApiType.CLEANUP: "cleanup", ApiType.COMPOSITE_CLEANUP: "composite cleanup",
    ApiType.INSPECT_MESSAGE: "inspect message", ApiType.SYSTEM_TASK: "system task",
}

_ALL = "I G U RQ NRQ CQ Ry Rt CRy CRt C CC F T"
_ALL_S = _ALL + " s"
_ARG = "I U RQ NRQ CQ Ry CRy F"
_CALLER_INFO = "U RQ NRQ CQ Ry Rt CRy CRt C CC F"
_REPLY = "U RQ NRQ CQ Ry Rt CRy CRt"
_CYCLES = "U RQ Rt Ry"
_CALL = "U CQ Ry Rt CRy CRt T"
_WRITE = "I G U Ry Rt C T"
_COST = _ALL_S

# name: (params, results, contexts, only in 32-bit modules)
SPEC = {
    "msg_arg_data_size": ((), ("I",), _ARG),
    "msg_arg_data_copy": (("I", "I", "I"), (), _ARG),
    "msg_caller_size": ((), ("I",), _ALL),
    "msg_caller_copy": (("I", "I", "I"), (), _ALL),
    "msg_caller_info_data_size": ((), ("I",), _CALLER_INFO),
    "msg_caller_info_data_copy": (("I", "I", "I"), (), _CALLER_INFO),
    "msg_caller_info_signer_size": ((), ("I",), _CALLER_INFO),
    "msg_caller_info_signer_copy": (("I", "I", "I"), (), _CALLER_INFO),
    "msg_reject_code": ((), ("i32",), "Ry Rt CRy CRt C CC"),
    "msg_reject_msg_size": ((), ("I",), "Rt CRt"),
    "msg_reject_msg_copy": (("I", "I", "I"), (), "Rt CRt"),
    "msg_deadline": ((), ("i64",), "U RQ NRQ CQ Ry Rt CRy CRt"),
    "msg_method_name_size": ((), ("I",), "F"),
    "msg_method_name_copy": (("I", "I", "I"), (), "F"),
    "accept_message": ((), (), "F"),
    "msg_reply_data_append": (("I", "I"), (), _REPLY),
    "msg_reply": ((), (), _REPLY),
    "msg_reject": (("I", "I"), (), _REPLY),
    "msg_cycles_available128": (("I",), (), _CYCLES),
    "msg_cycles_refunded128": (("I",), (), "Rt Ry"),
    "msg_cycles_accept128": (("i64", "i64", "I"), (), _CYCLES),
    "cycles_burn128": (("i64", "i64", "I"), (), "I G U RQ Ry Rt C T"),
    "canister_cycle_balance128": (("I",), (), _ALL),
    "canister_liquid_cycle_balance128": (("I",), (), _ALL),
    "mint_cycles128": (("i64", "i64", "I"), (), "U Rt Ry"),
    "canister_self_size": ((), ("I",), _ALL),
    "canister_self_copy": (("I", "I", "I"), (), _ALL),
    "subnet_self_size": ((), ("I",), _ALL),
    "subnet_self_copy": (("I", "I", "I"), (), _ALL),
    "canister_status": ((), ("i32",), _ALL),
    "canister_version": ((), ("i64",), _ALL),
    "time": ((), ("i64",), _ALL),
    "global_timer_set": (("i64",), ("i64",), _WRITE),
    "performance_counter": (("i32",), ("i64",), _ALL_S),
    "is_controller": (("I", "I"), ("i32",), _ALL_S),
    "in_replicated_execution": ((), ("i32",), _ALL_S),
    "root_key_size": ((), ("I",), "I G U RQ Ry Rt C T"),
    "root_key_copy": (("I", "I", "I"), (), "I G U RQ Ry Rt C T"),
    "call_new": (("I",) * 8, (), _CALL),
    "call_on_cleanup": (("I", "I"), (), _CALL),
    "call_data_append": (("I", "I"), (), _CALL),
    "call_with_best_effort_response": (("i32",), (), _CALL),
    "call_cycles_add128": (("i64", "i64"), (), "U Ry Rt T"),
    "call_perform": ((), ("i32",), _CALL),
    "stable64_size": ((), ("i64",), _ALL_S),
    "stable64_grow": (("i64",), ("i64",), _ALL_S),
    "stable64_write": (("i64", "i64", "i64"), (), _ALL_S),
    "stable64_read": (("i64", "i64", "i64"), (), _ALL_S),
    "certified_data_set": (("I", "I"), (), "I G U Ry Rt T"),
    "data_certificate_present": ((), ("i32",), _ALL),
    "data_certificate_size": ((), ("I",), "NRQ CQ"),
    "data_certificate_copy": (("I", "I", "I"), (), "NRQ CQ"),
    "cost_call": (("i64", "i64", "I"), (), _COST),
    "cost_create_canister": (("I",), (), _COST),
    "cost_http_request": (("i64", "i64", "I"), (), _COST),
    "cost_sign_with_ecdsa": (("I", "I", "i32", "I"), ("i32",), _COST),
    "cost_sign_with_schnorr": (("I", "I", "i32", "I"), ("i32",), _COST),
    "cost_vetkd_derive_key": (("I", "I", "i32", "I"), ("i32",), _COST),
    "env_var_count": ((), ("I",), _ALL),
    "env_var_name_size": (("I",), ("I",), _ALL),
    "env_var_name_copy": (("I", "I", "I", "I"), (), _ALL),
    "env_var_name_exists": (("I", "I"), ("i32",), _ALL),
    "env_var_value_size": (("I", "I"), ("I",), _ALL),
    "env_var_value_copy": (("I", "I", "I", "I", "I"), (), _ALL),
    "debug_print": (("I", "I"), (), _ALL_S),
    "trap": (("I", "I"), (), _ALL_S),
}

SPEC_32_ONLY = {
    "msg_cycles_available": ((), ("i64",), _CYCLES),
    "msg_cycles_refunded": ((), ("i64",), "Rt Ry"),
    "msg_cycles_accept": (("i64",), ("i64",), _CYCLES),
    "canister_cycle_balance": ((), ("i64",), _ALL),
    "call_cycles_add": (("i64",), (), "U Ry Rt T"),
    "stable_size": ((), ("i32",), _ALL_S),
    "stable_grow": (("i32",), ("i32",), _ALL_S),
    "stable_write": (("i32", "i32", "i32"), (), _ALL_S),
    "stable_read": (("i32", "i32", "i32"), (), _ALL_S),
}


def signatures(memory64):
    """``{name: (params, results)}`` with concrete value types for one module width."""
    width = "i64" if memory64 else "i32"
    table = dict(SPEC)
    if not memory64:
        table.update(SPEC_32_ONLY)
    return {name: (tuple(width if t == "I" else t for t in params),
                   tuple(width if t == "I" else t for t in results))
            for name, (params, results, _ctx) in table.items()}


def allowed_contexts(name):
    """The set of context codes in which ``ic0.<name>`` may be called."""
    entry = SPEC.get(name) or SPEC_32_ONLY[name]
    return frozenset(entry[2].split())
