# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Inventory plugin: the canisters recorded in one or more registry files, as hosts."""

from __future__ import annotations

DOCUMENTATION = r"""
name: registry
short_description: Canisters from icp.canister_factory registry files as inventory hosts
version_added: 0.1.0
description:
  - Reads one or more canister registry files written by M(icp.canister_factory.ic_registry)
    and adds every recorded canister as a host in group C(canisters) and in its template group
    C(<template>_canisters).
  - A canister with shards (entries with C(shard_of) naming it, made by C(scale.yml)) and its
    shards are also in group C(<template>_shards_<owner>), the owner's principal with C(_) for C(-).
  - Host variables are the registry entry (C(canister_id), C(template), C(owner), C(status),
    C(module_hash), C(wasm_version), C(cycles_balance), C(events), ...) plus
    C(ansible_connection=local), because every task for a canister runs on the controller.
  - With O(live=true) it asks the network for each canister's status, cycles, memory and
    module hash (concurrently, one agent) and overrides the recorded values; the answer can be
    cached with the usual inventory cache options.
  - With O(factory) it also reads the children of a factory canister (paging through its
    C(list_canisters)) and merges them with the registry files - same host variables (with
    C(source=factory)), same groups - as hosts named C(<template>-<canister id>). The identity must
    be an admin of the factory. Each child also gets C(factory_id), the factory's canister id.
    A shard the factory made by autoscaling has C(shard_of) (its family's first canister's host
    name), C(shard_of_id) and C(shard_index), so the family lands in group C(<template>_shards_<owner>)
    like the shards of C(scale.yml).
    The listing is cached with the usual inventory cache options.
  - Uses a YAML configuration file whose name ends with C(icp_registry.yml) or
    C(icp_registry.yaml).
extends_documentation_fragment:
  - constructed
  - inventory_cache
options:
  plugin:
    description: Marks this file as a configuration of this plugin.
    required: true
    choices: [registry, icp.canister_factory.registry]
  registries:
    description:
      - Registry files to read. Relative paths are relative to this configuration file.
      - Each may be a template, e.g. C({{ lookup('env', 'ICP_REGISTRY') or 'registry.yml' }}).
      - A file that does not exist yet is an empty registry.
      - The changes in the journal beside a file (C(<file>.journal), left by a run that was killed
        or is still going) are read too.
    type: list
    elements: path
    env:
      - name: ICP_REGISTRY
  templates:
    description: Only canisters of these templates (empty means all).
    type: list
    elements: str
    default: []
  statuses:
    description:
      - Only canisters whose registry status is one of these (empty means all but C(deleted)).
    type: list
    elements: str
    default: []
  owners:
    description: Only canisters owned by one of these principals (empty means all).
    type: list
    elements: str
    default: []
  live:
    description: Add the live state of every canister from the network (status, cycles, memory, module hash).
    type: bool
    default: false
  network:
    description: Network URL, C(local) (http://127.0.0.1:4943) or C(ic), used when O(live=true).
    type: str
    default: local
    env:
      - name: ICP_NETWORK
  identity:
    description: PEM file of the identity asking for canister status (must be a controller to see cycles).
    type: path
    env:
      - name: ICP_IDENTITY
  identity_password:
    description: Password of an encrypted O(identity).
    type: str
    env:
      - name: ICP_IDENTITY_PASSWORD
  root_key:
    description:
      - Root key of the network in hex; C(fetch) asks a loopback network for it (refused for any other network).
      - When empty, mainnet's built-in key is used for mainnet hosts (C(ic), C(icp-api.io), C(ic0.app), C(icp0.io)),
        the key is fetched from a loopback network, and any other network fails asking for the key.
    type: str
    env:
      - name: ICP_ROOT_KEY
  timeout:
    description: Seconds to wait for each network request.
    type: float
    default: 30
  live_workers:
    description: How many canisters are asked about at once.
    type: int
    default: 8
  factory:
    description:
      - A factory canister whose children are hosts too - its canister id, or its host name in the
        registry files (C(factory), as playbooks/deploy_factory.yml records it).
    type: str
    env:
      - name: ICP_FACTORY
  factory_did:
    description: The factory's Candid interface file; by default read from its C(candid:service) metadata.
    type: path
  factory_page_size:
    description: Children read per query (at most 500).
    type: int
    default: 500
  group_by:
    description:
      - Groups made natively (in Python, microseconds a host) instead of with O(keyed_groups), which
        compiles and evaluates a Jinja expression per host and entry (milliseconds a host, so seconds
        per run at thousands of canisters). Each gives the names and members of the O(keyed_groups)
        entry shown (key, prefix).
      - C(owner) gives C(owner_<owner>); key C(owner), prefix C(owner).
      - C(template) gives C(template_<template>); key C(template), prefix C(template).
      - C(status) gives C(status_<status>) (the registry status); key C(status), prefix C(status).
      - C(version) gives C(version_<wasm_version>), C(version_none) without one;
        key C(wasm_version) defaulting to C(none) when empty (Jinja's C(default) with its second argument true), prefix C(version).
      - C(source) gives C(source_registry), or C(source_factory) for a factory's children;
        key C(source) defaulting to C(registry) when missing, prefix C(source).
      - Characters not allowed in a group name become C(_), as in keyed groups (a principal's C(-)).
      - O(keyed_groups), O(groups) and O(compose) still work for any other expression.
    type: list
    elements: str
    choices: [owner, template, status, version, source]
    default: []
  cycles_low_threshold:
    description:
      - Hosts whose C(cycles_balance) is below this many cycles are also in group C(cycles_low),
        computed natively. The balance is read as Jinja's C(int) filter reads it (missing, null or
        not a number count as 0, so such a host is in the group), as the O(groups) condition on
        C(cycles_balance) with C(default) 0 and C(int) did in earlier versions of the examples.
      - Unset, there is no C(cycles_low) group (unless O(groups) makes one).
    type: int
"""

EXAMPLES = r"""
# canisters.icp_registry.yml — every canister recorded in build/registry.yml
plugin: icp.canister_factory.registry
registries: [build/registry.yml]

# The canisters of one user: ansible-inventory -i owners.icp_registry.yml --graph owner_<principal>
# (native groups: cheap at thousands of canisters; keyed_groups remain for other expressions)
plugin: icp.canister_factory.registry
registries: [build/registry.yml]
group_by: [owner, template, status, version]
cycles_low_threshold: 1000000000000

# The canisters of the registry file and the children of its factory, cached for a minute.
plugin: icp.canister_factory.registry
registries: [build/registry.yml]
factory: factory
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: build/inventory-cache
cache_timeout: 60

# Live cycles, cached for ten minutes; low balances get their own group.
plugin: icp.canister_factory.registry
registries: [build/registry.yml]
live: true
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: build/inventory-cache
cache_timeout: 600
cycles_low_threshold: 1000000000000
keyed_groups:
  - key: module_hash
    prefix: hash
"""

import os
from concurrent.futures import ThreadPoolExecutor

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

from ansible.utils.unsafe_proxy import wrap_var as make_unsafe

from ..module_utils import _input_fields as input_fields
from ..module_utils._ic.errors import InputError

from ..module_utils._canister_facts import canister_facts
from ..module_utils import _inventory_groups as native_groups
from ..module_utils._registry import CANISTERS_GROUP, Registry, RegistryError, template_group


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    """Canisters of the registry files as hosts; optionally with their live state."""

    NAME = "icp.canister_factory.registry"
    # Its text comes from registry files and the network: never trusted as a template.
    trusted_by_default = False

    def verify_file(self, path):
        """Accept only ``*.icp_registry.yml`` / ``*.icp_registry.yaml`` configuration files."""
        return super().verify_file(path) and path.endswith(("icp_registry.yml", "icp_registry.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        self._check_options()
        base = os.path.dirname(os.path.abspath(path))
        entries = self._read_registries(base)
        if self.get_option("factory"):
            entries.update(self._cached_factory_children(path, cache, entries))
        entries = self._filtered(entries)
        if self.get_option("live"):
            self._check_entries(entries)
            live = self._cached_live(path, cache, entries)
            for name, state in live.items():
                entries[name].update(state)
        self._populate(entries)

    def _check_options(self):
        """The options, checked by the modules' validation functions before anything is read."""
        try:
            for index, owner in enumerate(self.get_option("owners") or []):
                input_fields.principal(owner, f"owners[{index}]")
            for index, status in enumerate(self.get_option("statuses") or []):
                input_fields.status(status, f"statuses[{index}]")
            if self.get_option("cycles_low_threshold") is not None:
                input_fields.nat(self.get_option("cycles_low_threshold"), "cycles_low_threshold")
            if self.get_option("factory"):
                input_fields.nat(self.get_option("factory_page_size"), "factory_page_size", minimum=1, maximum=500)
            if self.get_option("live") or self.get_option("factory"):
                input_fields.network_url(self.get_option("network"))
                input_fields.seconds(self.get_option("timeout"), "timeout")
                input_fields.nat(self.get_option("live_workers"), "live_workers", minimum=1, maximum=256)
                if self.get_option("root_key") not in (None, "", "fetch"):
                    input_fields.hex_bytes(self.get_option("root_key"), "root_key")
                if self.get_option("identity"):
                    input_fields.readable_file(self.get_option("identity"), "identity")
        except InputError as exc:
            raise AnsibleParserError(f"registry inventory: {exc}") from None

    @staticmethod
    def _check_entries(entries):
        """Live mode asks the network about each recorded canister id: each must be one."""
        try:
            for name, entry in entries.items():
                if entry.get("canister_id") is not None:
                    input_fields.canister_id(entry["canister_id"], f"{name}.canister_id")
        except InputError as exc:
            raise AnsibleParserError(f"registry inventory: {exc} (in the registry file; fix it with "
                                     "ic_registry)") from None

    def _read_registries(self, base):
        """Merge the entries of every registry file; a later file wins for a repeated name."""
        files = self.get_option("registries") or []
        if not files:
            raise AnsibleParserError("registry inventory: no registry file given (option 'registries' or ICP_REGISTRY)")
        entries = {}
        for name in files:
            # Templates let a configuration follow ICP_REGISTRY and still have a fallback.
            name = self.templar.template(name) if self.templar.is_template(name) else name
            file_path = os.path.join(base, os.path.expanduser(name))
            try:
                data = Registry(file_path).read()
            except RegistryError as exc:
                raise AnsibleParserError(f"registry inventory: {exc}") from exc
            for host, hostvars in data.entries.items():
                hostvars.setdefault("registry_file", os.path.abspath(file_path))
                entries[host] = hostvars
        return entries

    def _filtered(self, entries):
        """Apply the template, status and owner filters."""
        templates = set(self.get_option("templates"))
        statuses = set(self.get_option("statuses"))
        owners = set(self.get_option("owners"))

        def wanted(entry):
            status = entry.get("status")
            if statuses:
                if status not in statuses:
                    return False
            elif status == "deleted":
                return False
            if templates and entry.get("template") not in templates:
                return False
            return not owners or entry.get("owner") in owners

        return {name: entry for name, entry in entries.items() if wanted(entry)}

    def _cached_live(self, path, cache, entries):
        """Live state per host name, from the inventory cache when allowed and present."""
        use_cache = self.get_option("cache") and cache
        key = self.get_cache_key(path)
        if use_cache:
            try:
                cached = self._cache[key]
                if set(cached) >= set(entries):
                    # A cache plugin may hand back text its decoder trusted: never a template here.
                    return make_unsafe({name: cached[name] for name in entries})
            except KeyError:
                pass
        live = self._fetch_live(entries)
        if self.get_option("cache"):
            self._cache[key] = live
        return live

    def _cached_factory_children(self, path, cache, entries):
        """The factory's children as host entries, from the inventory cache when allowed and present."""
        key = self.get_cache_key(path) + "_factory"
        if self.get_option("cache") and cache:
            try:
                return make_unsafe(self._cache[key])
            except KeyError:
                pass
        children = self._factory_children(entries)
        if self.get_option("cache"):
            self._cache[key] = children
        return children

    def _factory_children(self, entries):
        """Read every child of the factory (paged queries) as ``{host name: host vars}``."""
        from ..module_utils._factory_client import FactoryClient, child_host_name, child_vars, resolve_factory_id

        try:
            factory_id = resolve_factory_id(self.get_option("factory"), lambda: _Entries(entries))
            did_text = None
            if self.get_option("factory_did"):
                with open(self.get_option("factory_did"), "r", encoding="utf-8") as handle:
                    did_text = handle.read()
            agent = self._management().agent
            client = FactoryClient(agent, factory_id, did_text)
            children = {}
            labels = client.version_labels()
            for info in client.canisters(page_size=self.get_option("factory_page_size")):
                hostvars = child_vars(info, agent.url, labels)
                hostvars["factory_id"] = factory_id
                children[child_host_name(hostvars)] = hostvars
        except Exception as exc:  # the whole source is unusable: say why in one line
            raise AnsibleParserError(f"registry inventory: factory {self.get_option('factory')}: {exc}") from exc
        return children

    def _fetch_live(self, entries):
        """Ask the network about every canister with a recorded id, several at once."""
        ids = {name: e["canister_id"] for name, e in entries.items() if e.get("canister_id")}
        if not ids:
            return {}
        management = self._management()
        with ThreadPoolExecutor(max_workers=max(1, self.get_option("live_workers"))) as pool:
            answers = dict(zip(ids, pool.map(lambda cid: _live_state(management, cid), ids.values())))
        return answers

    def _management(self):
        """One agent for all requests: identity and root key are loaded once."""
        try:
            from ..module_utils._ic.agent import Agent
            from ..module_utils._ic.identity import AnonymousIdentity, load_identity_file
            from ..module_utils._ic.management import Management
        except ImportError as exc:
            raise AnsibleError(f"registry inventory: live mode needs the IC client: {exc}") from exc
        from ..module_utils._ic.errors import InputError
        from ..module_utils._ic.network import resolve_network, root_key_for

        value = self.get_option("network")
        try:
            network = resolve_network(value)
            root_key = root_key_for(self.get_option("root_key"), network, value)
            identity_path = self.get_option("identity")
            identity = (load_identity_file(identity_path, self.get_option("identity_password"))
                        if identity_path else AnonymousIdentity())
        except InputError as exc:
            raise AnsibleError(f"registry inventory: {exc}") from exc
        agent = Agent(network.url, identity, root_key_der=root_key, timeout=self.get_option("timeout"))
        return Management(agent)

    def _populate(self, entries):
        """Add hosts, the contract groups, the native groups, and the constructed groups and variables."""
        self.inventory.add_group(CANISTERS_GROUP)
        strict = self.get_option("strict")
        compose, groups, keyed = (self.get_option(name) for name in ("compose", "groups", "keyed_groups"))
        add_native = self._native_grouper()
        sharded = {e.get("shard_of") for e in entries.values() if e.get("shard_of")}
        for name in sorted(entries):
            hostvars = entries[name]
            self.inventory.add_host(name, group=CANISTERS_GROUP)
            if hostvars.get("template"):
                group = self.inventory.add_group(template_group(hostvars["template"]))
                self.inventory.add_child(group, name)
                if (hostvars.get("shard_of") or name in sharded) and hostvars.get("owner"):
                    self.inventory.add_child(self.inventory.add_group(shards_group(hostvars)), name)
            hostvars.setdefault("ansible_connection", "local")
            for var, value in hostvars.items():
                # Registry and network text (errors, events, owners' data) is never a template: it is
                # plain text (YAML safe loader, the IC client; the cache's untagged on reading), which
                # an inventory plugin that is not trusted_by_default hands over untrusted. set_variable
                # copies the value once; a make_unsafe copy here too cost ~1 ms a host (events).
                self.inventory.set_variable(name, var, value)
            add_native(name, hostvars)
            if compose:
                self._set_composite_vars(compose, hostvars, name, strict=strict)
            if groups:
                self._add_host_to_composed_groups(groups, hostvars, name, strict=strict)
            if keyed:
                self._add_host_to_keyed_groups(keyed, hostvars, name, strict=strict)

    def _native_grouper(self):
        """``add(host, hostvars)`` putting a host in its O(group_by) and O(cycles_low_threshold)
        groups; each group name is sanitised (as keyed groups are) once per run, not per host."""
        keys = self.get_option("group_by") or []
        threshold = self.get_option("cycles_low_threshold")
        names = {}

        def group(raw):
            if raw not in names:
                names[raw] = self.inventory.add_group(self._sanitize_group_name(raw))
            return names[raw]

        def add(host, hostvars):
            # Conditions before keys, as Constructable orders groups then keyed_groups.
            if threshold is not None and native_groups.cycles_low(hostvars, threshold):
                self.inventory.add_child(group(native_groups.CYCLES_LOW_GROUP), host)
            for raw in native_groups.keyed_names(hostvars, keys):
                self.inventory.add_child(group(raw), host)

        return add


class _Entries:
    """The merged registry entries, looked up like RegistryData (for the factory's host name)."""

    def __init__(self, entries):
        self.entries = entries

    def get(self, name):
        """The entry ``name`` or None."""
        return self.entries.get(name)


def shards_group(hostvars):
    """``<template>_shards_<owner>`` of a sharded canister (the owner's dashes as underscores)."""
    owner = "".join(c if c.isalnum() else "_" for c in str(hostvars["owner"]))
    return f"{hostvars['template']}_shards_{owner}"


def _live_state(management, canister_id):
    """The live variables of one canister; an unreachable canister gets ``live_error`` instead."""
    try:
        status = management.canister_status({"canister_id": canister_id})
    except Exception as exc:  # one bad canister must not hide the rest of the fleet
        return {"live_error": str(exc)}
    facts = canister_facts(status)
    # The registry's own ``status`` is the entry's; the live run status gets its own name.
    return {
        "canister_status": facts["status"],
        "cycles_balance": facts["cycles"],
        "module_hash": facts["module_hash"],
        "memory_size": facts["memory_size"],
        "idle_cycles_burned_per_day": facts["idle_cycles_burned_per_day"],
        "query_calls_total": facts["query_stats"].get("num_calls_total", 0),
        "live_error": None,
    }
