"""ic-py 1.0.1, unchanged, against localnet over the v2 endpoints.

Run isolated (``python -I icpy_scenario.py URL``) so that ``import ic`` is ic-py and not the
collection's client; prints one JSON line with what it saw.
"""
import json
import sys

from ic.agent import Agent
from ic.candid import Types, encode
from ic.client import Client
from ic.identity import Identity

url = sys.argv[1]


def field(record, name):
    """A decoded record field: ic-py names fields by their Candid hash when it lacks a type."""
    h = 0
    for byte in name.encode():
        h = (h * 223 + byte) % 2 ** 32
    return record.get(name, record.get(f"_{h}"))


client = Client(url=url)
owner = Agent(Identity(), client)
stranger = Agent(Identity(), client)
out = {}

status = client.status()  # ic-py prints the raw body here; the JSON result is the last line
out["status_ok"] = status is None or bool(status)

create_arg = encode([{"type": Types.Record({"amount": Types.Opt(Types.Nat),
                                              "settings": Types.Opt(Types.Null)}),
                      "value": {"amount": [4_000_000_000_000], "settings": []}}])
created = owner.update_raw("aaaaa-aa", "provisional_create_canister_with_cycles", create_arg,
                           timeout=30)
canister_id = field(created[0]["value"], "canister_id")
out["canister_id"] = canister_id.to_str()
status_arg = encode([{"type": Types.Record({"canister_id": Types.Principal}),
                      "value": {"canister_id": canister_id.to_str()}}])
result = owner.update_raw("aaaaa-aa", "canister_status", status_arg,
                          effective_canister_id=canister_id.to_str(), timeout=30)
fields = result[0]["value"]
out["cycles"] = field(fields, "cycles")
out["status_variant"] = str(field(fields, "status"))
out["module_hash"] = repr(field(fields, "module_hash"))
refused = stranger.query_raw("aaaaa-aa", "canister_status", status_arg,
                             effective_canister_id=canister_id.to_str())
out["stranger_query"] = refused if isinstance(refused, str) else repr(refused)
print(json.dumps(out, default=str))
