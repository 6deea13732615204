# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The canister registry: a YAML Ansible inventory file, changed only in locked transactions.

Layout (what the ``registry`` inventory plugin and ``provision.yml`` read)::

    all:
      children:
        canisters:
          hosts:
            <name>: {canister_id: ..., template: ..., owner: ..., status: ..., events: [...]}
        <template>_canisters:
          hosts:
            <name>: {}

Every change is one transaction: take an exclusive ``fcntl`` lock on ``<file>.lock``, read the
file, change it, write a temporary file in the same directory, fsync it and ``os.replace`` it
over the old one. Readers never lock: ``os.replace`` is atomic, so they see the old or the new
file, never half of one. Many forks changing the file at once therefore lose nothing.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import fcntl
import os
import re
import tempfile

try:
    import yaml
    HAS_YAML = True
    # libyaml parses and writes a big registry several times faster than the pure Python code.
    SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    SafeDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
except ImportError:
    # Modules that need the registry report the missing library themselves.
    HAS_YAML = False

STATUSES = ("creating", "active", "upgrading", "stopped", "deleted", "failed")

# The event vocabulary: what happened to a canister's entry. The modules, the fleet and
# ic_registry's ``event.action`` choices use exactly these words.
EVENT_ADD = "add"              # ic_registry recorded a new entry by hand
EVENT_UPDATE = "update"        # fields of an entry changed (settings, init argument, ...)
EVENT_REMOVE = "remove"        # ic_registry marked an entry deleted by hand
EVENT_IMPORT = "import"        # ic_registry imported the entry from dfx/icp-cli ids
EVENT_CREATE = "create"        # started / ok / failed
EVENT_INSTALL = "install"
EVENT_REINSTALL = "reinstall"
EVENT_UPGRADE = "upgrade"
EVENT_ROLLBACK = "rollback"    # rolled back to the snapshot after a failed upgrade
EVENT_TOP_UP = "top_up"
EVENT_SNAPSHOT = "snapshot"
EVENT_RESTORE = "restore"
EVENT_DELETE = "delete"
EVENT_CONVERGE = "converge"    # the fleet's converge of one canister failed
EVENT_REPLACE = "replace"      # the canister is gone; its id moved to replaced_canister_ids (restore.yml)
EVENTS = (EVENT_ADD, EVENT_UPDATE, EVENT_REMOVE, EVENT_IMPORT, EVENT_CREATE, EVENT_INSTALL,
          EVENT_REINSTALL, EVENT_UPGRADE, EVENT_ROLLBACK, EVENT_TOP_UP, EVENT_SNAPSHOT,
          EVENT_RESTORE, EVENT_DELETE, EVENT_CONVERGE, EVENT_REPLACE)
# Actions that change what runs in a canister: the newest failed one is an alert (ic_monitor, EDA).
# The past-tense names are those of registry files written before the vocabulary was fixed.
CODE_EVENTS = (EVENT_CREATE, EVENT_INSTALL, EVENT_REINSTALL, EVENT_UPGRADE, EVENT_CONVERGE,
               "created", "installed", "upgraded", "failed")
RESULT_STARTED = "started"
RESULT_OK = "ok"
RESULT_FAILED = "failed"
RESULT_ROLLED_BACK = "rolled back"
MAX_EVENTS = 20
CANISTERS_GROUP = "canisters"
# Keys of a host entry in the order they are written, so the file diffs well in git.
KEY_ORDER = (
    "canister_id", "template", "owner", "created_by", "created_at", "network", "status",
    "module_hash", "wasm_version", "arg_sha256", "cycles_balance", "funding", "specified_id",
    "created_at_time", "subnet", "init_arg", "init_value", "cycles", "settings", "events",
)
# Matched with fullmatch: '$' would also match before a trailing newline ("evil\n").
_NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


class RegistryError(Exception):
    """The registry file cannot be read or an entry is invalid."""


def now_iso():
    """Return the current UTC time as ISO 8601 text with a ``Z`` suffix."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def template_group(template):
    """Return the inventory group of a template: ``user`` -> ``user_canisters``."""
    return f"{template}_canisters"


def check_name(name):
    """Raise RegistryError unless ``name`` is usable as an inventory host name."""
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise RegistryError(
            f"name: {name!r} is not a valid registry name (letters, digits, '_', '.', '-'; "
            "not starting with '.' or '-')")


def yaml_error_line(path, exc):
    """One line for a YAML parse error: ``<file>:<line>: not valid YAML: <problem>; fix ...``."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f"{path}:{mark.line + 1}" if mark is not None else path
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or "cannot be parsed"
    return f"{where}: not valid YAML ({' '.join(str(problem).split())}); fix the file or restore it from its backup"


_DUMPER = []


def _dumper():
    """A block-style YAML dumper that keeps our key order (built on first use)."""
    if not _DUMPER:
        class Dumper(SafeDumper):  # pylint: disable=too-many-ancestors
            """SafeDumper writing dicts in insertion order."""

        Dumper.add_representer(dict, lambda dumper, data: dumper.represent_mapping(
            "tag:yaml.org,2002:map", data.items()))
        _DUMPER.append(Dumper)
    return _DUMPER[0]


def _ordered(entry):
    known = [k for k in KEY_ORDER if k in entry]
    rest = sorted(k for k in entry if k not in KEY_ORDER)
    return {k: entry[k] for k in known + rest}


class RegistryData:
    """The parsed registry: ``entries`` maps a host name to its variables (a dict)."""

    def __init__(self, entries=None, extra_groups=None):
        self.entries = entries or {}
        # Groups we do not manage (added by hand) are kept as they were.
        self.extra_groups = extra_groups or {}

    @classmethod
    def from_document(cls, doc, path="registry"):
        """Build from a parsed YAML inventory document."""
        if doc is None:
            return cls()
        if not isinstance(doc, dict) or not isinstance(doc.get("all", {}), dict):
            raise RegistryError(f"{path}: not a YAML inventory (no top-level 'all' mapping)")
        children = (doc.get("all") or {}).get("children") or {}
        if not isinstance(children, dict):
            raise RegistryError(f"{path}: all.children must be a mapping")
        hosts = (children.get(CANISTERS_GROUP) or {}).get("hosts") or {}
        entries = {}
        for name, hostvars in hosts.items():
            entries[str(name)] = dict(hostvars or {})
        extra = {}
        for group, body in children.items():
            if group == CANISTERS_GROUP:
                continue
            managed = group.endswith("_canisters") and all(
                h in entries and template_group(entries[h].get("template")) == group
                for h in ((body or {}).get("hosts") or {}))
            if not managed:
                extra[group] = body
        return cls(entries, extra)

    def to_document(self):
        """Return the YAML inventory document for the current entries."""
        children = {CANISTERS_GROUP: {"hosts": {n: _ordered(self.entries[n]) for n in sorted(self.entries)}}}
        by_template = {}
        for name in sorted(self.entries):
            template = self.entries[name].get("template")
            if template:
                by_template.setdefault(template_group(template), {})[name] = None
        for group in sorted(by_template):
            children[group] = {"hosts": by_template[group]}
        for group, body in self.extra_groups.items():
            children.setdefault(group, body)
        return {"all": {"children": children}}

    def get(self, name):
        """Return a copy of the entry ``name`` or None."""
        entry = self.entries.get(name)
        return copy.deepcopy(entry) if entry is not None else None

    def find(self, **match):
        """Return ``(name, entry)`` of the first entry whose variables equal ``match``, or None."""
        for name in sorted(self.entries):
            entry = self.entries[name]
            if all(entry.get(k) == v for k, v in match.items()):
                return name, copy.deepcopy(entry)
        return None

    def put(self, name, entry):
        """Store ``entry`` (a dict of host variables) under ``name``, validating it."""
        check_name(name)
        status = entry.get("status")
        if status is not None and status not in STATUSES:
            raise RegistryError(f"status: {status!r} is not one of {', '.join(STATUSES)}")
        template = entry.get("template")
        if template is not None and not _NAME_RE.fullmatch(str(template)):
            raise RegistryError(f"template: {template!r} is not a valid group name part")
        events = entry.get("events")
        if events is not None:
            entry["events"] = list(events)[-MAX_EVENTS:]
        self.entries[name] = entry

    def remove(self, name):
        """Drop ``name`` entirely; returns whether it was there."""
        return self.entries.pop(name, None) is not None


def add_event(entry, action, result, identity=None, **details):
    """Append one event ``{time, action, identity, result, ...}`` to an entry, keeping it bounded.

    ``action`` is one of ``EVENTS``; anything else is a programming error (ValueError).
    """
    if action not in EVENTS:
        raise ValueError(f"event action {action!r} is not one of {', '.join(EVENTS)}")
    event = {"time": now_iso(), "action": action, "identity": identity, "result": result}
    event.update({k: v for k, v in details.items() if v is not None})
    events = list(entry.get("events") or [])
    events.append(event)
    entry["events"] = events[-MAX_EVENTS:]
    return entry


class Registry:
    """A registry file on disk. ``read()`` for a snapshot, ``transaction()`` to change it."""

    def __init__(self, path):
        if not HAS_YAML:
            raise RegistryError("the registry needs the Python library PyYAML")
        self.path = os.path.abspath(os.path.expanduser(path))
        self.lock_path = self.path + ".lock"

    def read(self):
        """Return the current RegistryData (empty when the file does not exist)."""
        try:
            with open(self.path, "r", encoding="utf-8") as handle:
                text = handle.read()
        except FileNotFoundError:
            return RegistryData()
        try:
            doc = yaml.load(text, Loader=SafeLoader)  # a safe loader: libyaml's when present
        except yaml.YAMLError as exc:
            raise RegistryError(yaml_error_line(self.path, exc)) from None
        return RegistryData.from_document(doc, self.path)

    @contextlib.contextmanager
    def transaction(self, write=True):
        """Yield RegistryData under an exclusive lock; write it back if the block succeeds.

        The file is rewritten only when its content changed, so a no-op transaction leaves the
        modification time alone; ``write=False`` (check mode) never writes.
        """
        directory = os.path.dirname(self.path)
        os.makedirs(directory, exist_ok=True)
        with open(self.lock_path, "a", encoding="utf-8") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                data = self.read()
                before = (copy.deepcopy(data.entries), copy.deepcopy(data.extra_groups))
                yield data
                if write and (data.entries, data.extra_groups) != before:
                    self._write(self._dump(data))
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    @staticmethod
    def _dump(data):
        return yaml.dump(data.to_document(), Dumper=_dumper(), default_flow_style=False,
                         sort_keys=False, allow_unicode=True, width=100)

    def _write(self, text):
        directory = os.path.dirname(self.path)
        fd, tmp = tempfile.mkstemp(prefix=".registry-", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write("---\n# Canister registry: written by icp.canister_factory.ic_registry.\n")
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                mode = os.stat(self.path).st_mode & 0o777
            except FileNotFoundError:
                mode = 0o644
            os.chmod(tmp, mode)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
