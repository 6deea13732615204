"""A Motoko factory canister makes a child canister through the management canister:
cycles attached to create_canister, install_code with a Wasm it was given, then a call.
Driven by icp-cli 1.5.0, unchanged, against localnet."""
from exec_support import call_hex, controllers_of, cycles_of, fixture_wasm, net  # noqa: F401
from _ic.candid import types as T

SPAWN_ARGS = [T.Vec(T.Nat8), T.Nat, T.Nat, T.Nat]
SPAWN_REPLY = [T.Record({"id": T.Principal_, "added": T.Nat, "child_cycles": T.Nat})]
CREATION_FEE = 500_000_000_000
ATTACHED = 1_000_000_000_000


def test_factory_creates_installs_and_calls_a_child(net, icp, tmp_path):
    net.mint(icp.alice, 10_000_000_000_000)
    factory = icp.run("canister", "create", "--cycles", "5t", "--detached", "-q").stdout.split()[-1]
    wasm = tmp_path / "factory.wasm"
    wasm.write_bytes(fixture_wasm("Factory"))
    icp.run("canister", "install", factory, "--wasm", str(wasm),
            "--args", f'(principal "{icp.alice}")')
    before = cycles_of(net, factory)
    child_wasm = fixture_wasm("Counter")

    reply = call_hex(icp, factory, "spawn", SPAWN_ARGS, [child_wasm, ATTACHED, 5, 2],
                     SPAWN_REPLY)[0]
    child = reply["id"].to_text()
    assert reply["added"] == 7
    # The fee came off the attached cycles; install and the call then cost a little more.
    assert ATTACHED - CREATION_FEE - 2_000_000_000 < reply["child_cycles"] \
        < ATTACHED - CREATION_FEE
    assert controllers_of(net, child) == [factory]
    assert cycles_of(net, child) <= reply["child_cycles"]
    assert before - ATTACHED - 1_000_000_000 < cycles_of(net, factory) < before - ATTACHED

    # A non-controller reads the child's public state from the certified state tree.
    public = icp.run("canister", "status", child, "--json").stdout
    assert factory in public and icp.alice not in public
    got = icp.run("canister", "call", child, "get", "()", "--query").stdout
    assert "7" in got
    last = call_hex(icp, factory, "lastChild", [], [], [T.Opt(T.Principal_)], query=True)
    assert last[0].to_text() == child

    # Only the owner may spawn: another caller's message traps and nothing is created.
    count = len(net.canisters())
    refused = call_hex(icp, factory, "spawn", SPAWN_ARGS, [child_wasm, ATTACHED, 0, 0],
                       identity="bob", check=False)
    assert refused.returncode != 0
    assert "IC0503" in refused.stderr and "only the owner may spawn" in refused.stderr
    assert len(net.canisters()) == count

    # Everything survives a restart: the child's memory, the factory's list, the balances.
    balances = {cid: cycles_of(net, cid) for cid in (factory, child)}
    net.restart()
    assert "7" in icp.run("canister", "call", child, "get", "()", "--query").stdout
    last = call_hex(icp, factory, "lastChild", [], [], [T.Opt(T.Principal_)], query=True)
    assert last[0].to_text() == child
    for cid, cycles in balances.items():
        assert cycles - 10_000_000 < cycles_of(net, cid) <= cycles
