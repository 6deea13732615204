"""The wrong inputs of test_bad_input: one row each, ``(id, module, args, field)``.

``args`` may name files of the test's world through ``{placeholders}`` (see ``test_bad_input.World``);
``field`` is how the one-line error must begin. Module rows run with the world's network,
root key and identity unless they set their own.
"""

BIG = 2 ** 128
NESTED = "(" + "opt " * 5000 + "5)"
DIGITS = "(" + "9" * 5000 + " : nat)"
ANONYMOUS = "2vxsx-fae"
CANISTER = "rrkah-fqaaa-aaaaa-aaaaq-cai"  # well formed, never created on this localnet
USER_WASM = "{wasm_user}"


def _canister(case_id, args, field):
    return (case_id, "ic_canister", dict({"registry": "{registry}", "name": "fresh"}, **args), field)


CANISTER_CASES = [
    # The cases first.
    _canister("owner-not-principal-existing", {"name": "existing", "owner": "not-a-principal"}, "owner:"),
    _canister("cycles-above-nat128", {"cycles": BIG + 1}, "cycles:"),
    _canister("cycles-negative", {"cycles": -1}, "cycles:"),
    ("canister-id-empty", "ic_canister", {"canister_id": ""}, "canister_id:"),
    _canister("registry-below-file", {"registry": "{a_file}/registry.yml"}, "registry:"),
    _canister("owner-anonymous", {"owner": ANONYMOUS}, "owner:"),
    _canister("owner-management", {"owner": "aaaaa-aa"}, "owner:"),
    ("canister-id-management", "ic_canister", {"canister_id": "aaaaa-aa"}, "canister_id:"),
    ("specified-id-bogus", "ic_canister", {"specified_id": "bogus"}, "specified_id:"),
    _canister("name-trailing-newline", {"name": "evil\n"}, "name:"),
    _canister("name-leading-dash", {"name": "-x"}, "name:"),
    _canister("registry-directory", {"registry": "{a_dir}"}, "registry:"),
    _canister("registry-bad-yaml", {"registry": "{bad_yaml}"}, "registry:"),
    _canister("compute-allocation-101", {"settings": {"compute_allocation": 101}}, "settings.compute_allocation:"),
    _canister("freezing-threshold-nat64", {"settings": {"freezing_threshold": 2 ** 64}}, "settings.freezing_threshold:"),
    _canister("reserved-limit-nat128", {"settings": {"reserved_cycles_limit": BIG}}, "settings.reserved_cycles_limit:"),
    _canister("memory-allocation-nat64", {"settings": {"memory_allocation": 2 ** 64}}, "settings.memory_allocation:"),
    _canister("wasm-memory-limit", {"settings": {"wasm_memory_limit": 2 ** 48 + 1}}, "settings.wasm_memory_limit:"),
    _canister("controller-bogus", {"settings": {"controllers": ["nope"]}}, "settings.controllers[0]:"),
    _canister("log-visibility-bogus", {"settings": {"log_visibility": "everyone"}}, "settings.log_visibility:"),
    _canister("controllers-lockout", {"settings": {"controllers": [CANISTER]}}, "settings.controllers:"),
    _canister("ledger-with-specified-id", {"funding": "cycles_ledger", "cycles": 10 ** 12,
                                           "name": None, "registry": None, "specified_id": CANISTER},
              "specified_id:"),
    _canister("ledger-without-cycles", {"funding": "cycles_ledger"}, "cycles:"),
    _canister("subnet-with-specified-id", {"subnet": CANISTER, "specified_id": CANISTER}, "subnet:"),
    _canister("subnet-unknown-provisional", {"subnet": CANISTER}, "subnet:"),
    _canister("provisional-on-mainnet", {"network": "ic", "root_key": None, "funding": "provisional"},
              "funding:"),
    _canister("auto-on-mainnet-without-cycles", {"network": "ic", "root_key": None}, "cycles:"),
    _canister("network-bad-port", {"network": "http://127.0.0.1:notaport"}, "network:"),
    _canister("network-bad-ipv6", {"network": "http://[::1"}, "network:"),
    _canister("network-ftp", {"network": "ftp://example.org"}, "network:"),
    _canister("timeout-negative", {"timeout": -1}, "timeout:"),
    _canister("timeout-zero", {"timeout": 0}, "timeout:"),
    _canister("retries-negative", {"retries": -1}, "retries:"),
    _canister("root-key-not-hex", {"root_key": "zz"}, "root_key:"),
    _canister("root-key-of-mainnet", {"name": "existing", "root_key": "{mainnet_root_key}"}, "root_key:"),
    _canister("identity-missing", {"identity": "{missing}"}, "identity:"),
    _canister("identity-directory", {"identity": "{a_dir}"}, "identity:"),
    _canister("identity-pem-garbage", {"identity": None, "identity_pem": "garbage"}, "identity_pem:"),
    _canister("template-with-space", {"template": "bad template"}, "template:"),
    _canister("snapshot-dir-below-file", {"name": "existing", "state": "absent",
                                          "last_snapshot_dir": "{a_file}/snapshots"}, "last_snapshot_dir:"),
    _canister("wait-timeout-zero", {"wait_timeout": 0}, "wait_timeout:"),
    ("canister-id-absent", "ic_canister", {"canister_id": CANISTER}, "canister_id:"),
    # Option types that AnsibleModule itself refuses: said the same way, field first.
    _canister("cycles-not-a-number", {"cycles": "abc"}, "cycles:"),
    _canister("cycles-5000-digit-text", {"cycles": "9" * 5000}, "cycles:"),
    _canister("freezing-5000-digit-text", {"settings": {"freezing_threshold": "9" * 5000}},
              "settings.freezing_threshold:"),
    _canister("timeout-not-a-number", {"timeout": "soon"}, "timeout:"),
    _canister("state-unknown", {"state": "gone"}, "state:"),
    _canister("allow-lockout-not-bool", {"allow_lockout": "maybe"}, "allow_lockout:"),
    _canister("compute-allocation-text", {"settings": {"compute_allocation": "x"}}, "settings.compute_allocation:"),
]


def _code(case_id, args, field):
    return (case_id, "ic_code", dict({"registry": "{registry}", "name": "existing", "wasm": USER_WASM}, **args),
            field)


CODE_CASES = [
    _code("wasm-not-wasm", {"wasm": "{not_wasm}"}, "wasm:"),
    _code("wasm-corrupt-gzip", {"wasm": "{corrupt_gzip}"}, "wasm:"),
    _code("wasm-truncated-gzip", {"wasm": "{truncated_gzip}"}, "wasm:"),
    _code("wasm-missing", {"wasm": "{missing}"}, "wasm:"),
    _code("wasm-directory", {"wasm": "{a_dir}"}, "wasm:"),
    _code("wasm-empty", {"wasm": "{empty}"}, "wasm:"),
    _code("arg-wrong-type", {"arg": "(42)"}, "arg:"),
    _code("arg-wrong-field-type", {"arg": "(record { owner = 5 })"}, "arg:"),
    _code("arg-value-bad-principal", {"arg_value": {"owner": "nope"}}, "arg_value"),
    _code("arg-syntax", {"arg": "(record {"}, "arg:"),
    _code("arg-hex-not-hex", {"arg_hex": "zz"}, "arg_hex:"),
    _code("arg-too-deep", {"arg": NESTED}, "arg:"),
    _code("install-to-management", {"name": None, "registry": None, "canister_id": "aaaaa-aa"}, "canister_id:"),
    _code("reinstall-without-consent", {"mode": "reinstall"}, "allow_data_loss:"),
    _code("sha256-short", {"wasm_sha256": "abc"}, "wasm_sha256:"),
    _code("sha256-wrong", {"wasm_sha256": "0" * 64}, "wasm_sha256:"),
    _code("did-missing", {"did": "{missing}"}, "did:"),
    _code("did-invalid", {"did": "{bad_did}"}, "did:"),
    _code("name-unknown", {"name": "ghost"}, "name:"),
    _code("verify-method-empty", {"verify": {"method": " "}}, "verify.method:"),
    _code("persistence-with-install", {"mode": "install", "wasm_memory_persistence": "keep"},
          "wasm_memory_persistence:"),
    _code("code-registry-bad-yaml", {"registry": "{bad_yaml}"}, "registry:"),
]

CYCLES_CASES = [
    ("cycles-amount-above-nat128", "ic_cycles", {"canister_id": "{existing_id}", "amount": BIG}, "amount:"),
    ("cycles-amount-zero", "ic_cycles", {"canister_id": "{existing_id}", "amount": 0}, "amount:"),
    ("cycles-amount-negative", "ic_cycles", {"canister_id": "{existing_id}", "amount": -5}, "amount:"),
    ("cycles-min-negative", "ic_cycles", {"canister_id": "{existing_id}", "min_cycles": -1}, "min_cycles:"),
    ("cycles-band-inverted", "ic_cycles", {"canister_id": "{existing_id}", "min_cycles": 10, "target_cycles": 5},
     "target_cycles:"),
    ("cycles-target-above-nat128", "ic_cycles", {"canister_id": "{existing_id}", "min_cycles": 10 ** 30,
                                                 "target_cycles": BIG}, "target_cycles:"),
    ("cycles-canister-bogus", "ic_cycles", {"canister_id": "bogus", "amount": 1}, "canister_id:"),
    ("cycles-canister-empty", "ic_cycles", {"canister_id": "", "amount": 1}, "canister_id:"),
    ("cycles-provisional-mainnet", "ic_cycles", {"canister_id": "{existing_id}", "amount": 1, "network": "ic",
                                                 "source": "provisional", "root_key": None}, "source:"),
    ("cycles-source-bogus", "ic_cycles", {"canister_id": "{existing_id}", "amount": 1, "source": "bogus"},
     "source:"),
    ("cycles-name-unknown", "ic_cycles", {"registry": "{registry}", "name": "ghost", "amount": 1}, "name:"),
    ("cycles-management", "ic_cycles", {"canister_id": "aaaaa-aa", "amount": 1}, "canister_id:"),
]

CALL_CASES = [
    ("call-5000-digit-nat", "ic_call", {"canister_id": "{existing_id}", "method": "whoami", "arg": DIGITS}, "arg:"),
    ("call-nested-5000", "ic_call", {"canister_id": "{existing_id}", "method": "whoami", "arg": NESTED}, "arg:"),
    ("call-canister-empty", "ic_call", {"canister_id": "", "method": "whoami"}, "canister_id:"),
    ("call-method-empty", "ic_call", {"canister_id": "{existing_id}", "method": ""}, "method:"),
    ("call-arg-hex", "ic_call", {"canister_id": "{existing_id}", "method": "whoami", "arg_hex": "xyz"}, "arg_hex:"),
    ("call-arg-syntax", "ic_call", {"canister_id": "{existing_id}", "method": "whoami", "arg": "(1, "}, "arg:"),
    ("call-did-missing", "ic_call", {"canister_id": "{existing_id}", "method": "whoami", "did": "{missing}"},
     "did:"),
]

INFO_CASES = [
    ("info-canister-empty", "ic_canister_info", {"canister_id": ""}, "canister_id:"),
    ("info-list-bad-item", "ic_canister_info", {"canister_ids": ["{existing_id}", "bad"]}, "canister_ids[1]:"),
    ("info-list-empty", "ic_canister_info", {"canister_ids": []}, "canister_ids:"),
    ("info-logs-since-negative", "ic_canister_info", {"canister_id": "{existing_id}", "logs": True,
                                                      "logs_since": -1}, "logs_since:"),
    ("info-workers-zero", "ic_canister_info", {"canister_id": "{existing_id}", "workers": 0}, "workers:"),
    ("info-metadata-empty", "ic_canister_info", {"canister_id": "{existing_id}", "metadata": [""]}, "metadata[0]:"),
]

SNAPSHOT_CASES = [
    ("snapshot-id-not-hex", "ic_snapshot", {"canister_id": "{existing_id}", "state": "absent", "snapshot_id": "zz"},
     "snapshot_id:"),
    ("snapshot-replace-not-hex", "ic_snapshot", {"canister_id": "{existing_id}", "replace": "xyz"}, "replace:"),
    ("snapshot-keep-negative", "ic_snapshot", {"canister_id": "{existing_id}", "state": "absent", "keep": -1},
     "keep:"),
    ("snapshot-older-negative", "ic_snapshot", {"canister_id": "{existing_id}", "state": "absent",
                                                "older_than": -5}, "older_than:"),
    ("snapshot-management", "ic_snapshot", {"canister_id": "aaaaa-aa"}, "canister_id:"),
    # Without snapshot_id the newest snapshot is loaded; this canister has none to load.
    ("snapshot-restore-none-kept", "ic_snapshot", {"canister_id": "{existing_id}", "state": "restored"},
     "snapshot_id:"),
]


def _registry(case_id, args, field):
    return (case_id, "ic_registry", dict({"path": "{registry}"}, **args), field)


REGISTRY_CASES = [
    _registry("vars-canister-id-bogus", {"name": "existing", "vars": {"canister_id": "bogus"}}, "vars.canister_id:"),
    _registry("cycles-balance-negative", {"name": "existing", "cycles_balance": -5}, "cycles_balance:"),
    _registry("import-bad-principal", {"import_format": "icp", "import_path": "{import_bad_id}"},
              "import_path[x]:"),
    _registry("registry-name-newline", {"name": "evil\n", "canister_id": CANISTER}, "name:"),
    _registry("export-to-directory", {"export_format": "icp", "export_path": "{a_dir}"}, "export_path:"),
    _registry("path-below-file", {"path": "{a_file}/registry.yml", "name": "x"}, "path:"),
    _registry("path-bad-yaml", {"path": "{bad_yaml}", "name": "x"}, "path:"),
    _registry("reg-canister-id-empty", {"name": "x", "canister_id": ""}, "canister_id:"),
    _registry("reg-owner-anonymous", {"name": "x", "owner": ANONYMOUS}, "owner:"),
    _registry("module-hash-bogus", {"name": "existing", "module_hash": "xyz"}, "module_hash:"),
    _registry("vars-status-bogus", {"name": "existing", "vars": {"status": "bogus"}}, "vars.status:"),
    _registry("vars-cycles-above-nat128", {"name": "existing", "vars": {"cycles_balance": BIG}},
              "vars.cycles_balance:"),
    _registry("vars-owner-management", {"name": "existing", "vars": {"owner": "aaaaa-aa"}}, "vars.owner:"),
    _registry("import-not-json", {"import_format": "icp", "import_path": "{not_wasm}"}, "import_path:"),
    _registry("import-missing", {"import_format": "icp", "import_path": "{missing}"}, "import_path:"),
    _registry("import-bad-name", {"import_format": "icp", "import_path": "{import_bad_name}"},
              "import_path['bad name']:"),
    _registry("reg-template-with-space", {"name": "x", "template": "a b"}, "template:"),
    _registry("event-with-purge", {"name": "existing", "state": "absent", "purge": True,
                                   "event": {"action": "delete"}}, "event:"),
    _registry("registry-network-bad", {"name": "existing", "network": "http://[::1"}, "network:"),
]


def _spec(name, **extra):
    item = {"name": name, "template": "user", "owner": "{owner}", "wasm": USER_WASM, "cycles": 10 ** 12,
            "cycles_min": 3 * 10 ** 11, "cycles_target": 10 ** 12}
    item.update(extra)
    return item


def _fleet(case_id, specs, field, **extra):
    return (case_id, "ic_fleet", dict({"registry": "{registry}", "canisters": specs}, **extra), field)


FLEET_CASES = [
    _fleet("fleet-band-inverted", [_spec("f1", cycles_target=10 ** 11)], "canisters[f1].cycles_target:"),
    _fleet("fleet-owner-bogus", [_spec("f2", owner="not-a-principal")], "canisters[f2].owner:"),
    _fleet("fleet-wasm-not-wasm", [_spec("f3", wasm="{not_wasm}")], "canisters[f3].wasm:"),
    _fleet("fleet-arg-wrong-type", [_spec("f4", arg="(42)")], "canisters[f4].arg:"),
    _fleet("fleet-cycles-negative", [_spec("f5", cycles=-1)], "canisters[f5].cycles:"),
    _fleet("fleet-cycles-above-nat128", [_spec("f6", cycles=BIG)], "canisters[f6].cycles:"),
    _fleet("fleet-duplicate-names", [_spec("f7"), _spec("f7")], "canisters:"),
    _fleet("fleet-workers-zero", [_spec("f8")], "workers:", workers=0),
    _fleet("fleet-name-newline", [_spec("f9\n")], "canisters[0].name:"),
    _fleet("fleet-good-and-bad", [_spec("good1"), _spec("bad1", owner=ANONYMOUS)], "canisters[bad1].owner:"),
    _fleet("fleet-registry-below-file", [_spec("f10")], "registry:", registry="{a_file}/r.yml"),
    _fleet("fleet-cycles-text", [_spec("f12", cycles="many")], "canisters.cycles:"),
    _fleet("fleet-settings-bound", [_spec("f11", settings={"compute_allocation": 500})],
           "canisters[f11].settings.compute_allocation:"),
    # The guards ic_canister and ic_cycles apply (controllers-lockout, provisional-on-mainnet,
    # cycles-provisional-mainnet), on the batch path.
    _fleet("fleet-controllers-lockout", [_spec("f14", settings={"controllers": [CANISTER]})],
           "canisters[f14].settings.controllers:"),
    _fleet("fleet-provisional-on-mainnet", [_spec("f15", funding="provisional")], "canisters[f15].funding:",
           network="ic", root_key=None),
    _fleet("fleet-cycles-provisional-mainnet", [_spec("f16", funding="cycles_ledger", cycles_source="provisional")],
           "canisters[f16].cycles_source:", network="ic", root_key=None),
]


def _upgrade(case_id, items, field, **extra):
    return (case_id, "ic_fleet", dict({"registry": "{registry}", "action": "upgrade", "upgrades": items}, **extra),
            field)


def _item(name, **extra):
    return dict({"name": name, "wasm": USER_WASM, "arg": '(record { owner = principal "{owner}" })'}, **extra)


FLEET_UPGRADE_CASES = [
    _upgrade("fleet-upgrade-module-hash-bogus", [_item("u1", module_hash="xyz")], "upgrades[u1].module_hash:"),
    _upgrade("fleet-upgrade-wasm-not-wasm", [_item("u2", wasm="{not_wasm}")], "upgrades[u2].wasm:"),
    _upgrade("fleet-upgrade-duplicate-names", [_item("u3"), _item("u3")], "upgrades:"),
    _upgrade("fleet-upgrade-notify-bogus", [_item("u4", notify_factory="nope")], "upgrades[u4].notify_factory:"),
    _upgrade("fleet-upgrade-id-management", [_item("u5", canister_id="aaaaa-aa")], "upgrades[u5].canister_id:"),
    _upgrade("fleet-upgrade-arg-wrong-type", [_item("u6", arg="(42)")], "upgrades[u6].arg:"),
    _upgrade("fleet-upgrade-manifest-missing", [_item("u7")], "version_manifest:", version_manifest="{missing}"),
    _upgrade("fleet-upgrade-with-canisters", [_item("u8")], "canisters:", canisters=[_spec("f13")]),
    _upgrade("fleet-upgrade-batch-size-bogus", [_item("u9")], "batch_size:", batch_size="ten"),
    _upgrade("fleet-upgrade-batch-size-list-bogus", [_item("u10")], "batch_size[1]:", batch_size=[1, "half"]),
    _upgrade("fleet-upgrade-batch-size-negative", [_item("u9")], "batch_size:", batch_size=-1),
    _upgrade("fleet-upgrade-max-fail-above-100", [_item("u10")], "max_fail_percentage:", max_fail_percentage=101),
]

# In check mode ic_code and ic_cycles predict for a canister that an earlier task of the same play
# would create (documented behaviour), so these inputs fail only when the module really runs.
FAILS_ONLY_FOR_REAL = {"name-unknown", "cycles-name-unknown"}

MODULE_CASES = (CANISTER_CASES + CODE_CASES + CYCLES_CASES + CALL_CASES + INFO_CASES + SNAPSHOT_CASES
                + REGISTRY_CASES + FLEET_CASES + FLEET_UPGRADE_CASES)

# (id, filter name, positional args, keyword args, how the error must begin)
FILTER_CASES = [
    ("pem-from-int", "principal_from_pem", (42,), {}, "principal_from_pem: value:"),
    ("pem-from-none", "principal_from_pem", (None,), {}, "principal_from_pem: value:"),
    ("pem-garbage-text", "principal_from_pem", ("-----BEGIN nonsense",), {}, "principal_from_pem:"),
    ("pem-missing-file", "principal_from_pem", ("{missing}",), {}, "principal_from_pem:"),
    ("encode-nested-5000", "candid_encode", (NESTED,), {}, "candid_encode:"),
    ("encode-type-nested-5000", "candid_encode", ("(null)",), {"type": "opt " * 5000 + "nat"}, "candid_encode:"),
    ("encode-5000-digits", "candid_encode", (DIGITS,), {}, "candid_encode:"),
    ("encode-nat-negative", "candid_encode", ("(-1 : nat)",), {}, "candid_encode:"),
    ("encode-data-untyped", "candid_encode", ({"a": 1},), {}, "candid_encode: value:"),
    ("encode-did-missing", "candid_encode", ("(1)",), {"did": "{missing}", "type": "T"}, "candid_encode:"),
    ("decode-not-hex", "candid_decode", ("zz",), {}, "candid_decode: value:"),
    ("decode-truncated", "candid_decode", ("4449444c",), {}, "candid_decode:"),
    ("decode-bad-output", "candid_decode", ("4449444c0000",), {"output": "xml"}, "candid_decode: output:"),
]

# (id, inventory configuration body, text the one-line error must contain)
INVENTORY_CASES = [
    ("inventory-bad-yaml", {"registries": ["{bad_yaml}"]}, "not valid YAML"),
    ("inventory-live-bad-network", {"registries": ["{registry}"], "live": True, "network": "http://[::1"},
     "network:"),
    ("inventory-owner-filter-bogus", {"registries": ["{registry}"], "owners": ["nope"]}, "owners[0]:"),
    ("inventory-status-filter-bogus", {"registries": ["{registry}"], "statuses": ["alive"]}, "statuses[0]:"),
]

# (id, inventory host vars of one canister for provision.yml, text the error must contain, extra
# vars). Each case runs on both paths (test_bad_input.PLAYBOOK_PATHS): the batch path (ic_fleet)
# and the per-host path (the template roles, icp_batch=false), which must refuse it alike.
PLAYBOOK_CASES = [
    ("provision-owner-anonymous", {"owner": ANONYMOUS}, "owner:", {}),
    ("provision-cycles-above-nat128", {"owner": "{owner}", "cycles": BIG}, "cycles:", {}),
    ("provision-init-arg-wrong-type", {"owner": "{owner}", "init_arg": "(42)"}, "arg:", {}),
    ("provision-wasm-not-wasm", {"owner": "{owner}"}, "wasm:", {"user_canister_wasm": "{not_wasm}"}),
    ("provision-controllers-lockout", {"owner": "{owner}", "settings": {"controllers": [CANISTER]}},
     "settings.controllers:", {}),
]
