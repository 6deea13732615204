# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Base of every icp.canister_factory module: options, client setup, errors, diff, check mode.

A module is one subclass of ``ICModule`` that sets ``argument_spec`` (its own options; the
common ones are added here) and implements ``run()``. ``run()`` reads through ``self.client``,
puts every change behind ``self.change(...)`` (which skips it in check mode and marks the result
changed) and records before/after through ``self.diff``. ``main()`` turns IC errors into
``fail_json(msg=..., error={reject_code, error_code, message})``.
"""

from __future__ import annotations

import json
import re
import sys
import time
import traceback
from urllib.parse import urlparse

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

try:
    from ansible_collections.icp.canister_factory.plugins.module_utils.ic.errors import (
        CertificateError, ICError, InputError, Reject, TransportError)
    from ansible_collections.icp.canister_factory.plugins.module_utils.ic.principal import Principal
    from ansible_collections.icp.canister_factory.plugins.module_utils.registry import (
        Registry, RegistryError)
    from ansible_collections.icp.canister_factory.plugins.module_utils import validation
    IMPORT_ERROR = None
except ImportError:
    IMPORT_ERROR = traceback.format_exc()

try:
    from ansible_collections.icp.canister_factory.plugins.module_utils.ic.agent import Agent
    from ansible_collections.icp.canister_factory.plugins.module_utils.ic.identity import (
        AnonymousIdentity, load_identity, load_identity_file)
    from ansible_collections.icp.canister_factory.plugins.module_utils.ic.management import Management
    from ansible_collections.icp.canister_factory.plugins.module_utils.ic.polling import PollTimeout
    # ic.candid loads these lazily through importlib, which AnsiballZ cannot see; naming them
    # here packs them with every module (every management call encodes and decodes Candid).
    from ansible_collections.icp.canister_factory.plugins.module_utils.ic.candid import (  # noqa: F401 pylint: disable=unused-import
        decoder, did, encoder, printer, pyvalues, textvalue)
    CLIENT_IMPORT_ERROR = None
except ImportError:
    CLIENT_IMPORT_ERROR = traceback.format_exc()

NETWORKS = {"local": "http://127.0.0.1:4943", "ic": "https://icp-api.io"}
MAINNET_HOSTS = ("icp-api.io", "ic0.app", "icp0.io")
LOOPBACK_HOSTS = ("localhost", "::1")


def common_argument_spec():
    """Return the options every module takes (documented in the ``ic`` doc fragment)."""
    return {
        "network": {"type": "str", "fallback": (env_fallback, ["ICP_NETWORK"])},
        "identity": {"type": "path", "fallback": (env_fallback, ["ICP_IDENTITY"])},
        "identity_pem": {"type": "str", "no_log": True, "fallback": (env_fallback, ["ICP_IDENTITY_PEM"])},
        "identity_password": {"type": "str", "no_log": True},
        "root_key": {"type": "str", "no_log": False, "fallback": (env_fallback, ["ICP_ROOT_KEY"])},
        "timeout": {"type": "float", "default": 30.0},
        "retries": {"type": "int", "default": 3},
    }


def resolve_network(value):
    """Map ``local``/``ic``/URL to ``(url, is_loopback, is_mainnet)``; raise InputError if bad."""
    url = NETWORKS.get(value or "local", value)
    wanted = "give 'local', 'ic' or an http(s) URL such as http://127.0.0.1:4943"
    if not isinstance(url, str):
        raise InputError("network", f"is a {type(url).__name__}; {wanted}")
    try:
        parsed = urlparse(url)
        parsed.port  # pylint: disable=pointless-statement  # raises ValueError for a bad port
    except ValueError as exc:
        raise InputError("network", f"{value!r} is not a valid URL ({exc}); {wanted}") from None
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InputError("network", f"{value!r} is not 'local', 'ic' or an http(s) URL; {wanted}")
    host = parsed.hostname
    loopback = host in LOOPBACK_HOSTS or host.startswith("127.")
    mainnet = host in MAINNET_HOSTS
    return url.rstrip("/"), loopback, mainnet


def resolve_root_key(value, network_value, loopback, mainnet):
    """Return the root key for the Agent: DER bytes, ``"fetch"`` or None (mainnet built in)."""
    if value in (None, ""):
        if mainnet:
            return None
        if loopback:
            return "fetch"
        raise InputError("root_key", f"required for network {network_value!r} (hex of the DER key)")
    if value == "fetch":
        if not loopback:
            raise InputError("root_key", "'fetch' is allowed only for loopback networks; give the key as hex")
        return "fetch"
    try:
        return bytes.fromhex(value.strip())
    except ValueError:
        raise InputError("root_key", "not hex; give the DER root key as hex or 'fetch'") from None


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


class _Module(AnsibleModule):
    """AnsibleModule whose option errors read like the collection's (see ``ansible_words``)."""

    def fail_json(self, msg, **kwargs):  # pylint: disable=arguments-differ
        super().fail_json(msg=ansible_words(msg), **kwargs)


def _fail_unreadable_options(exc):
    """Exit with one line naming the option AnsibleModule could not take, as fail_json would."""
    from ansible.module_utils import basic

    path = _huge_number(basic._PARSED_MODULE_ARGS or {})  # pylint: disable=protected-access
    if path:
        msg = (f"{path}: a number too long to handle (over {MAX_DIGITS} digits); IC amounts are at "
               "most 2^128-1, 39 digits")
    else:
        msg = f"options: cannot be read ({type(exc).__name__}); check the task's options"
    print("\n" + json.dumps({"failed": True, "changed": False, "msg": msg}))
    sys.exit(1)


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


def certificate_message(exc, params):
    """The certificate failure, worded for its likely cause: a root key of another network."""
    text = one_line(str(exc))
    if "signature" in text and "verify" in text:
        return (f"root_key: the root key does not match this network ({text}); for a local network "
                "leave root_key unset (it is fetched) or give the key that network prints at start "
                "(icp network status / dfx ping); for mainnet leave it unset")
    return f"certificate check failed: {text}"


class DiffTracker:
    """Collects before/after values of what a module changes, for ``--diff`` and results."""

    def __init__(self):
        self.before = {}
        self.after = {}

    def add(self, key, before, after):
        """Record ``key``; only differing values make ``has_changes()`` true."""
        self.before[key] = before
        self.after[key] = after

    def has_changes(self):
        """Return whether any recorded value differs."""
        return any(self.before.get(k) != self.after.get(k) for k in self.after)

    def changed_keys(self):
        """Return the keys whose before and after differ."""
        return sorted(k for k in self.after if self.before.get(k) != self.after.get(k))

    def get(self):
        """Return ``{"before": ..., "after": ...}`` with only the differing keys."""
        keys = self.changed_keys()
        return {"before": {k: self.before.get(k) for k in keys},
                "after": {k: self.after.get(k) for k in keys}}


class ICModule:
    """Base class: subclasses set ``argument_spec`` (and the other AnsibleModule rules), implement ``run``."""

    argument_spec = {}
    # The name of this module's pass in validation.CHECKS (run before the first IC call).
    input_checks = None
    mutually_exclusive = []
    required_if = []
    required_one_of = []
    required_together = []
    required_by = {}
    needs_client = True

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.check_mode = module.check_mode
        self.result = {"changed": False}
        self.diff = DiffTracker()
        self._client = None
        self._identity = None

    # ----- entry point --------------------------------------------------------------------

    @classmethod
    def main(cls):
        """Build the AnsibleModule, run the module, and exit with its result or a clear failure."""
        spec = common_argument_spec()
        spec.update(cls.argument_spec)
        try:
            module = _Module(
                argument_spec=spec,
                supports_check_mode=True,
                mutually_exclusive=[["identity", "identity_pem"]] + list(cls.mutually_exclusive),
                required_if=list(cls.required_if),
                required_one_of=list(cls.required_one_of),
                required_together=list(cls.required_together),
                required_by=dict(cls.required_by),
            )
        except (ValueError, OverflowError, TypeError) as exc:
            # AnsibleModule itself can break on an option (a number too long for Python to
            # print); there is no module to fail through yet, so answer as fail_json would.
            # Only these: other exceptions (ansible-test's argument-spec probe among them) pass.
            _fail_unreadable_options(exc)
        if IMPORT_ERROR:
            module.fail_json(msg="cannot import the collection's IC client (plugins/module_utils/ic)",
                             exception=IMPORT_ERROR)
        if cls.needs_client and CLIENT_IMPORT_ERROR:
            module.fail_json(msg=missing_required_lib("cbor2, cryptography and py-arkworks-bls12381"),
                             exception=CLIENT_IMPORT_ERROR)
        instance = cls(module)
        try:
            # Every option is checked before the first IC call and the first registry write.
            validation.check(cls.input_checks, module.params)
            if cls.needs_client:
                # Bad network, root key or identity options fail here, before any change.
                instance.connect()
            instance.run()
        except Reject as exc:
            # The replica's help text follows on further lines; it stays in error.message.
            instance.fail(str(exc).splitlines()[0], error=exc.as_dict())
        except InputError as exc:
            instance.fail(str(exc))
        except CertificateError as exc:
            instance.fail(certificate_message(exc, instance.params))
        except TransportError as exc:
            where = "cannot reach" if exc.status is None else "error from"
            instance.fail(f"{where} {instance.network_url()}: {exc}",
                          error={"reject_code": None, "error_code": None, "message": exc.body or str(exc)})
        except RegistryError as exc:
            instance.fail(str(exc))
        except ICError as exc:
            as_dict = getattr(exc, "as_dict", None)
            instance.fail(one_line(str(exc)), error=as_dict() if as_dict else None)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # Not an error we foresaw: one line for the user, the traceback only under -vvv.
            details = {"traceback": traceback.format_exc()} if module._verbosity >= 3 else {}
            instance.fail(unexpected_message(module, exc), **details)
        instance.exit()

    def run(self):
        """Do the module's work; subclasses override."""
        raise AttributeError(f"{type(self).__name__} does not define run()")

    def exit(self):
        """Exit with the result; the diff goes into it when ``--diff`` is on."""
        if self.module._diff:
            self.result["diff"] = self.diff.get()
        self.module.exit_json(**self.result)

    def fail(self, msg, **kwargs):
        """Fail with one-line ``msg``; ``kwargs`` (such as ``error``) go into the result."""
        result = {k: v for k, v in self.result.items() if k != "changed"}
        result.update(kwargs)
        self.module.fail_json(msg=msg, changed=self.result.get("changed", False), **result)

    # ----- check mode -------------------------------------------------------------------

    def change(self, func, *args, **kwargs):
        """Mark the result changed and call ``func`` unless in check mode; return its value or None."""
        self.result["changed"] = True
        if self.check_mode:
            return None
        return func(*args, **kwargs)

    # ----- client -------------------------------------------------------------------------

    def network_url(self):
        """Return the URL of the network these options point at."""
        return resolve_network(self.params.get("network"))[0]

    @property
    def identity(self):
        """The signing identity from ``identity``/``identity_pem`` (anonymous when neither is set)."""
        if self._identity is None:
            password = self.params.get("identity_password")
            if self.params.get("identity_pem"):
                self._identity = _field(load_identity, "identity_pem", self.params["identity_pem"], password)
            elif self.params.get("identity"):
                self._identity = _field(load_identity_file, "identity", self.params["identity"], password)
            else:
                self._identity = AnonymousIdentity()
        return self._identity

    def connect(self):
        """Build the client now (validates network, root key and identity); return it."""
        return self.client

    @property
    def client(self):
        """The ``Management`` client (``.agent`` is the Agent), built on first use."""
        if self._client is None:
            value = self.params.get("network")
            url, loopback, mainnet = resolve_network(value)
            root_key = resolve_root_key(self.params.get("root_key"), value, loopback, mainnet)
            agent = Agent(url, self.identity, root_key_der=root_key,
                          timeout=self.params["timeout"], retries=self.params["retries"])
            self._client = Management(agent)
        return self._client

    @property
    def agent(self):
        """The Agent under ``client``."""
        return self.client.agent

    def caller_text(self):
        """Return the principal text of the calling identity."""
        return self.identity.sender.to_text()

    # ----- management canister ----------------------------------------------------------

    def mgmt(self, method, arg):
        """Call management method ``method`` with the Candid value ``arg``; return the reply value."""
        return self.client.call(method, arg)

    def canister_status(self, canister_id):
        """Return canister_status of ``canister_id`` or None when it does not exist.

        Sent as a query (free, and no update call on a converged run). A missing canister or a
        caller without access is answered as such; only a network that refuses the query form
        gets the update call.
        """
        arg = {"canister_id": Principal.coerce(canister_id, field="canister_id")}
        client = self.client
        try:
            data = self.agent.query(Principal.management(), "canister_status",
                                    client.encode_arg("canister_status", arg),
                                    effective_canister_id=arg["canister_id"])
            return client.decode_reply("canister_status", data)
        except Reject as exc:
            if exc.reject_code == 3:
                return None
            if exc.error_code == "IC0512":
                raise
        except TransportError as exc:
            if exc.status is None or not 400 <= exc.status < 500:
                raise
        try:
            return client.call("canister_status", arg)
        except Reject as exc:
            if exc.reject_code == 3:
                return None
            raise

    def wait_for_status(self, canister_id, wanted, timeout, deadline=None):
        """Poll canister_status until its run status is ``wanted`` (until ``deadline``, a
        ``time.monotonic()`` value, else ``timeout`` s from now); return the last status."""
        deadline = time.monotonic() + timeout if deadline is None else deadline
        delay = 0.05
        while True:
            status = self.canister_status(canister_id)
            current = run_status(status)
            if current == wanted:
                return status
            if time.monotonic() + delay > deadline:
                raise InputError("wait_timeout", f"canister {canister_id} is still {current} "
                                 f"after {timeout} s (wanted {wanted})")
            time.sleep(delay)
            delay = min(delay * 2, 1.0)

    def stop_and_wait(self, canister_id):
        """Stop a canister and wait until it is stopped, ``wait_timeout`` seconds in all.

        The IC answers stop_canister only once the canister has stopped: it stays ``stopping``
        while calls it made are unanswered. An answer that is not there in time is no error by
        itself (the stop stays in effect); the status decides. Returns the stopped status."""
        timeout = self.params["wait_timeout"]
        deadline = time.monotonic() + timeout
        waiting = Management(self.agent.waiting_at_most(timeout))
        try:
            waiting.call("stop_canister",
                         {"canister_id": Principal.coerce(canister_id, field="canister_id")})
        except PollTimeout:
            pass
        return self.wait_for_status(canister_id, "stopped", timeout, deadline=deadline)

    def registry(self, option="registry"):
        """Return the Registry named by option ``option`` or None."""
        path = self.params.get(option)
        return Registry(path) if path else None


def run_status(status):
    """Return ``running``/``stopping``/``stopped`` from a canister_status result, ``absent`` for None."""
    if status is None:
        return "absent"
    return next(iter(status["status"]))


def hex_or_none(blob):
    """Hex text of an optional blob."""
    return blob.hex() if blob is not None else None


def _field(loader, field, *args):
    try:
        return loader(*args)
    except InputError as exc:
        raise InputError(field, exc.message) from None
    except (OSError, ValueError) as exc:
        raise InputError(field, str(exc)) from None
