# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Init arguments already proven valid: ``<registry>.checked-args``, keyed on everything the proof read.

ic_fleet checks every item's Candid init argument text before any call (``_validation.fleet``):
parsed and typed by the module's (or the ``did`` file's) init types, ~0.1 ms a text, ~0.1 s for
1,000 canisters - on every run, although a converged fleet's texts are those of the run before.
Whether a text passes that check depends on the text and on the types alone, so a text that passed
passes again with the same types. The file keeps the SHA-256 of each text that passed, together
with the hash of the module it was typed by and of the ``did`` file, if any::

    {"format": 1, "checked": ["<hex>", ...]}

A text whose key is listed is not parsed again; any other text is checked as always, and a text
that fails is never listed, so every refusal and its error text stay the same. Any change of the
text, the module or the ``did`` file is another key: the file is never stale. A damaged or
unreadable file is read as empty. It is written only by a run that succeeded and changes things
(not in check mode, so not by the controller probe: a refused or failed run leaves every file as
it was), only when the fleet's keys differ from those it read (to a temporary file renamed over
it, no lock needed: two writers each write a true list), and it keeps only the keys of the fleet
that wrote it. An unwritable directory only means the texts are parsed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile

FORMAT = 1
# The last whole validation pass of each registry in this process (its ``.checked-args`` path ->
# CheckedArgs), waiting for its run to succeed (``save_kept``).
_KEPT = {}


def checked_args_path(registry_path):
    """Where the proven init arguments of the registry ``registry_path`` are kept."""
    return registry_path + ".checked-args"


class CheckedArgs:
    """The init argument texts known to pass the check, for one fleet's validation pass."""

    def __init__(self, registry_path):
        self.path = checked_args_path(registry_path) if isinstance(registry_path, str) and registry_path else None
        self.known = _load(self.path)
        self.seen = set()
        self._did_hashes = {}

    def key(self, module, params):
        """The key of ``params``' init argument text typed for ``module``, or None (no text, or
        a ``did`` file that cannot be read: the check itself says what is wrong)."""
        text = params.get("arg")
        if not isinstance(text, str) or params.get("arg_value") is not None or params.get("arg_hex") is not None:
            return None
        did = params.get("did") or ""
        did_hash = self._did_hash(did) if did else ""
        if did_hash is None:
            return None
        try:
            data = "\0".join((str(FORMAT), module.sha256_hex, did_hash, text)).encode("utf-8")
        except UnicodeError:
            return None
        return hashlib.sha256(data).hexdigest()

    def passed(self, key):
        """Whether the text of ``key`` passed the check before (and is kept for the next run)."""
        if key is not None and key in self.known:
            self.seen.add(key)
            return True
        return False

    def add(self, key):
        """Record that the text of ``key`` has just passed the check."""
        if key is not None:
            self.seen.add(key)

    def keep(self):
        """Every text of this pass passed: keep its keys for ``save_kept``, which writes them once
        the run they were checked for has succeeded."""
        if self.path is not None:
            _KEPT[self.path] = self

    def save(self):
        """Write the keys of this pass when they differ from those read; never fails."""
        if self.path is None or self.seen == self.known:
            return
        body = json.dumps({"format": FORMAT, "checked": sorted(self.seen)}, separators=(",", ":"))
        folder = os.path.dirname(os.path.abspath(self.path))
        try:
            handle, temporary = tempfile.mkstemp(prefix=".checked-args-", dir=folder)
        except OSError:
            return
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(body)
            os.replace(temporary, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)

    def _did_hash(self, path):
        if path not in self._did_hashes:
            try:
                with open(path, "rb") as handle:
                    self._did_hashes[path] = hashlib.sha256(handle.read()).hexdigest()
            except OSError:
                self._did_hashes[path] = None
        return self._did_hashes[path]


def save_kept(registry_path):
    """Write what the last whole validation pass of ``registry_path`` proved (``CheckedArgs.keep``);
    called by a fleet run that succeeded, not in check mode."""
    if isinstance(registry_path, str) and registry_path:
        kept = _KEPT.pop(checked_args_path(registry_path), None)
        if kept is not None:
            kept.save()


def _load(path):
    if path is None:
        return set()
    try:
        with open(path, "r", encoding="utf-8") as handle:
            doc = json.load(handle)
    except (OSError, ValueError, UnicodeError):
        return set()
    keys = doc.get("checked") if isinstance(doc, dict) and doc.get("format") == FORMAT else None
    if not isinstance(keys, list):
        return set()
    return {k for k in keys if isinstance(k, str) and len(k) == 64}
