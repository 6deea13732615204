# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""How failures read: one line, beginning with the field, saying what is wrong and what to do.

``ICModule.main`` uses these for AnsibleModule's own option errors (``ModuleWithOurWords``),
for options AnsibleModule cannot even take (``fail_unreadable_options``), for a certificate
that does not verify (``certificate_message``) and for anything nobody foresaw
(``unexpected_message``); ``describe_error`` words every failure of a run, for ``main`` and for
each canister of the fleet alike.
"""

from __future__ import annotations

import json
import re
import sys

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import (
    CertificateError, InputError, Reject, TransportError)
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.network import resolve_network

_ANSIBLE_WORDS = (
    # AnsibleModule's own option errors, said as ours: the field first, no Python type names.
    (re.compile(r"argument '(?P<param>[^']+)' is of type (?P<type>\S+)(?: found in '(?P<ctx>[^']+)'\.)? "
                r"and we were unable to convert to (?P<want>\w+): .*", re.S),
     "{field}: is {type}, which cannot be read as {want}; give {want}"),
    (re.compile(r"Elements value for option '(?P<param>[^']+)'(?: found in '(?P<ctx>[^']+)')? is of type "
                r"(?P<type>\S+) and we were unable to convert to (?P<want>\w+): .*", re.S),
     "{field}: an element is {type}, which cannot be read as {want}; give a list, each element {want}"),
    (re.compile(r"value of (?P<param>\S+) must be one of: (?P<choices>.*), got: (?P<got>.*?)"
                r"(?: found in (?P<ctx>.*))?", re.S),
     "{field}: {got!r} is not one of {choices}; use one of them"),
)


_KIND_WORDS = {"int": "a whole number", "float": "a number", "str": "text", "bool": "true or false",
               "dict": "a mapping", "list": "a list", "path": "a path", "raw": "a value", "NoneType": "empty"}


def ansible_words(msg):
    """AnsibleModule's option error ``msg`` rewritten to begin with the field (else unchanged)."""
    for pattern, template in _ANSIBLE_WORDS:
        found = pattern.fullmatch(str(msg))
        if found:
            parts = found.groupdict()
            context = [c.strip() for c in (parts.get("ctx") or "").split("->") if c.strip()]
            field = ".".join(context + [parts["param"]])
            words = {k: _KIND_WORDS.get(v, v) if k in ("type", "want") else v
                     for k, v in parts.items() if k != "param"}
            return template.format(field=field, **words)
    return msg


class ModuleWithOurWords(AnsibleModule):
    """AnsibleModule whose option errors read like the collection's (see ``ansible_words``)."""

    def fail_json(self, msg, **kwargs):  # pylint: disable=arguments-differ
        super().fail_json(msg=ansible_words(msg), **kwargs)


def fail_unreadable_options(exc):
    """Exit with one line naming the option AnsibleModule could not take, as fail_json would."""
    from ansible.module_utils import basic

    path = _huge_number(basic._PARSED_MODULE_ARGS or {})  # pylint: disable=protected-access
    if path:
        msg = (f"{path}: a number too long to handle (over {MAX_DIGITS} digits); IC amounts are at "
               "most 2^128-1, 39 digits")
    else:
        msg = f"options: cannot be read ({type(exc).__name__}); check the task's options"
    # No AnsibleModule exists to call fail_json on: write what it would write.
    print("\n" + json.dumps({"failed": True, "changed": False, "msg": msg}))  # pylint: disable=ansible-bad-function
    sys.exit(1)  # pylint: disable=ansible-bad-function


MAX_DIGITS = 4000


def _huge_number(value, path=""):
    """The dotted path of the first number (or digit string) in ``value`` longer than MAX_DIGITS."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = ((f"[{i}]", v) for i, v in enumerate(value))
    else:
        too_long = (isinstance(value, int) and value.bit_length() > MAX_DIGITS * 3) or \
            (isinstance(value, str) and len(value) > MAX_DIGITS and value.strip().lstrip("+-").isdigit())
        return path if too_long else None
    for key, item in items:
        if str(key).startswith("_ansible"):
            continue
        found = _huge_number(item, f"{path}.{key}" if path and not str(key).startswith("[") else f"{path}{key}")
        if found:
            return found
    return None


def one_line(text):
    """The first line of ``text`` (further lines of a replica's help text stay out of ``msg``)."""
    return (str(text).strip().splitlines() or [""])[0]


def unexpected_message(module, exc):
    """The one line for an exception no check foresaw: where, what kind, and what to do."""
    name = getattr(module, "_name", None) or "module"
    kind = {RecursionError: "input nested too deeply", MemoryError: "input too large to handle",
            KeyboardInterrupt: "interrupted"}.get(type(exc), "unexpected internal error")
    return (f"{name}: {kind} ({type(exc).__name__}); nothing was changed after this point - "
            "check the options, and rerun with -vvv for the traceback to report it")


def certificate_message(exc):
    """The certificate failure, worded for its likely cause: a root key of another network."""
    text = one_line(str(exc))
    if "signature" in text and "verify" in text:
        return (f"root_key: the root key does not match this network ({text}); for a local network "
                "leave root_key unset (it is fetched) or give the key that network prints at start "
                "(icp network status / dfx ping); for mainnet leave it unset")
    return f"certificate check failed: {text}"


def describe_error(exc, network=None):
    """Return ``(one-line message, error dict or None)`` for a failure, as every module words it.

    Used by ``ICModule.main`` and by the fleet for each canister, so a failure reads the same on
    both paths. ``network`` is the module's ``network`` value (for transport failures).
    """
    if isinstance(exc, Reject):
        # The replica's help text follows on further lines; it stays in error.message.
        return str(exc).splitlines()[0], exc.as_dict()
    if isinstance(exc, CertificateError):
        return certificate_message(exc), None
    if isinstance(exc, TransportError):
        try:
            url = resolve_network(network).url
        except InputError:
            url = network
        where = "cannot reach" if exc.status is None else "error from"
        return f"{where} {url}: {exc}", {"reject_code": None, "error_code": None, "message": exc.body or str(exc)}
    details = getattr(exc, "details", None)
    if isinstance(details, dict) and "error" in details:
        return one_line(exc), details["error"]
    as_dict = getattr(exc, "as_dict", None)
    return one_line(exc), as_dict() if as_dict else None
