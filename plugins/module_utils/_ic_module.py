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

import copy
import time
import traceback

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.icp.canister_factory.plugins.module_utils._error_text import (
    ModuleWithOurWords, describe_error, fail_unreadable_options, unexpected_message)

try:
    from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import (
        ICError, InputError, Reject, TransportError)
    from ansible_collections.icp.canister_factory.plugins.module_utils._ic.network import (  # noqa: F401 pylint: disable=unused-import
        MAINNET_HOSTS, NETWORK_ALIASES, resolve_network, root_key_for)
    from ansible_collections.icp.canister_factory.plugins.module_utils._ic.principal import Principal
    from ansible_collections.icp.canister_factory.plugins.module_utils._canister_facts import (  # noqa: F401 pylint: disable=unused-import
        hex_or_none, run_status)
    from ansible_collections.icp.canister_factory.plugins.module_utils._registry import (
        Registry, RegistryError)
    from ansible_collections.icp.canister_factory.plugins.module_utils import _input_fields as input_fields, _validation as validation
    IMPORT_ERROR = None
except ImportError:
    IMPORT_ERROR = traceback.format_exc()

try:
    from ansible_collections.icp.canister_factory.plugins.module_utils._ic.agent import Agent
    from ansible_collections.icp.canister_factory.plugins.module_utils._ic.identity import (
        AnonymousIdentity, load_identity, load_identity_file)
    from ansible_collections.icp.canister_factory.plugins.module_utils._ic.management import Management
    from ansible_collections.icp.canister_factory.plugins.module_utils._ic.polling import PollTimeout
    CLIENT_IMPORT_ERROR = None
except ImportError:
    CLIENT_IMPORT_ERROR = traceback.format_exc()


class ModuleFailed(Exception):
    """``ICModule.fail`` of an instance run with a parent: ``.details`` are the result fields."""

    def __init__(self, msg, details):
        super().__init__(msg)
        self.details = details


def _own_copy(value):
    """``value`` for one instance's params: a copy of a mutable default, an immutable one as it is."""
    if value is None or isinstance(value, (str, int, float)):  # bool is an int
        return value
    return copy.deepcopy(value)


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


# The names of the options every module takes (what ``common_argument_spec`` lists).
COMMON_OPTIONS = frozenset(common_argument_spec())


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

    def merge(self, other, prefix=None):
        """Add the differing values of ``other`` (a DiffTracker), under ``prefix`` when given.

        With a prefix the whole of ``other``'s differences becomes one key (the fleet shows one
        entry per canister); without, the keys are added as they are.
        """
        part = other.get()
        if prefix is not None:
            if part["before"] or part["after"]:
                self.add(prefix, part["before"], part["after"])
            return
        for key in part["after"]:
            self.add(key, part["before"].get(key), part["after"][key])


# The option of every module that waits for a canister to stop or start (see stop_and_wait).
WAIT_TIMEOUT_OPTION = {"type": "int", "default": 300}
# What ICModule._known_statuses answers for a canister it has not read ahead.
_NOT_READ = object()


def recorded_id(entry, deleted_ok=False):
    """The canister id a registry ``entry`` gives (``locate_canister``'s rule): its id unless
    it is deleted (``deleted_ok`` keeps it); None without an entry or a usable id."""
    if entry and entry.get("canister_id") and (deleted_ok or entry.get("status") != "deleted"):
        return entry["canister_id"]
    return None


def _no_such_canister(reject):
    """Whether a canister_status reject says the canister does not exist (reject code 3)."""
    return reject.reject_code == 3


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

    def __init__(self, module, params=None, parent=None):
        """Wrap ``module``; with ``params`` and ``parent`` (an ICModule) run on given params.

        The fleet runs one instance per canister this way: each has its own params, result and
        diff, and shares the parent's client, identity, check mode and registry.
        """
        self.module = module
        self.params = module.params if params is None else params
        self.check_mode = module.check_mode if parent is None else parent.check_mode
        self.result = {"changed": False}
        self.diff = DiffTracker()
        self._client = None if parent is None else parent.client
        self._identity = None if parent is None else parent.identity
        self._shared_registry = None if parent is None else parent.shared_registry()
        # canister_status answers read ahead by read_statuses: canister id -> status (or None).
        self._known_statuses = {} if parent is None else parent._known_statuses
        self._parent = parent
        # The Registry objects this instance opened, by path (compacted when the module ends).
        self._registries = {}

    @classmethod
    def argument_defaults(cls, **given):
        """Return params as AnsibleModule would build them from ``argument_spec`` and ``given``.

        Every option missing from ``given`` gets its documented default (or None), so a caller
        that fills in only what it knows gets the same values a task would.
        """
        params = {name: _own_copy(opt.get("default")) for name, opt in cls.argument_spec.items()}
        unknown = set(given) - set(params) - COMMON_OPTIONS
        if unknown:
            raise InputError(sorted(unknown)[0], f"not an option of {cls.__name__}")
        params.update(given)
        return params

    # ----- entry point --------------------------------------------------------------------

    @classmethod
    def option_rules(cls):
        """The module's whole argument spec and option rules, as AnsibleModule takes them.

        One source for the module (``main``) and for ic_fleet's action plugin, which checks
        the options on the controller with ``ArgumentSpecValidator`` before its probe.
        """
        spec = common_argument_spec()
        spec.update(cls.argument_spec)
        return {
            "argument_spec": spec,
            "mutually_exclusive": [["identity", "identity_pem"]] + list(cls.mutually_exclusive),
            "required_if": list(cls.required_if),
            "required_one_of": list(cls.required_one_of),
            "required_together": list(cls.required_together),
            "required_by": dict(cls.required_by),
        }

    @classmethod
    def main(cls):
        """Build the AnsibleModule, run the module, and exit with its result or a clear failure."""
        try:
            module = ModuleWithOurWords(supports_check_mode=True, **cls.option_rules())
        except (ValueError, OverflowError, TypeError) as exc:
            # AnsibleModule itself can break on an option (a number too long for Python to
            # print); there is no module to fail through yet, so answer as fail_json would.
            # Only these: other exceptions (ansible-test's argument-spec probe among them) pass.
            fail_unreadable_options(exc)
        if IMPORT_ERROR:
            module.fail_json(msg="cannot import the collection's IC client (plugins/module_utils/_ic)",
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
        except (ICError, RegistryError, ModuleFailed) as exc:
            msg, error = describe_error(exc, instance.params.get("network"))
            instance.fail(msg, **({"error": error} if error is not None else {}))
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
        self.compact_registries()
        if self.module._diff:
            self.result["diff"] = self.diff.get()
        self.module.exit_json(**self.result)

    def fail(self, msg, **kwargs):
        """Fail with one-line ``msg``; ``kwargs`` (such as ``error``) go into the result.

        Run with a ``parent`` (by the fleet), raise ``ModuleFailed`` instead: only this
        instance's canister fails, not the whole module.
        """
        if self._parent is not None:
            raise ModuleFailed(msg, kwargs)
        self.compact_registries()
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
            network = resolve_network(value)
            root_key = root_key_for(self.params.get("root_key"), network, value)
            agent = Agent(network.url, self.identity, root_key_der=root_key,
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
        known = self._known_statuses.pop(arg["canister_id"].to_text(), _NOT_READ)
        if known is not _NOT_READ:
            return known
        client = self.client
        try:
            data = self.agent.query(Principal.management(), "canister_status",
                                    client.encode_arg("canister_status", arg),
                                    effective_canister_id=arg["canister_id"])
            return client.decode_reply("canister_status", data)
        except Reject as exc:
            if _no_such_canister(exc):
                return None
            if exc.error_code == "IC0512":
                raise
        except TransportError as exc:
            if exc.status is None or not 400 <= exc.status < 500:
                raise
        try:
            return client.call("canister_status", arg)
        except Reject as exc:
            if _no_such_canister(exc):
                return None
            raise

    def read_statuses(self, canister_ids, in_flight=4):
        """Read the canister_status of every id of ``canister_ids`` at once (up to ``in_flight``
        queries on the wire, ``Agent.query_many``) for ``canister_status`` to answer from; yield
        each id (as text) once its answer is in. The first ``canister_status`` of an id in this run
        (and in instances run with ``parent=self``) takes the answer read here instead of
        asking. An answer that is neither a status nor "no such canister" is left for
        ``canister_status`` to ask again and interpret."""
        principals = [Principal.coerce(c, field="canister_id") for c in canister_ids]
        client = self.client
        management = Principal.management()
        calls = [(management, "canister_status", client.encode_arg("canister_status", {"canister_id": principal}),
                  principal) for principal in principals]
        for index, answer in self.agent.query_many(calls, in_flight):
            text = principals[index].to_text()
            if isinstance(answer, bytes):
                self._known_statuses[text] = client.decode_reply("canister_status", answer)
            elif isinstance(answer, Reject) and _no_such_canister(answer):
                self._known_statuses[text] = None
            yield text

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
        """Return the Registry named by option ``option`` or None (the shared one when run by a fleet)."""
        if option == "registry" and self._shared_registry is not None:
            return self._shared_registry
        path = self.params.get(option)
        if not path:
            return None
        if path not in self._registries:
            self._registries[path] = Registry(path)
        return self._registries[path]

    def compact_registries(self):
        """Fold the journal of every registry this run opened into its YAML file (not in check mode).

        Run once when the module ends, so that after a finished run the YAML file alone is the
        whole registry. A failure leaves the journal, which every reader replays: nothing is lost.
        """
        if self.check_mode or self._parent is not None:
            return
        for path, registry in self._registries.items():
            try:
                registry.compact()
            except (RegistryError, OSError) as exc:
                self.module.warn(f"registry {path}: its changes stay in the journal beside it "
                                 f"(compacting failed: {exc})")

    def shared_registry(self):
        """The registry instances run with ``parent=self`` use; None lets them open their own."""
        return self._shared_registry

    def locate_canister(self, deleted_ok=False):
        """Return ``(canister_id, entry)`` from ``canister_id`` or the registry entry ``name``.

        The one rule: an explicit ``canister_id`` wins; a registry entry gives its id unless it
        is deleted (``deleted_ok`` keeps it); ``(None, entry)`` when the entry has no usable id.
        """
        params = self.params
        if params.get("canister_id"):
            return input_fields.principal(params["canister_id"], "canister_id"), None
        if params.get("name") and params.get("registry"):
            entry = self.registry().read().get(params["name"])
            return recorded_id(entry, deleted_ok), entry
        return None, None

    def require_canister(self, predicted_in_check_mode=False):
        """``locate_canister()`` that refuses a name without a live id (InputError on ``name``).

        ``predicted_in_check_mode``: in check mode return ``(None, entry)`` instead, for a
        canister an earlier task of the same check run would create.
        """
        canister_id, entry = self.locate_canister()
        if canister_id is None:
            if predicted_in_check_mode and self.check_mode:
                return None, entry
            raise InputError("name", f"no canister recorded as {self.params.get('name')!r} "
                             f"in {self.params.get('registry')}")
        return canister_id, entry

    def update_entry(self, update, name=None):
        """Apply ``update(entry)`` to registry entry ``name`` (default: option ``name``) in one
        locked transaction; a no-op without a registry or name. Returns the entry written."""
        name = name or self.params.get("name")
        registry = self.registry() if name else None
        if registry is None:
            return None
        with registry.transaction() as data:
            entry = data.get(name) or {}
            update(entry)
            data.put(name, entry)
        return entry


def _field(loader, field, *args):
    try:
        return loader(*args)
    except InputError as exc:
        raise InputError(field, exc.message) from None
    except (OSError, ValueError) as exc:
        raise InputError(field, str(exc)) from None
