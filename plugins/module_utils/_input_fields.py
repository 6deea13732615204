# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The field checkers behind every input check: one function per kind of value.

Each returns the value in normal form or raises ``InputError`` naming the field, on one line:
``<field>: <what is wrong>; <what to do>``. ``validation`` builds each module's pass from them;
the filters and the inventory plugin call them directly.
"""

from __future__ import annotations

import math
import os
import re
import threading
from stat import S_ISREG

from ansible_collections.icp.canister_factory.plugins.module_utils import _candid_args as candid_args
from ansible_collections.icp.canister_factory.plugins.module_utils._ic import wasm as wasm_lib
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import ICError, InputError
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.network import resolve_network
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.principal import Principal
from ansible_collections.icp.canister_factory.plugins.module_utils._registry import (
    STATUSES, Registry, RegistryError, check_name)

NAT64_MAX = 2 ** 64 - 1
NAT128_MAX = 2 ** 128 - 1
ANONYMOUS = "2vxsx-fae"
MANAGEMENT = "aaaaa-aa"
_PRINCIPAL_HINT = "give principal text such as 'rrkah-fqaaa-aaaaa-aaaaq-cai'"
_SHA256_RE = re.compile(r"[0-9a-fA-F]{64}")


def principal(value, field):
    """Return the canonical text of principal ``value``; refuse empty or malformed text."""
    if isinstance(value, str) and not value.strip():
        raise InputError(field, f"is empty; {_PRINCIPAL_HINT}")
    try:
        return Principal.coerce(value, field=field).to_text()
    except InputError as exc:
        raise InputError(field, f"{exc.message}; {_PRINCIPAL_HINT}") from None


def canister_id(value, field="canister_id"):
    """Return the text of a canister id; the management canister is not a canister one can manage."""
    text = principal(value, field)
    if text == MANAGEMENT:
        raise InputError(field, "aaaaa-aa is the management canister, which cannot hold code, cycles "
                         "or settings; give the id of a canister you created")
    return text


def owner(value, field="owner"):
    """Return the text of an owner principal; refuse those the templates refuse."""
    text = principal(value, field)
    if text == ANONYMOUS:
        raise InputError(field, "the anonymous principal 2vxsx-fae cannot own a canister; give the "
                         "owner's own principal (icp identity principal)")
    if text == MANAGEMENT:
        raise InputError(field, "the management canister aaaaa-aa cannot own a canister; give the "
                         "owner's own principal")
    return text


def nat(value, field, maximum=NAT128_MAX, minimum=0):
    """Return ``value`` as an int within ``[minimum, maximum]`` (Candid nat128 by default)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(field, f"must be a whole number, not {type(value).__name__}")
    if value < minimum:
        raise InputError(field, f"is {value}; must be at least {minimum}")
    if value > maximum:
        bound = {NAT128_MAX: "2^128-1 (nat128, the IC's cycles type)",
                 NAT64_MAX: "2^64-1 (nat64)"}.get(maximum, str(maximum))
        raise InputError(field, f"is {_short(value)}; must be at most {bound}")
    return value


def optional_nat(params, field, prefix="", **bounds):
    """``nat`` of ``params[field]`` when it is set."""
    if params.get(field) is not None:
        nat(params[field], prefix + field, **bounds)


def seconds(value, field):
    """A positive, finite number of seconds."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise InputError(field, f"is {value!r}; must be a positive number of seconds")
    return value


def name(value, field="name"):
    """A registry (inventory host) name, matched whole: no trailing newline slips through."""
    try:
        check_name(value)
    except RegistryError:
        raise InputError(field, f"{value!r} is not a valid registry name; use letters, digits, '_', "
                         "'.' and '-', not starting with '.' or '-'") from None
    return value


def template(value, field="template"):
    """A template name (it becomes the inventory group ``<template>_canisters``)."""
    return name(value, field)


def status(value, field="status"):
    """A registry status."""
    if value not in STATUSES:
        raise InputError(field, f"{value!r} is not a registry status; use one of {', '.join(STATUSES)}")
    return value


def sha256_hex(value, field):
    """64 hex digits."""
    if not isinstance(value, str) or not _SHA256_RE.fullmatch(value):
        raise InputError(field, f"{_short(value)!s} is not a SHA-256 in hex (64 digits)")
    return value.lower()


def hex_bytes(value, field):
    """Bytes from hex text."""
    try:
        return bytes.fromhex(value.strip())
    except (ValueError, AttributeError):
        raise InputError(field, "is not hex; give the bytes as hex digits") from None


def readable_file(path, field):
    """An existing, readable regular file."""
    if not isinstance(path, str) or not path:
        raise InputError(field, "is empty; give the path of a file")
    if not os.path.exists(path):
        raise InputError(field, f"no file {path}; check the path")
    if os.path.isdir(path):
        raise InputError(field, f"{path} is a directory; give the path of a file")
    if not os.access(path, os.R_OK):
        raise InputError(field, f"{path} is not readable; fix its permissions")
    return path


def writable_path(path, field, directory=False):
    """A path that can be created or replaced: not a directory (unless ``directory``), and no
    regular file where one of its parent directories should be."""
    if not isinstance(path, str) or not path:
        raise InputError(field, "is empty; give a path")
    path = os.path.abspath(os.path.expanduser(path))
    if os.path.isdir(path) and not directory:
        raise InputError(field, f"{path} is a directory; give a file path")
    if os.path.exists(path) and directory and not os.path.isdir(path):
        raise InputError(field, f"{path} is a file; give a directory")
    parent = os.path.dirname(path)
    while parent and not os.path.exists(parent):
        parent = os.path.dirname(parent) if os.path.dirname(parent) != parent else ""
    if parent and not os.path.isdir(parent):
        raise InputError(field, f"{parent} is a file, so {path} cannot be created below it; fix the path")
    if parent and not os.access(parent, os.W_OK):
        raise InputError(field, f"{parent} is not writable; choose another path")
    return path


def registry_file(path, field="registry"):
    """A registry path that can be written, whose current content (if any) is a valid registry."""
    writable_path(path, field)
    try:
        Registry(path).check()
    except RegistryError as exc:
        raise InputError(field, str(exc)) from None
    except OSError as exc:
        raise InputError(field, f"cannot read {path}: {exc.strerror}") from None
    return path


_WASM_CACHE = {}
_WASM_LOCK = threading.Lock()


def wasm(path, field="wasm"):
    """The loaded module at ``path`` (magic bytes, gzip integrity, size), cached per file version
    (the fleet's threads ask for the same file at once: it is decoded once). A file version
    already loaded costs one ``stat`` (a fleet asks once per canister and step)."""
    key = _file_version(path)
    with _WASM_LOCK:
        if key is not None and key in _WASM_CACHE:
            return _WASM_CACHE[key]
    readable_file(path, field)
    key = _file_version(path)
    with _WASM_LOCK:
        if key not in _WASM_CACHE:
            try:
                module = wasm_lib.load(path)
            except InputError as exc:
                raise InputError(field, exc.message) from None
            if len(_WASM_CACHE) > 16:
                _WASM_CACHE.clear()
            _WASM_CACHE[key] = module
        return _WASM_CACHE[key]


def _file_version(path):
    """What identifies the regular file ``path`` as loaded and found readable: where it is, its
    mtime, size, inode, mode and owner (a chmod or chown gets a new key, and so the checks
    again); None when there is no regular file."""
    try:
        stat = os.stat(path)
    except (OSError, TypeError, ValueError):
        return None
    if not S_ISREG(stat.st_mode):
        return None
    where = path if os.path.isabs(path) else os.path.abspath(path)
    return where, stat.st_mtime_ns, stat.st_size, stat.st_mode, stat.st_ino, stat.st_uid


_TYPES_CACHE = {}


def _init_types(params, module):
    """The init argument types from ``did`` or the module's metadata, parsed once per module."""
    key = (id(module), params.get("did"))
    if key not in _TYPES_CACHE:
        did = candid_args.read_did(params["did"]) if params.get("did") else None
        if did is None and module.candid_service:
            did = candid_args.parse_service(module.candid_service, "wasm")
        types = candid_args.arg_types(did)
        if types is None:
            types = candid_args.init_types_from_args_metadata(module.metadata("candid:args"))
        if len(_TYPES_CACHE) > 64:
            _TYPES_CACHE.clear()
        _TYPES_CACHE[key] = (module, types)  # the module is kept so that its id stays its own
    return _TYPES_CACHE[key][1]


def init_arg(params, module, field_prefix=""):
    """The Candid bytes of the init argument, typed by ``did`` or the module's metadata."""
    try:
        return candid_args.encode(params, _init_types(params, module))
    except InputError as exc:
        if field_prefix:
            raise InputError(field_prefix + exc.field, exc.message) from None
        raise


def network_url(value):
    """Resolve ``network`` with the one network rule (``ic.network``): ``(url, loopback, mainnet)``."""
    return resolve_network(value)


def _short(value):
    text = str(value) if not isinstance(value, int) or value.bit_length() < 200 else f"{value.bit_length()}-bit number"
    return text if len(text) <= 60 else text[:57] + "..."


def error_line(source, exc):
    """One line for an error raised in ``source`` (a filter or plugin name): the client's own
    one-line text for its errors, the kind of failure and what to do for anything unforeseen."""
    if isinstance(exc, ICError):
        text = " ".join(str(exc).split())
        return f"{source}: {text}"
    kind = "input nested too deeply" if isinstance(exc, RecursionError) else "input it cannot handle"
    return f"{source}: value: {kind} ({type(exc).__name__}); check the value and its type"
