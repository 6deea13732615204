"""Shared values and Candid helpers of the execution-engine tests."""
from _ic import candid
from _ic.candid import types as T
from _ic.principal import Principal

OWNER = Principal.self_authenticating(b"\x30" + b"o" * 43).raw
STRANGER = Principal.self_authenticating(b"\x30" + b"s" * 43).raw


def counter_init(owner=OWNER, start=5):
    """Candid (principal, nat) for Counter's class arguments."""
    return candid.encode([T.Principal_, T.Nat], [Principal(owner), start])


def nat(n):
    """Candid (nat)."""
    return candid.encode([T.Nat], [n])


def text(value):
    """Candid (text)."""
    return candid.encode([T.Text], [value])


def unit():
    """Candid ()."""
    return candid.encode([], [])


def decode(response):
    """Decode a reply's Candid values; fail with the reject if it was not a reply."""
    assert response is not None and response[0] == "reply", response
    return candid.decode(response[1])


def principal_text(raw):
    """Textual principal."""
    return Principal(raw).to_text()
