"""Real clients, unchanged, on the second subnet of a two-subnet localnet: icp-cli creates a
canister there with ``--subnet`` (cycles ledger ``subnet_selection``), installs and calls it;
the JS agent calls and queries a canister there with certificate (delegation) and query
signature checks on, and refuses the same answers under a wrong root key."""
import gzip
import hashlib
import os

import pytest

from _ic import candid
from _ic.agent import Agent
from _ic.identity import Ed25519Identity
from _ic.management import Management
from _ic.principal import Principal
from localnet.testing import LocalnetProcess

TEMPLATE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "wasm", "user.wasm.gz")


@pytest.fixture(scope="module")
def net():
    """One two-subnet localnet for the module."""
    with LocalnetProcess(subnets=2) as process:
        yield process


@pytest.fixture(scope="module")
def second(net):
    """The second (delegated) subnet's summary."""
    return net.subnet_list()[1]


def _subnet_of(net, cid):
    return {c["id"]: c["subnet"] for c in net.canisters()}[str(cid)]


def test_icp_cli_creates_installs_and_calls_on_the_chosen_subnet(net, icp, second):
    net.mint(icp.alice, 10 * 10 ** 12)
    cid = icp.run("canister", "create", "--subnet", second["id"], "--detached",
                  "-q").stdout.split()[-1]
    assert _subnet_of(net, cid) == second["id"]
    icp.run("canister", "install", cid, "--wasm", TEMPLATE,
            "--args", f'(record {{ owner = principal "{icp.alice}"; max_preferences = opt 3 }})')
    assert "ok" in icp.run("canister", "call", cid, "set_preference", '("k", "v")').stdout
    assert '"v"' in icp.run("canister", "call", cid, "get_preference", '("k")',
                            "--query").stdout
    status = icp.run("canister", "status", cid, "--json").stdout
    assert hashlib.sha256(open(TEMPLATE, "rb").read()).hexdigest() in status


def test_js_agent_update_and_query_with_verification_on(net, second, run_node):
    seed = os.urandom(32)
    owner = Ed25519Identity.from_seed(seed)
    operator = Ed25519Identity.generate()
    agent = Agent(net.url, operator, root_key_der=net.root_key_der)
    mgmt = Management(agent)
    lo = Principal.from_text(second["ranges"][0][0]).canister_index()
    cid = mgmt.provisional_create_canister_with_cycles(
        amount=5 * 10 ** 12, specified_id=Principal.from_canister_index(lo + 0xC1234),
        settings={"controllers": [operator.sender, owner.sender]})
    assert _subnet_of(net, cid) == second["id"]
    did = candid.parse_did(open(TEMPLATE.replace(".wasm.gz", ".did")).read())
    init = candid.encode(did.init_args, [{"owner": owner.sender, "max_preferences": 3,
                                          "max_key_bytes": None, "max_value_bytes": None,
                                          "max_profile_bytes": None, "max_readers": None}])
    mgmt.install_code(cid, gzip.decompress(open(TEMPLATE, "rb").read()), init)
    agent.close()
    out = run_node("js_subnet_agent.mjs", net.url, str(cid), seed.hex(), second["public_key"])
    assert out["principal"] == owner.sender.to_text()
    assert out["set"] == "ok" and out["get"] == ["teal"]
    assert sorted(out["controllers"]) == sorted([operator.sender.to_text(),
                                                 owner.sender.to_text()])
    assert out["module_hash"]
    for refused in ("wrong_key_update", "wrong_key_query"):
        assert "Certificate verification error" in out[refused], out
