"""Candid arguments as playbooks write them: text or YAML data, typed by an optional ``.did``
(path or content) and a type or method name. Shared by the filter plugins and modules."""
import os

from .errors import CandidError, InputError


def load_did(did):
    """A parsed DidFile from ``.did`` content or a path to a ``.did`` file."""
    from .candid import parse_did
    if hasattr(did, "service"):
        return did
    if not isinstance(did, str) or not did.strip():
        raise InputError("did", "expected .did text or the path of a .did file")
    text = did
    if "\n" not in did and not did.lstrip().startswith(("service", "type", "//", "import")):
        if not os.path.isfile(did):
            raise InputError("did", f"{did!r} is neither .did text nor a readable file")
        with open(did, encoding="utf-8") as handle:
            text = handle.read()
    return parse_did(text)


def resolve_types(did=None, type=None, method=None, returns=False):
    """The list of Candid types selected by ``type`` and/or ``method`` (None when neither).

    ``type`` is a name defined in the .did, or a type expression (``nat``, ``(nat, text)``,
    ``record { a : nat }``); ``method`` picks a service method's argument types, or its
    result types with ``returns=True``.
    """
    from .candid import parse_types
    if type is not None and method is not None:
        raise InputError("type", "give either type or method, not both")
    parsed = load_did(did) if did is not None else None
    if method is not None:
        if parsed is None:
            raise InputError("method", "a method name needs the .did file (did=...)")
        return parsed.ret_types(method) if returns else parsed.arg_types(method)
    if type is None:
        return None
    env = parsed.types if parsed is not None else {}
    if type in env:
        return [env[type]]
    text = type.strip()
    if not text.startswith("("):
        text = f"({text})"
    try:
        return parse_types(text, env)
    except CandidError as exc:
        raise InputError("type", f"{type!r} is not a type name in the .did nor a Candid "
                         f"type: {exc}") from None


def too_deep(field=None):
    """InputError for input nested beyond the stack (never Python's RecursionError)."""
    from .candid import too_deep as candid_too_deep
    error = candid_too_deep()
    return InputError(field, error.message) if field else error


def encode_args(value, did=None, type=None, method=None, types=None, field=None):
    """Encode Candid text, or YAML/JSON data typed by ``type``/``method``; return bytes.

    ``types`` gives the argument types directly (instead of ``did``/``type``/``method``).
    ``field`` names the option the value came from: errors then name it (``arg_value[1].owner:
    ...``); without it, data errors name the position (``[1].owner``) and text errors the place
    in the text.
    """
    try:
        return _encode_args(value, did, type, method, types, field)
    except RecursionError:
        raise too_deep(field) from None


def _encode_args(value, did, type, method, types, field):  # pylint: disable=redefined-builtin
    from .candid import encode, from_python, parse_args_text
    if types is None:
        types = resolve_types(did, type, method)
    if isinstance(value, str):
        try:
            arg_types, values = parse_args_text(value, types)
        except InputError as exc:
            if field is None:
                raise
            raise InputError(field, str(exc)) from None
        return encode(arg_types, values)
    if types is None:
        raise InputError(field or "value", "data other than Candid text needs a type: give a .did "
                         "(did=, or a module or canister with candid:service metadata) and a type or method")
    single = len(types) == 1
    items = [value] if single or not isinstance(value, (list, tuple)) else list(value)
    if len(items) != len(types):
        raise InputError(field or "value", f"expected a list of {len(types)} values, got {len(items)}")

    def path(i):
        if field is None:
            return f"[{i}]"
        return field if single else f"{field}[{i}]"
    return encode(types, [from_python(t, v, path(i)) for i, (t, v) in enumerate(zip(types, items))])


def init_types_from_args_metadata(found):
    """Init argument types from ``candid:args`` metadata (``(visibility, bytes)`` or None).

    The section holds just the argument list, such as ``(record { owner : principal })``; it is
    read as the init arguments of an empty service. Anything unreadable gives None (untyped).
    """
    from .candid import parse_did
    if not found:
        return None
    text = bytes(found[1]).decode("utf-8", "replace").strip()
    try:
        return parse_did(f"service : {text} -> {{}}").init_args
    except InputError:
        return None


def decode_args(data, did=None, type=None, method=None, output="text"):
    """Decode Candid bytes (or hex) to Candid text (``output="text"``) or JSON-ready data
    (``"json"``: a list, one item per value). A method selects its result types."""
    from .candid import decode_typed, format_args, to_json
    if isinstance(data, str):
        try:
            data = bytes.fromhex(data.strip().removeprefix("0x"))
        except ValueError:
            raise InputError("value", "expected hex text of a Candid message") from None
    types = resolve_types(did, type, method, returns=True)
    try:
        arg_types, values = decode_typed(bytes(data), types)
    except RecursionError:
        raise too_deep() from None
    if output == "text":
        return format_args(arg_types, values)
    if output == "json":
        return to_json(arg_types, values)
    raise InputError("output", f"{output!r} is not one of text, json")
