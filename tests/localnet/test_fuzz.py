"""Fuzzing the HTTP surface: malformed input always gets a 4xx, never a 500 or a change."""
import time

from hypothesis import HealthCheck, given, settings, strategies as st

from _ic import cbor
from _ic.principal import Principal

MGMT = Principal.management()
FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

cbor_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) | st.binary(max_size=40) |
    st.text(max_size=20) | st.floats(allow_nan=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.text(max_size=12) | st.sampled_from(
            ["content", "sender", "request_type", "paths", "arg", "canister_id",
             "method_name", "ingress_expiry", "sender_pubkey", "sender_sig",
             "sender_delegation", "nonce"]), inner, max_size=6),
    max_leaves=20)


def state_of(net):
    return net.metrics()["update_calls"], len(net.canisters())


def endpoints(cid):
    return [f"/api/v4/canister/{cid}/call", f"/api/v2/canister/{cid}/call",
            f"/api/v3/canister/{cid}/query", f"/api/v3/canister/{cid}/read_state",
            f"/api/v2/canister/{MGMT}/call", f"/api/v3/subnet/{cid}/read_state"]


def test_random_bytes_and_cbor_values(net, client):
    cid = client.create_canister()
    before = state_of(net)

    @FUZZ
    @given(body=st.binary(max_size=300) | cbor_values.map(cbor.dumps),
           index=st.integers(0, 5))
    def check(body, index):
        answer = client.post(endpoints(cid)[index], body)
        assert 400 <= answer.status < 500, (answer.status, answer.body)
        assert answer.content_type.startswith("text/plain")

    check()
    assert state_of(net) == before


def test_mutated_valid_envelopes(net, client):
    cid = client.create_canister()
    before = state_of(net)
    content = client.content("call", MGMT, "start_canister", b"DIDL\x00\x00")
    valid = cbor.loads(client.envelope(content))
    fields = ["request_type", "sender", "ingress_expiry", "canister_id", "method_name", "arg",
              "nonce"]

    @FUZZ
    @given(field=st.sampled_from(fields + ["sender_pubkey", "sender_sig",
                                           "sender_delegation"]),
           value=cbor_values, index=st.integers(0, 4))
    def check(field, value, index):
        envelope = {"content": dict(valid["content"]), "sender_pubkey": valid["sender_pubkey"],
                    "sender_sig": valid["sender_sig"]}
        if field in fields:
            envelope["content"][field] = value
        else:
            envelope[field] = value
        answer = client.post(endpoints(cid)[index], cbor.dumps(envelope))
        assert answer.status != 500 and answer.status < 500, answer
        if answer.status == 200:
            # only a mutation that leaves the envelope valid may pass, and it must not
            # change state: a bogus method or arg gets a non-replicated rejection
            assert answer.cbor().get("status") in ("non_replicated_rejection", None, "rejected")

    check()
    assert state_of(net) == before


def test_wrong_ecid_and_huge_bodies(net, client):
    cid = client.create_canister()
    before = state_of(net)
    for path in (f"/api/v4/canister/zzzzz/call", "/api/v4/canister//call",
                 f"/api/v4/canister/{cid}x/call", "/api/v3/canister/aaaaa-aa-aa/query"):
        assert 400 <= client.post(path, b"\xa0").status < 500
    huge = client.post(f"/api/v4/canister/{cid}/call", b"\xd9" * (3 * 1024 * 1024))
    assert huge.status == 413
    deep = b"\x81" * 5000 + b"\x00"
    assert client.post(f"/api/v4/canister/{cid}/call", deep).status == 400
    time.sleep(0.05)
    assert state_of(net) == before
