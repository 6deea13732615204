"""Management replies in the shape of an older or a newer replica (``serve --reply-shape``).

Replicas lag the interface spec and also run ahead of it, so a client must decode replies
that lack the newest fields and replies that carry fields and variant cases it has never
heard of. ``spec`` is localnet's own interface (ic.did plus what current replicas send).
``older`` drops what replicas added in 2025-2026 (canister ``version``,
``ready_for_migration``, ``memory_metrics``, the newer settings); ``newer`` adds fields and
variant cases that no spec has yet. Only replies change: requests are read as in ``spec``.
"""
from _ic import candid
from _ic.candid import types as T

SHAPES = ("older", "spec", "newer")

# Lines of the (already extended) interface text an older replica does not send.
_OLDER_DROPS = (
    "    ready_for_migration : bool;\n",
    "    version : nat64;\n",
    "    minimum_incoming_canister_call_cycles : nat;\n",
    "    snapshot_visibility : snapshot_visibility;\n",
    "    status_visibility : status_visibility;\n",
    "    wasm_memory_threshold : nat;\n",
    "    environment_variables : vec environment_variable;\n    log_memory_limit : nat;\n",
)
_OLDER_BLOCK = ("    memory_metrics : record {\n", "    };\n    cycles : nat;\n")

# (anchor, text inserted after it): new record fields and new variant cases.
_NEWER_ADDS = (
    ("type canister_status_result = record {\n    status : variant {\n        running;\n",
     "        migrating;\n"),
    ("    environment_variables : vec environment_variable;\n    log_memory_limit : nat;\n",
     "    future_setting_limit : nat;\n    future_visibility : variant { controllers; "
     "everyone_in : vec principal };\n"),
    ("        log_memory_store_size : nat;\n", "        future_memory_size : nat;\n"),
    ("    idle_cycles_burned_per_day : nat;\n",
     "    future_stats : record { calls : nat; note : text };\n    future_flag : opt bool;\n"),
)


def shaped_did(text, shape):
    """The parsed interface whose reply types have ``shape`` (``text``: the spec's)."""
    if shape not in SHAPES:
        raise ValueError(f"reply shape: must be one of {', '.join(SHAPES)}")
    if shape == "older":
        text = _older(text)
    elif shape == "newer":
        text = _newer(text)
    return candid.parse_did(text)


def _once(text, old, new):
    if text.count(old) != 1:
        raise RuntimeError(f"interface changed: cannot reshape it at {old.strip()!r}")
    return text.replace(old, new)


def _older(text):
    for line in _OLDER_DROPS:
        if line.endswith("log_memory_limit : nat;\n"):
            text = _once(text, line, "")
            continue
        # Some lines occur in more than one type; drop them only in reply types.
        text = _drop_in_reply_types(text, line)
    start = text.index(_OLDER_BLOCK[0])
    end = text.index(_OLDER_BLOCK[1], start)
    return text[:start] + text[end + len("    };\n"):]


_REPLY_TYPES = ("type definite_canister_settings = record {", "type canister_status_result")


def _drop_in_reply_types(text, line):
    for head in _REPLY_TYPES:
        start = text.index(head)
        end = text.index("\n};", start)
        block = text[start:end]
        if line in block:
            text = text[:start] + block.replace(line, "", 1) + text[end:]
    return text


def _newer(text):
    for anchor, added in _NEWER_ADDS:
        text = _once(text, anchor, anchor + added)
    return text


def fit(t, value):
    """``value`` (of the spec's type) reshaped to type ``t``: fields ``t`` lacks are dropped,
    fields only ``t`` has get a plain value (0, "", [], null, the first variant case)."""
    t = t.resolve()
    code = t.code
    if code == T.RECORD:
        value = value if isinstance(value, dict) else {}
        if t.is_tuple:
            return value
        return {f.label: fit(f.type, value[f.label]) if f.label in value
                else _plain(f.type) for f in t.fields}
    if code == T.OPT:
        return None if value is None else fit(t.inner, value)
    if code == T.VEC and isinstance(value, list):
        return [fit(t.inner, item) for item in value]
    if code == T.VARIANT and isinstance(value, dict) and len(value) == 1:
        (tag, item), = value.items()
        for f in t.fields:
            if f.label == tag:
                return {tag: fit(f.type, item)}
    return value


def _plain(t):
    t = t.resolve()
    code = t.code
    if code in (T.OPT, T.NULL, T.RESERVED):
        return None
    if code == T.RECORD:
        return {f.label: _plain(f.type) for f in t.fields}
    if code == T.VARIANT:
        return {t.fields[0].label: _plain(t.fields[0].type)}
    if code == T.VEC:
        return []
    if code == T.TEXT:
        return ""
    if code == T.BOOL:
        return False
    return 0
