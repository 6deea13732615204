"""Delegation chains: valid, expired, targets, permissions, cycles, bad signatures."""
import time

from _ic import candid, cbor
from _ic.identity import Ed25519Identity
from _ic.principal import Principal
from localnet.management.interface import DID

DOMAIN = b"\x1aic-request-auth-delegation"
MGMT = Principal.management()


def delegate(signer, key_der, expiration=None, targets=None, permissions=None):
    """A signed delegation entry from ``signer`` to ``key_der``."""
    delegation = {"pubkey": key_der, "expiration": expiration or time.time_ns() + 10 ** 11}
    if targets is not None:
        delegation["targets"] = [t.raw for t in targets]
    if permissions is not None:
        delegation["permissions"] = permissions
    return {"delegation": delegation,
            "signature": signer.sign(DOMAIN + cbor.hash_of_map(delegation))}


def send(client, user, session, chain, cid, kind="call"):
    """A status request from ``user``'s principal signed by ``session`` through ``chain``."""
    arg = candid.encode(DID.arg_types("canister_status"), [{"canister_id": cid}])
    content = {"request_type": kind, "sender": user.sender.raw, "canister_id": MGMT.raw,
               "method_name": "canister_status", "arg": arg,
               "ingress_expiry": time.time_ns() + 60 * 10 ** 9}
    envelope = {"content": content, "sender_pubkey": user.public_key_der,
                "sender_delegation": chain,
                "sender_sig": session.sign(b"\x0aic-request" + cbor.request_id(content))}
    endpoint = "call" if kind == "call" else "query"
    version = 4 if kind == "call" else 3
    return client.post(f"/api/v{version}/canister/{cid}/{endpoint}", cbor.dumps(envelope))


def owned_canister(client, user):
    return client.create_canister(settings={"controllers": [user.sender]})


def test_chain_of_two_with_targets(client):
    user, middle, session = (Ed25519Identity.generate() for _ in range(3))
    cid = owned_canister(client, user)
    chain = [delegate(user, middle.public_key_der, targets=[cid, MGMT]),
             delegate(middle, session.public_key_der)]
    answer = send(client, user, session, chain, cid)
    assert answer.status == 200 and answer.cbor()["status"] == "replied"
    elsewhere = owned_canister(client, user)
    answer = send(client, user, session, chain, elsewhere)
    assert answer.status == 400 and b"not one of the delegation targets" in answer.body


def test_expired_delegation(client):
    user, session = Ed25519Identity.generate(), Ed25519Identity.generate()
    cid = owned_canister(client, user)
    chain = [delegate(user, session.public_key_der, expiration=time.time_ns() - 10 ** 9)]
    answer = send(client, user, session, chain, cid)
    assert answer.status == 400 and b"Invalid delegation expiry" in answer.body


def test_wrong_signer_and_cycle(client):
    user, session, stranger = (Ed25519Identity.generate() for _ in range(3))
    cid = owned_canister(client, user)
    answer = send(client, user, session, [delegate(stranger, session.public_key_der)], cid)
    assert answer.status == 400 and answer.body.startswith(b"Invalid delegation")
    chain = [delegate(user, session.public_key_der), delegate(session, user.public_key_der),
             delegate(user, session.public_key_der)]
    answer = send(client, user, user, chain[:2], cid)
    assert answer.status == 400 and b"cycle" in answer.body
    answer = send(client, user, stranger, [delegate(user, session.public_key_der)], cid)
    assert answer.status == 400 and answer.body.startswith(b"Invalid signature")


def test_query_only_permission(client):
    user, session = Ed25519Identity.generate(), Ed25519Identity.generate()
    cid = owned_canister(client, user)
    chain = [delegate(user, session.public_key_der, permissions="queries")]
    assert send(client, user, session, chain, cid).status == 400
    answer = send(client, user, session, chain, cid, kind="query")
    assert answer.status == 200 and answer.cbor()["status"] == "replied"
