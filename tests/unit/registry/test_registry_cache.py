"""The registry's parse cache (``<registry>.cache``): keyed on the YAML file's content, so a
change of the file by any hand is a miss and never a stale read; a damaged cache is a miss; what
JSON cannot carry exactly is never cached; a compaction leaves the cache of what it wrote."""
import os

import yaml

import _registry_cache as parse_cache
from _registry import Registry, add_event

CANISTER = "rrkah-fqaaa-aaaaa-aaaaq-cai"
ODD = ["yes", "on", "1e3", "0x1f", "1_000", "2026-01-01", "~", "", " lead", "x: y", "- z", "é ü 中", "tab\there",
       "bell\x07", "line\nbreak", "#", "'", '"', "null", "12:30", "0o17", ".inf",
       "long " * 40 + "  two  spaces  " * 10 + " trailing ", "x" * 300, "a\n\n b \n"]


def _put(path, name, **fields):
    registry = Registry(path)
    with registry.transaction() as data:
        entry = data.get(name) or {"canister_id": CANISTER, "template": "user"}
        entry.update(fields)
        data.put(name, entry)
    registry.compact()


def _parsed_without_cache(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_compaction_caches_exactly_what_a_parse_of_the_file_gives(tmp_path):
    """Odd strings (YAML 1.1 booleans, numbers in disguise, unicode, control characters),
    numbers, nested settings and events: the cached document equals a fresh parse."""
    path = str(tmp_path / "registry.yml")
    _put(path, "alice", owner="aaaaa-aa", odd=ODD, big=2**70, neg=-5, ratio=0.25, flag=True, none=None,
         settings={"controllers": ["aaaaa-aa"], "nested": {"k": ODD[:3]}})
    registry = Registry(path)
    with registry.transaction() as data:
        entry = data.get("alice")
        add_event(entry, "update", "ok", identity="me", note="é")
        data.put("alice", entry)
    registry.compact()
    with open(path, "rb") as handle:
        key = parse_cache.content_key(handle.read())
    cached = parse_cache.load(path, key)
    assert cached is not parse_cache.MISS
    assert cached == _parsed_without_cache(path)
    assert Registry(path).read().entries == {"alice": _parsed_without_cache(path)["all"]["children"]["canisters"]
                                             ["hosts"]["alice"]}


def test_a_read_uses_the_cache_only_for_the_content_it_was_made_from(tmp_path, monkeypatch):
    """The same bytes read from the cache (no YAML parse); a file changed by hand (same size,
    same mtime even) is parsed again and its own cache written."""
    path = str(tmp_path / "registry.yml")
    _put(path, "alice", owner="aaaaa-aa")
    parses = []
    real_load = yaml.load
    monkeypatch.setattr(yaml, "load", lambda *a, **k: parses.append(1) or real_load(*a, **k))
    assert Registry(path).read().entries["alice"]["owner"] == "aaaaa-aa"
    assert not parses
    stat = os.stat(path)
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text.replace("owner: aaaaa-aa", "owner: bbbbb-bb"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert Registry(path).read().entries["alice"]["owner"] == "bbbbb-bb"
    assert len(parses) == 1
    assert Registry(path).read().entries["alice"]["owner"] == "bbbbb-bb"
    assert len(parses) == 1  # the reader that missed cached the new content


def test_a_damaged_or_foreign_cache_is_a_miss(tmp_path):
    path = str(tmp_path / "registry.yml")
    _put(path, "alice", owner="aaaaa-aa")
    with open(path, "rb") as handle:
        key = parse_cache.content_key(handle.read())
    cache = parse_cache.cache_path(path)
    with open(cache, "rb") as handle:
        header, body = handle.read().split(b"\n", 1)
    for damaged in (header + b"\n" + body[:-10],                                     # torn
                    header + b"\n" + body.replace(b"aaaaa-aa", b"ccccc-cc"),         # edited body
                    header.replace(b'"format": 1', b'"format": 99') + b"\n" + body,  # other format
                    b"not json\n" + body, b""):
        with open(cache, "wb") as handle:
            handle.write(damaged)
        assert parse_cache.load(path, key) is parse_cache.MISS
        assert Registry(path).read().entries["alice"]["owner"] == "aaaaa-aa"
    assert parse_cache.load(path, key) is not parse_cache.MISS  # the last read cached it again


def test_what_json_cannot_carry_is_not_cached(tmp_path):
    """A hand-edited date or a number as a key would come back from JSON as something else."""
    path = str(tmp_path / "registry.yml")
    for text in ("all:\n  children:\n    canisters:\n      hosts:\n        alice: {created_at: 2026-01-01}\n",
                 "all:\n  children:\n    canisters:\n      hosts:\n        alice: {settings: {1: one}}\n"):
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        if os.path.exists(parse_cache.cache_path(path)):
            os.unlink(parse_cache.cache_path(path))
        entry = Registry(path).read().entries["alice"]
        assert entry == _parsed_without_cache(path)["all"]["children"]["canisters"]["hosts"]["alice"]
        assert not os.path.exists(parse_cache.cache_path(path))


def test_the_cache_has_the_registry_permissions_and_an_unwritable_directory_is_no_error(tmp_path, monkeypatch):
    path = str(tmp_path / "registry.yml")
    _put(path, "alice", owner="aaaaa-aa")
    os.chmod(path, 0o600)
    _put(path, "alice", owner="bbbbb-bb")
    assert os.stat(parse_cache.cache_path(path)).st_mode & 0o777 == 0o600
    os.unlink(parse_cache.cache_path(path))

    def refused(*args, **kwargs):
        raise PermissionError("read-only directory")
    monkeypatch.setattr(parse_cache.tempfile, "mkstemp", refused)
    assert Registry(path).read().entries["alice"]["owner"] == "bbbbb-bb"
    assert not os.path.exists(parse_cache.cache_path(path))
