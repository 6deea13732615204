"""A template canister on localnet, called as different identities with Python values typed by
the template's .did (see the Candid value model in docs/internals.md).

Importing this module skips the importing test module while localnet or the client is missing.
"""
import pytest

for _name in ("localnet.testing", "localnet.execution", "_ic.agent", "_ic.management", "_ic.identity", "_ic.candid"):
    pytest.importorskip(_name, reason=f"{_name} is not available yet: behavioural template tests need localnet and the IC client")

from _ic import candid  # noqa: E402
from _ic.agent import Agent  # noqa: E402
from _ic.errors import Reject  # noqa: E402
from _ic.identity import AnonymousIdentity, Ed25519Identity  # noqa: E402
from _ic.management import Management  # noqa: E402

from template_artifacts import did, read  # noqa: E402

# Motoko templates use enhanced orthogonal persistence: an upgrade must keep the main memory.
KEEP = {"upgrade": {"skip_pre_upgrade": None, "wasm_memory_persistence": {"keep": None}}}


class Callers:
    """The identities a test needs: the operator (controller of every canister it creates), the
    owner, a reader the owner grants, a stranger and the anonymous caller."""

    def __init__(self, net):
        self.net = net
        self.operator = Ed25519Identity.generate()
        self.owner = Ed25519Identity.generate()
        self.reader = Ed25519Identity.generate()
        self.stranger = Ed25519Identity.generate()
        self.anonymous = AnonymousIdentity()
        self._agents = {}

    def agent(self, identity):
        key = id(identity)
        if key not in self._agents:
            self._agents[key] = Agent(self.net.url, identity, root_key_der=self.net.root_key_der)
        return self._agents[key]

    def management(self):
        return Management(self.agent(self.operator))


def init_value(out, fields):
    """The template's init record: ``fields`` plus null for every option not given."""
    (init_type,) = did(out).init_args
    value = {f.label: None for f in init_type.resolve().fields}
    value.update(fields)
    return value


def encode_init(out, fields):
    return candid.encode(list(did(out).init_args), [init_value(out, fields)])


class TemplateCanister:
    """One canister running template build ``out`` (a name from wasm/manifest.json)."""

    def __init__(self, callers, out, **init):
        self.callers = callers
        self.out = out
        init.setdefault("owner", callers.owner.sender)
        self.id = callers.management().provisional_create_canister_with_cycles(amount=10**13)
        self.install(out, mode="install", **init)

    def install(self, out, mode, **init):
        init.setdefault("owner", self.callers.owner.sender)
        self.callers.management().install(self.id, read(f"{out}.wasm.gz"), encode_init(out, init), mode=mode)
        self.out = out

    def upgrade(self, out, **init):
        self.install(out, mode=KEEP, **init)

    def call(self, who, method, *args):
        """Call ``method`` as ``who``; a single result comes back bare, several as a tuple."""
        interface = did(self.out)
        func = interface.method(method)
        arg = candid.encode(list(func.args), list(args))
        agent = self.callers.agent(who)
        reply = (agent.query if func.is_query else agent.update)(self.id, method, arg)
        values = candid.decode(reply, list(func.rets))
        return values[0] if len(values) == 1 else tuple(values)

    def rejects(self, who, method, *args):
        """The Reject a call gets (fails the test when the call succeeds)."""
        try:
            value = self.call(who, method, *args)
        except Reject as reject:
            return reject
        raise AssertionError(f"{method} as {who.sender} succeeded with {value!r}; expected a reject")


def ok(result):
    """The payload of a ``variant { ok; err }`` result, failing on ``err``."""
    assert "ok" in result, result
    return result["ok"]


def err(result):
    assert "err" in result, result
    return result["err"]
