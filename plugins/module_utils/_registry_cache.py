# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A parse cache of the registry's YAML file: ``<registry>.cache``, keyed on the file's content.

Even libyaml's loader builds every node in Python: a registry of 1,000 canisters takes ~0.3 s
to parse, more than the rest of a converged fleet run's local work. The cache holds the parsed
document as JSON (parsed ~20 times faster) under the SHA-256 of the YAML bytes it was parsed
from::

    {"format": 1, "yaml_sha256": "<hex>", "body_sha256": "<hex>"}
    <the document as one JSON text>

A reader hashes the bytes it has just read from the YAML file and uses the cache only when the
key matches, so the cache is never stale: any change of the file, by this collection or by hand,
misses it. The body's own hash makes a torn or damaged cache a miss too, so it needs no fsync and
no lock: it is written to a temporary file and renamed over the old one, by the compaction that
writes the YAML file and by a reader that missed. A document that JSON cannot carry exactly (a
date, a non-text key from a hand-edited file) is not cached. Any problem with the cache (none,
damaged, unwritable directory) only means the YAML file is parsed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile

FORMAT = 1
MISS = object()


def cache_path(registry_path):
    """Where the cache of the registry file ``registry_path`` lives."""
    return registry_path + ".cache"


def content_key(raw):
    """The cache key of the YAML file's bytes ``raw``."""
    return hashlib.sha256(raw).hexdigest()


def load(registry_path, key):
    """The document cached for YAML content ``key``, or ``MISS``."""
    try:
        with open(cache_path(registry_path), "rb") as handle:
            header = json.loads(handle.readline())
            if header.get("format") != FORMAT or header.get("yaml_sha256") != key:
                return MISS
            body = handle.read()
    except (OSError, ValueError, AttributeError):
        return MISS
    if hashlib.sha256(body).hexdigest() != header.get("body_sha256"):
        return MISS
    try:
        return json.loads(body)
    except ValueError:
        return MISS


def store(registry_path, key, doc):
    """Cache ``doc`` as the parse of the YAML content ``key``; quietly nothing when it cannot be."""
    try:
        body = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    except (TypeError, ValueError):
        return
    if json.loads(body) != doc:
        return  # a non-text key or a tuple would come back as something else
    header = json.dumps({"format": FORMAT, "yaml_sha256": key,
                         "body_sha256": hashlib.sha256(body).hexdigest()}).encode("ascii")
    path = cache_path(registry_path)
    directory = os.path.dirname(path) or "."
    try:
        fd, tmp = tempfile.mkstemp(prefix=".registry-cache-", suffix=".tmp", dir=directory)
    except OSError:
        return  # a read-only directory: readers parse the YAML file
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(header + b"\n" + body)
        with contextlib.suppress(OSError):
            # The cache holds what the registry holds: readable by whom the registry is.
            os.chmod(tmp, os.stat(registry_path).st_mode & 0o777)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
