# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``arg`` / ``arg_value`` / ``arg_hex`` / ``did`` options of ic_code and ic_call.

The encoding itself is the client's (``ic/candid_args.py``, shared with the filter plugins);
this file holds the options and how they select it.

The types come from a ``.did`` file (``did`` option) or the module's ``candid:service``
metadata; for ``init`` the service's init arguments are used, else the method's arguments.
"""

from __future__ import annotations

import hashlib

from ansible_collections.icp.canister_factory.plugins.module_utils._ic import candid
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.candid_args import (  # noqa: F401 pylint: disable=unused-import
    encode_args, init_types_from_args_metadata)
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import InputError

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


def encode(params, types):
    """Return the Candid bytes for ``arg``/``arg_value``/``arg_hex``; ``types`` may be None."""
    if params.get("arg_hex") is not None:
        try:
            return bytes.fromhex(params["arg_hex"].strip())
        except ValueError:
            raise InputError("arg_hex", "is not hex; give the Candid message as hex digits (4449444c...)") from None
    for field in ("arg_value", "arg"):
        if params.get(field) is not None:
            return encode_args(params[field], types=types, field=field)
    return EMPTY_ARGS


def sha256_hex(data):
    """Hex SHA-256 of bytes."""
    return hashlib.sha256(data).hexdigest()
