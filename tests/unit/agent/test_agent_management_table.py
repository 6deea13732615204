"""The management method table against the embedded ic.did, and reply decoding tolerance."""
import pytest

from _ic import candid
from _ic.errors import InputError
from _ic.management import METHODS, QUERY, QUERY_FIRST, Management, management_interface
from _ic.principal import Principal

# management-canister.md 1.1: what a user (not a canister) may send as ingress.
INGRESS = {
    "canister_status", "start_canister", "uninstall_code", "stop_canister", "delete_canister",
    "update_settings", "install_code", "install_chunked_code", "upload_chunk", "stored_chunks",
    "clear_chunk_store", "take_canister_snapshot", "load_canister_snapshot",
    "list_canister_snapshots", "delete_canister_snapshot", "read_canister_snapshot_metadata",
    "read_canister_snapshot_data", "upload_canister_snapshot_metadata",
    "upload_canister_snapshot_data", "fetch_canister_logs", "canister_metrics",
    "provisional_create_canister_with_cycles", "provisional_top_up_canister",
}


def test_table_is_exactly_the_ingress_callable_methods():
    assert set(METHODS) == INGRESS
    assert set(METHODS) <= set(management_interface().service)


@pytest.mark.parametrize("method", sorted(METHODS))
def test_effective_id_field_exists_in_the_argument(method):
    field, _ = METHODS[method]
    arg = Management(None).method_type(method).args[0].resolve()
    assert field in {f.label for f in arg.fields}


def test_query_methods_match_the_did_annotations():
    did = management_interface()
    for method, (_, how) in METHODS.items():
        assert (how in (QUERY, QUERY_FIRST)) == did.service[method].is_query, method


def test_reply_with_fields_unknown_to_ic_did_decodes():
    """icp-cli's canister_status carries log_memory_limit / log_memory_store_size; a newer
    replica may add more. Decoding by ic.did must ignore them."""
    mgmt = Management(None)
    result_type = mgmt.method_type("create_canister").rets[0].resolve()
    extended = candid.Record({"canister_id": candid.Principal_, "log_memory_limit": candid.Nat,
                              "zzz_new": candid.Opt(candid.Text)})
    data = candid.encode([extended], [{"canister_id": Principal.from_canister_index(3),
                                       "log_memory_limit": 4096, "zzz_new": "x"}])
    assert result_type.fields[0].label == "canister_id"
    assert mgmt.decode_reply("provisional_create_canister_with_cycles", data) == \
        {"canister_id": Principal.from_canister_index(3)}


def test_arguments_accept_yaml_like_data():
    mgmt = Management(None)
    data = mgmt.encode_arg("update_settings", {
        "canister_id": "rrkah-fqaaa-aaaaa-aaaaq-cai",
        "settings": {"controllers": ["2vxsx-fae"], "freezing_threshold": "100",
                     "log_visibility": "public"}})
    types = mgmt.method_type("update_settings").args
    value = candid.decode(data, list(types))[0]
    assert value["settings"]["controllers"] == [Principal.anonymous()]
    assert value["settings"]["freezing_threshold"] == 100
    assert value["settings"]["log_visibility"] == {"public": None}


def test_bad_argument_names_the_field():
    with pytest.raises(InputError, match=r"settings\.controllers\[0\]"):
        Management(None).encode_arg("update_settings", {
            "canister_id": "aaaaa-aa", "settings": {"controllers": ["nope"]}})


def test_canister_only_methods_are_refused_before_sending():
    with pytest.raises(InputError, match="cannot be called by ingress"):
        Management(None).call("raw_rand", {})


def test_methods_parsed_on_demand_equal_the_whole_parse():
    """Management types each method from its own signature and the definitions it reaches
    (candid.did.OnDemandDid); that must give the types the checking parser gives."""
    from _ic.candid.did import OnDemandDid
    from _ic.candid.encoder import header
    from _ic.management_did import IC_DID

    full = management_interface().service
    on_demand = OnDemandDid(IC_DID)
    for name, want in full.items():
        have = on_demand.method(name)
        assert have is on_demand.method(name)
        for kind in ("args", "rets"):
            assert header(list(getattr(have, kind))) == header(list(getattr(want, kind))), name
            assert [candid.format_type(t) for t in getattr(have, kind)] == \
                [candid.format_type(t) for t in getattr(want, kind)], name
        assert (have.modes, have.arg_names, have.ret_names) == \
            (want.modes, want.arg_names, want.ret_names), name
    assert on_demand.method("no_such_method") is None
    assert set(on_demand._env) == set(management_interface().types)
