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
registry, change it, and append each changed entry whole to ``<file>.journal`` (fsync'd before
the transaction returns; see registry_journal.py). The registry is the YAML file with the
journal replayed over it. When the journal has grown as big as the file, and at the end of
every module run, it is compacted: the whole registry goes to a temporary file in the same
directory, which is fsync'd and ``os.replace``d over the old one, and then the journal is
removed. A change costs about its own size, not the registry's, and after a finished run the
YAML file alone is the whole registry again.

A parse of the YAML file is kept in ``<file>.cache`` under the SHA-256 of the file's bytes
(registry_cache.py): a reader of unchanged content skips the YAML parse, and any change of the
file misses the cache. Compaction writes it for the content it wrote.

Readers never lock: ``os.replace`` is atomic and the journal only grows between compactions,
so they see a consistent state (a compaction between reading the file and the journal is
noticed and the read repeated). A writer killed half-way leaves at most a torn last journal
line, which readers skip and the next writer cuts off. Many forks changing the registry at
once therefore lose nothing.
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
    from ansible_collections.icp.canister_factory.plugins.module_utils import _registry_audit as audit_log
    from ansible_collections.icp.canister_factory.plugins.module_utils import _registry_cache as parse_cache
    from ansible_collections.icp.canister_factory.plugins.module_utils._registry_journal import (
        Journal, JournalCorrupt, apply_records, file_stamp, fsync_directory, put_line, remove_line)
except ImportError:
    # The EDA event source (extensions/eda) imports module_utils as top-level modules.
    import _registry_audit as audit_log  # type: ignore[no-redef]
    import _registry_cache as parse_cache  # type: ignore[no-redef]
    from _registry_journal import (  # type: ignore[no-redef]
        Journal, JournalCorrupt, apply_records, file_stamp, fsync_directory, put_line, remove_line)

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
# The journal is folded into the YAML file once it is as big as the file, and at least this big.
COMPACT_MIN_BYTES = 256 * 1024
READ_ATTEMPTS = 100
CANISTERS_GROUP = "canisters"
# Keys of a host entry in the order they are written, so the file diffs well in git.
KEY_ORDER = (
    "canister_id", "template", "owner", "created_by", "created_at", "network", "status",
    "module_hash", "wasm_version", "arg_sha256", "cycles_balance", "pending_top_up", "funding", "specified_id",
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


def copy_entry(value):
    """A deep copy of an entry: its JSON-like parts copied directly (several times faster than
    ``copy.deepcopy``, which a fleet run calls thousands of times), anything else by deepcopy."""
    kind = type(value)
    if kind is dict:
        return {k: copy_entry(v) for k, v in value.items()}
    if kind is list:
        return [copy_entry(v) for v in value]
    if kind in (str, int, float, bool) or value is None:
        return value
    return copy.deepcopy(value)


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
        # name -> the entry before this transaction's first put/remove of it (None: absent).
        self._touched = {}

    def begin(self):
        """Start noting which entries change (a transaction calls it)."""
        self._touched = {}

    def changes(self):
        """``[(name, entry or None when removed)]`` for every entry that differs from before ``begin()``."""
        changed = []
        for name in sorted(self._touched):
            entry = self.entries.get(name)
            if entry != self._touched[name]:
                changed.append((name, entry))
            elif entry is not None:
                self.entries[name] = self._touched[name]  # ours again, not the caller's equal copy
        return changed

    def before(self, name):
        """Entry ``name`` as it was before this transaction first changed it (None: it was absent)."""
        return self._touched.get(name)

    def _touch(self, name):
        if name not in self._touched:
            # get() hands out copies and put() replaces the object, so the old one stays as it was.
            self._touched[name] = self.entries.get(name)

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
        return copy_entry(entry) if entry is not None else None

    def find(self, **match):
        """Return ``(name, entry)`` of the first entry whose variables equal ``match``, or None."""
        for name in sorted(self.entries):
            entry = self.entries[name]
            if all(entry.get(k) == v for k, v in match.items()):
                return name, copy_entry(entry)
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
        self._touch(name)
        self.entries[name] = entry

    def remove(self, name):
        """Drop ``name`` entirely; returns whether it was there."""
        self._touch(name)
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


# Registry.check()'s parse by path, for the next read() of the same registry in this process.
_CHECKED = {}


class _Snapshot:
    """A consistent view of the YAML file and the journal records after it."""

    def __init__(self, data, yaml_stamp, journal_end, journal_identity):
        self.data = data
        self.yaml_stamp = yaml_stamp
        self.journal_end = journal_end
        self.journal_identity = journal_identity


class Registry:
    """A registry file on disk. ``read()`` for a snapshot, ``transaction()`` to change it.

    The state is the YAML file with the records of ``<file>.journal`` applied. A transaction
    appends the entries it changed to the journal; the journal is compacted into the YAML file
    when it has grown as big as the file (so each change costs about its own size, however big
    the registry), and by ``compact()``, which the modules call at the end of their run.
    """

    def __init__(self, path, compact_bytes=None):
        if not HAS_YAML:
            raise RegistryError("the registry needs the Python library PyYAML")
        self.path = os.path.abspath(os.path.expanduser(path))
        self.lock_path = self.path + ".lock"
        self.journal = Journal(self.path + ".journal", like=self.path)
        self.compact_bytes = COMPACT_MIN_BYTES if compact_bytes is None else compact_bytes
        # The state after this object's last transaction; the next one reads only what changed.
        self._cache = None

    def read(self):
        """Return the current RegistryData (empty when the file does not exist).

        No lock: the YAML file is replaced atomically and the journal only grows until a
        compaction replaces the YAML file; a compaction between reading the two is seen (the
        file is another one then) and the read starts again.
        """
        return self._consistent(_CHECKED.pop(self.path, None)).data

    def check(self):
        """Parse the registry to prove it readable (RegistryError if not).

        The next ``read()`` of this path in this process takes over the parse (and reads only
        what the journal added since), so checking a big registry before using it costs one parse.
        """
        _CHECKED[self.path] = self._consistent()

    def _consistent(self, base=None):
        for _attempt in range(READ_ATTEMPTS):
            snapshot = self._snapshot(base)
            if snapshot is not None:
                return snapshot
            base = None
        raise RegistryError(f"{self.path}: the registry was compacted {READ_ATTEMPTS} times while it was read; "
                            "try again")

    def _snapshot(self, base=None):
        """Read the YAML file (unless ``base`` holds this version of it) and the journal after it.

        Returns None when the YAML file was replaced meanwhile (the caller reads again).
        """
        try:
            handle = open(self.path, "rb")  # pylint: disable=consider-using-with
        except FileNotFoundError:
            handle = None
        try:
            yaml_stamp = file_stamp(os.fstat(handle.fileno())) if handle else None
            if base is not None and base.yaml_stamp == yaml_stamp:
                data, offset, identity = base.data, base.journal_end, base.journal_identity
            else:
                data = self._parse(handle.read()) if handle else RegistryData()
                offset, identity = 0, None
            try:
                records, end, now_identity = self.journal.read(offset, identity)
            except JournalCorrupt as exc:
                raise RegistryError(str(exc)) from None
            if offset and now_identity != identity:
                # Another journal under the same YAML file: only a compaction replaces the
                # journal, and it replaces the file first. Read everything again.
                return self._snapshot()
            # Still the file we read (kept open, so its inode cannot be reused meanwhile)?
            try:
                now = file_stamp(os.stat(self.path))
            except FileNotFoundError:
                now = None
            if now != yaml_stamp:
                return None
        finally:
            if handle:
                handle.close()
        apply_records(data.entries, records)
        return _Snapshot(data, yaml_stamp, end, now_identity)

    def _parse(self, raw):
        """The registry in the YAML bytes ``raw``: from the parse cache when it holds this content."""
        key = parse_cache.content_key(raw)
        doc = parse_cache.load(self.path, key)
        if doc is parse_cache.MISS:
            try:
                doc = yaml.load(raw.decode("utf-8"), Loader=SafeLoader)  # a safe loader: libyaml's when present
            except yaml.YAMLError as exc:
                raise RegistryError(yaml_error_line(self.path, exc)) from None
            parse_cache.store(self.path, key, doc)
        return RegistryData.from_document(doc, self.path)

    @contextlib.contextmanager
    def _locked(self):
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        with open(self.lock_path, "a", encoding="utf-8") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    @contextlib.contextmanager
    def transaction(self, write=True):
        """Yield RegistryData under an exclusive lock; record its changes if the block succeeds.

        Only entries that changed are written (appended to the journal, fsync'd before this
        returns), so a no-op transaction writes nothing; ``write=False`` (check mode) never writes.
        """
        with self._locked():
            snapshot = self._consistent(self._cache)
            self._cache = None  # the block changes the data: trust it again only once written
            data = snapshot.data
            data.begin()
            groups_before = copy.deepcopy(data.extra_groups)
            yield data
            if not write:
                return
            changes = data.changes()
            if not changes and data.extra_groups == groups_before:
                self._cache = snapshot
                return
            # Every event the transaction added, in the full audit log before the registry has it.
            audit_log.append(self.path, audit_log.transaction_records(changes, data.before, now_iso()))
            self._cache = self._commit(snapshot, changes, data.extra_groups != groups_before)

    def _commit(self, snapshot, changes, groups_changed):
        """Append ``changes`` to the journal, or compact when that is due; return the new snapshot."""
        lines = []
        for name, entry in changes:
            if entry is None:
                lines.append(remove_line(name))
                continue
            line, stored = put_line(name, entry)
            if line is None:
                groups_changed = True  # JSON cannot carry it exactly: the YAML file takes it
                break
            snapshot.data.entries[name] = stored  # the caller's object stays the caller's
            lines.append(line)
        if groups_changed or snapshot.journal_end + sum(map(len, lines)) >= self._compact_limit(snapshot):
            return self._compact_locked(snapshot.data)
        end, identity = self.journal.append(lines)
        return _Snapshot(snapshot.data, snapshot.yaml_stamp, end, identity)

    def _compact_limit(self, snapshot):
        if snapshot.yaml_stamp is None:
            return 0  # the first change creates the YAML file, so there is always one to read
        return max(self.compact_bytes, snapshot.yaml_stamp[3])

    def compact(self):
        """Write the journal's records into the YAML file and remove the journal; a no-op without one.

        Safe to repeat and to interrupt: the journal goes only after the new file is in place,
        and replaying it over that file changes nothing.
        """
        if self.journal.size() == 0 and not os.path.exists(self.journal.path):
            return False
        with self._locked():
            if not os.path.exists(self.journal.path):
                return False
            self._cache = self._compact_locked(self._consistent(self._cache).data)
        return True

    def _compact_locked(self, data):
        raw = self._write(self._dump(data))
        self.journal.remove()
        # The next reader (the next run's first read) finds this content parsed already.
        # (The document dumped is the document a parse of the file gives: safe types only, and
        # store() keeps out what JSON would not give back.)
        parse_cache.store(self.path, parse_cache.content_key(raw), data.to_document())
        return _Snapshot(data, file_stamp(os.stat(self.path)), 0, None)

    @staticmethod
    def _dump(data):
        return yaml.dump(data.to_document(), Dumper=_dumper(), default_flow_style=False,
                         sort_keys=False, allow_unicode=True, width=100)

    def _write(self, text):
        """Replace the YAML file by ``text`` atomically and durably; return the bytes written."""
        directory = os.path.dirname(self.path)
        raw = ("---\n# Canister registry: written by icp.canister_factory.ic_registry.\n" + text).encode("utf-8")
        fd, tmp = tempfile.mkstemp(prefix=".registry-", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(raw)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                mode = os.stat(self.path).st_mode & 0o777
            except FileNotFoundError:
                mode = 0o644
            os.chmod(tmp, mode)
            os.replace(tmp, self.path)
            # The journal is removed next: the new file must be on disk before that is.
            fsync_directory(directory)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return raw
