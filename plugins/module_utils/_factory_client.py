# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Typed client of the factory canister (wasm/factory.did), shared by the factory modules and
the registry inventory plugin.

The interface comes from the ``.did`` file when one is given, else from the factory's own public
``candid:service`` metadata (one read_state, never an update call), so the client always speaks
the deployed version. ``Ok``/``Err`` results are unwrapped: an ``Err`` raises ``FactoryError``.
No Ansible imports here.
"""

from __future__ import annotations

import datetime

from ansible_collections.icp.canister_factory.plugins.module_utils._ic import candid
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import ICError, InputError
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.principal import Principal

# The registry host name the factory canister is recorded under (playbooks/deploy_factory.yml).
FACTORY_HOST = "factory"
PAGE_LIMIT = 500


class FactoryError(ICError):
    """The factory answered ``Err``: ``.variant`` (e.g. ``UnknownTemplate``) and ``.details``."""

    def __init__(self, method, err):
        self.method = method
        self.variant, self.details = next(iter(err.items())) if isinstance(err, dict) else (str(err), None)
        super().__init__(f"factory {method}: {self.variant}" + (f" ({_plain(self.details)})" if self.details is not None else ""))

    def as_dict(self):
        """The error in the shape modules return (``error`` key of a failure)."""
        return {"reject_code": None, "error_code": self.variant, "message": str(self)}


def _plain(value):
    """A one-line text of a Candid value for messages."""
    if isinstance(value, dict):
        return ", ".join(f"{k}={_plain(v)}" for k, v in value.items())
    return " ".join(str(value).split())


def resolve_factory_id(value, registry_read=None):
    """Return the factory's canister id text for ``value``: principal text, or a registry host name.

    ``registry_read`` is a callable returning the RegistryData to look host names up in (or None).
    """
    if not value:
        raise InputError("factory", "give the factory's canister id or its registry host name (factory)")
    try:
        return Principal.from_text(value).to_text()
    except InputError:
        pass
    if registry_read is None:
        raise InputError("factory", f"{value!r} is not a canister id, and no registry is given to look it up")
    entry = registry_read().get(value)
    if not entry or not entry.get("canister_id") or entry.get("status") == "deleted":
        raise InputError("factory", f"no canister recorded as {value!r} in the registry; run playbooks/deploy_factory.yml")
    return entry["canister_id"]


def load_did(agent, canister_id, did_text=None):
    """The factory's interface: ``did_text`` when given, else its ``candid:service`` metadata."""
    if did_text is None:
        raw = agent.metadata(canister_id, "candid:service")
        if raw is None:
            raise InputError("factory", f"canister {canister_id} has no candid:service metadata: "
                             "is the factory module installed there?")
        did_text = bytes(raw).decode("utf-8")
    return candid.parse_did(did_text)


class FactoryClient:
    """The methods of one factory canister, with Python values in and out."""

    def __init__(self, agent, canister_id, did_text=None):
        self.agent = agent
        self.canister_id = Principal.coerce(canister_id, field="factory")
        self._did_text = did_text
        self._did = None

    @property
    def did(self):
        """The parsed interface (loaded on first use)."""
        if self._did is None:
            self._did = load_did(self.agent, self.canister_id, self._did_text)
        return self._did

    def has_method(self, name):
        """Whether the deployed factory offers ``name``."""
        return name in (self.did.service or {})

    def _encode(self, method, args):
        types = self.did.arg_types(method)
        if len(args) != len(types):
            raise InputError(method, f"takes {len(types)} arguments, {len(args)} given")
        values = [candid.from_python(t, v, path=f"{method}[{i}]") for i, (t, v) in enumerate(zip(types, args))]
        return candid.encode(list(types), values)

    def _decode(self, method, data):
        values = candid.decode(data, self.did.ret_types(method))
        return values[0] if len(values) == 1 else tuple(values)

    def query(self, method, *args):
        """Call query ``method``; return its (single) result value."""
        return self._decode(method, self.agent.query(self.canister_id, method, self._encode(method, args)))

    def update(self, method, *args):
        """Call update ``method``; return its result with ``Ok`` unwrapped (``Err`` raises FactoryError)."""
        reply = self._decode(method, self.agent.update(self.canister_id, method, self._encode(method, args)))
        return unwrap(method, reply)

    # ----- reads used by several modules ----------------------------------------------------

    def templates(self):
        """``{name: TemplateSummary}`` of every template the factory holds."""
        return {t["name"]: t for t in self.query("list_templates")}

    def canisters(self, page_size=PAGE_LIMIT, **filters):
        """Every child (``CanisterInfo``), paging through ``list_canisters``; filters as in ListArgs."""
        offset = 0
        while True:
            page = self.query("list_canisters", dict({"offset": offset, "limit": page_size, "canister_type": None,
                                                      "status": None, "owner": None}, **filters))
            yield from page["items"]
            if page.get("next_offset") is None:
                return
            offset = page["next_offset"]

    def version_labels(self):
        """``{(template, module hash hex): version}`` of every registered template version."""
        return {(t["name"], bytes(v["wasm_sha256"]).hex()): v["version"]
                for t in self.query("list_templates") for v in t["versions"]}

    def events(self, last=20):
        """The newest ``last`` events, oldest first (one page read from the right place)."""
        first = self.query("get_events", None, 1)
        start = max(int(first["first_seq"]), int(first["next_seq"]) - last)
        if last <= 0 or start >= int(first["next_seq"]):
            return []
        return list(self.query("get_events", start, min(last, PAGE_LIMIT))["items"])


def unwrap(method, reply):
    """``{"Ok": v}`` -> v, ``{"Err": e}`` -> FactoryError; anything else as it is."""
    if isinstance(reply, dict) and len(reply) == 1:
        if "Err" in reply:
            raise FactoryError(method, reply["Err"])
        if "Ok" in reply:
            return reply["Ok"]
    return reply


def iso_time(ns):
    """ISO 8601 UTC text (the registry's format) of a time in ns since the epoch, or None."""
    if not ns:
        return None
    return datetime.datetime.fromtimestamp(int(ns) / 1e9, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def variant_tag(value):
    """The tag of a Candid variant value (``{"Active": None}`` -> ``Active``)."""
    return next(iter(value)) if isinstance(value, dict) else str(value)


def child_vars(info, network=None, labels=None):
    """Registry host variables of a factory child (``CanisterInfo``), in the registry's vocabulary.

    ``labels`` (``FactoryClient.version_labels()``) names the version by the module the child runs:
    a child upgraded directly has the new module before the factory's record has the new label.
    A shard the factory made by autoscaling gets ``shard_of`` (the host name of its family's first
    canister, as ``scale.yml`` records it) and ``shard_index``, so the inventory puts the family in
    group ``<template>_shards_<owner>``.
    """
    module_hash = info.get("module_hash")
    module_hex = bytes(module_hash).hex() if module_hash is not None else None
    out = {
        "canister_id": Principal.coerce(info["canister_id"]).to_text(),
        "template": info["canister_type"],
        "owner": Principal.coerce(info["owner"]).to_text(),
        "created_by": Principal.coerce(info["created_by"]).to_text(),
        "created_at": iso_time(info.get("created_at")),
        "network": network,
        "status": variant_tag(info["status"]).lower(),
        "module_hash": module_hex,
        "wasm_version": (labels or {}).get((info["canister_type"], module_hex)) or info.get("version"),
        "cycles_balance": int(info.get("cycles_balance") or 0),
        "last_error": info.get("last_error"),
        "source": "factory",
    }
    if info.get("shard_of") is not None:
        first = Principal.coerce(info["shard_of"]).to_text()
        out.update(shard_of=child_host_name({"template": info["canister_type"], "canister_id": first}),
                   shard_of_id=first, shard_index=int(info["shard_index"]))
    return out


def child_host_name(info_vars):
    """The stable, unique inventory host name of a factory child: ``<template>-<canister id>``."""
    return f"{info_vars['template']}-{info_vars['canister_id']}"


def plain_data(value):
    """Candid values as YAML/JSON data: principals as text, blobs as hex, variants as their dict."""
    if isinstance(value, Principal):
        return value.to_text()
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    if isinstance(value, dict):
        return {k: plain_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_data(v) for v in value]
    return value
