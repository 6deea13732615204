"""Content maps and envelopes for call, query and read_state."""
import pytest

from _ic import cbor, request
from _ic.errors import InputError
from _ic.identity import AnonymousIdentity, Ed25519Identity, verify_signature
from _ic.principal import Principal

CANISTER = "ryjl3-tyaaa-aaaaa-aaaba-cai"
NOW = 1_700_000_123_456_789_000


def test_default_ingress_expiry():
    expiry = request.default_ingress_expiry(NOW)
    assert expiry % 60_000_000_000 == 0
    assert NOW + 180e9 < expiry <= NOW + 240e9
    assert expiry - NOW <= request.MAX_INGRESS_TTL_NS


def test_call_content_fields_and_random_nonce():
    sender = Principal.anonymous()
    a = request.call_content(sender, CANISTER, "greet", b"DIDL\x00\x00", ingress_expiry=NOW)
    b = request.call_content(sender, CANISTER, "greet", b"DIDL\x00\x00", ingress_expiry=NOW)
    assert a["request_type"] == "call" and a["sender"] == b"\x04"
    assert a["canister_id"] == Principal.from_text(CANISTER).raw
    assert a["method_name"] == "greet" and a["ingress_expiry"] == NOW
    assert 0 < len(a["nonce"]) <= 32 and a["nonce"] != b["nonce"]
    assert cbor.request_id(a) != cbor.request_id(b)


def test_query_has_no_nonce_unless_given():
    q = request.query_content("2vxsx-fae", CANISTER, "get", b"", ingress_expiry=NOW)
    assert q["request_type"] == "query" and "nonce" not in q
    q2 = request.query_content("2vxsx-fae", CANISTER, "get", b"", NOW, nonce=b"n")
    assert q2["nonce"] == b"n"


def test_read_state_paths():
    content = request.read_state_content(
        Principal.anonymous(), [["time"], ["canister", Principal.from_text(CANISTER),
                                           "module_hash"]], NOW)
    assert content["paths"] == [[b"time"], [b"canister", Principal.from_text(CANISTER).raw,
                                            b"module_hash"]]
    assert content["request_type"] == "read_state"


@pytest.mark.parametrize("call,match", [
    (lambda: request.call_content("nope!", CANISTER, "m", b""), "^sender: invalid character"),
    (lambda: request.call_content("2vxsx-fae", CANISTER, "", b""), "^method_name:"),
    (lambda: request.call_content("2vxsx-fae", CANISTER, "m", "text"), "^arg: expected bytes"),
    (lambda: request.call_content("2vxsx-fae", CANISTER, "m", b"", nonce=b"x" * 33),
     "^nonce: is 33 bytes"),
    (lambda: request.call_content("2vxsx-fae", CANISTER, "m", b"", ingress_expiry=-1),
     "^ingress_expiry:"),
    (lambda: request.read_state_content("2vxsx-fae", [["ok"], "bad"]), r"^paths\[1\]:"),
    (lambda: request.read_state_content("2vxsx-fae", [[1]]), r"^paths\[0\]\[0\]:"),
])
def test_bad_input_names_the_field(call, match):
    with pytest.raises(InputError, match=match):
        call()


def test_anonymous_envelope_is_unsigned():
    content = request.query_content(Principal.anonymous(), CANISTER, "get", b"", NOW)
    envelope = cbor.loads(request.sign_envelope(AnonymousIdentity(), content))
    assert envelope == {"content": content}


def test_signed_envelope_verifies():
    identity = Ed25519Identity.generate()
    content = request.call_content(identity.sender, CANISTER, "set", b"DIDL\x00\x00", NOW)
    data = request.sign_envelope(identity, content)
    assert data[:3] == b"\xd9\xd9\xf7"
    envelope = cbor.loads(data)
    assert envelope["content"] == content
    assert Principal.self_authenticating(envelope["sender_pubkey"]).raw == content["sender"]
    message = b"\x0aic-request" + cbor.request_id(content)
    assert verify_signature(envelope["sender_pubkey"], message, envelope["sender_sig"])
    assert not verify_signature(envelope["sender_pubkey"], message + b"x",
                                envelope["sender_sig"])
