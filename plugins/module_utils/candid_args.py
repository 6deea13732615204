# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Turn the ``arg`` / ``arg_value`` / ``arg_hex`` options into Candid bytes, typed when possible.

The types come from a ``.did`` file (``did`` option) or the module's ``candid:service``
metadata; for ``init`` the service's init arguments are used, else the method's arguments.
"""

from __future__ import annotations

import hashlib

from ansible_collections.icp.canister_factory.plugins.module_utils.ic import candid
from ansible_collections.icp.canister_factory.plugins.module_utils.ic.errors import InputError

EMPTY_ARGS = b"DIDL\x00\x00"


def argument_spec():
    """The argument options shared by ic_code and ic_call."""
    return {
        "arg": {"type": "str"},
        "arg_value": {"type": "raw"},
        "arg_hex": {"type": "str"},
        "did": {"type": "path"},
    }


MUTUALLY_EXCLUSIVE = [["arg", "arg_value", "arg_hex"]]


def read_did(path):
    """Parse the .did file at ``path`` (InputError naming ``did`` when unreadable)."""
    try:
        with open(path, "r", encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise InputError("did", f"cannot read {path}: {exc.strerror}") from None
    return parse_service(text, "did")


def parse_service(text, field):
    """Parse Candid service text; errors name ``field``."""
    try:
        return candid.parse_did(text)
    except InputError as exc:
        raise InputError(field, str(exc)) from None


def arg_types(did, method=None):
    """The argument types of ``method`` (or the init arguments when None) in ``did``, or None."""
    if did is None:
        return None
    if method is None:
        return did.init_args
    func = (did.service or {}).get(method)
    if func is None:
        raise InputError("method", f"{method!r} is not a method of the service "
                         f"(methods: {', '.join(sorted(did.service or {}))})")
    return list(func.args)


def init_types_from_args_metadata(found):
    """Init argument types from ``candid:args`` metadata (``(visibility, bytes)`` or None).

    The section holds just the argument list, such as ``(record { owner : principal })``; it is
    read as the init arguments of an empty service. Anything unreadable gives None (untyped).
    """
    if not found:
        return None
    text = bytes(found[1]).decode("utf-8", "replace").strip()
    try:
        return candid.parse_did(f"service : {text} -> {{}}").init_args
    except InputError:
        return None


def encode(params, types):
    """Return the Candid bytes for ``arg``/``arg_value``/``arg_hex``; ``types`` may be None."""
    try:
        return _encode(params, types)
    except RecursionError:
        field = "arg_value" if params.get("arg_value") is not None else "arg"
        raise InputError(field, "nested too deeply for this client; flatten the value") from None


def _encode(params, types):
    if params.get("arg_hex") is not None:
        try:
            return bytes.fromhex(params["arg_hex"].strip())
        except ValueError:
            raise InputError("arg_hex", "not hex") from None
    if params.get("arg_value") is not None:
        if types is None:
            raise InputError("arg_value", "needs the argument types: give did, or use a module "
                             "or canister with candid:service metadata")
        value = params["arg_value"]
        values = [value] if len(types) == 1 else value
        if not isinstance(values, (list, tuple)) or len(values) != len(types):
            raise InputError("arg_value", f"expected a list of {len(types)} values")
        typed = [candid.from_python(t, v, path=f"arg_value[{i}]" if len(types) != 1 else "arg_value")
                 for i, (t, v) in enumerate(zip(types, values))]
        return candid.encode(list(types), typed)
    if params.get("arg") is not None:
        try:
            return candid.encode_text(params["arg"], types)
        except InputError as exc:
            raise InputError("arg", str(exc)) from None
    return EMPTY_ARGS


def sha256_hex(data):
    """Hex SHA-256 of bytes."""
    return hashlib.sha256(data).hexdigest()
