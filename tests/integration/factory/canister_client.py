"""Talk to the template canisters directly (as their owner), to write data and read it back."""
import os

from _ic import candid
from _ic.agent import Agent
from _ic.identity import load_identity_file


WASM = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))),
                    "wasm")


class TemplateClient:
    """Calls from one identity to the canisters of one localnet; replies typed by a template's .did."""

    def __init__(self, net, identity_path, template="user"):
        self.agent = Agent(net.url, load_identity_file(identity_path), root_key_der=net.root_key_der)
        with open(os.path.join(WASM, f"{template}.did"), encoding="utf-8") as handle:
            self.service = candid.parse_did(handle.read()).service

    def _reply(self, method, data):
        return candid.decode_to_text(data, list(self.service[method].rets))

    def update(self, canister_id, method, arg_text="()"):
        """Update call; the reply as Candid text."""
        return self._reply(method, self.agent.update(canister_id, method, candid.encode_text(arg_text)))

    def query(self, canister_id, method, arg_text="()"):
        """Query call; the reply as Candid text."""
        return self._reply(method, self.agent.query(canister_id, method, candid.encode_text(arg_text)))

    def module_hash(self, canister_id):
        """Hex hash of the installed module, from the certified state."""
        raw = self.agent.module_hash(canister_id)
        return raw.hex() if raw else None
