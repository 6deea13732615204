"""The one network rule (``ic/network.py``) as the modules, the agent and the inventory see it."""
import pytest

from ansible_collections.icp.canister_factory.plugins.module_utils._ic.agent import Agent
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import InputError
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.network import (
    Network, resolve_network, root_key_for)


@pytest.mark.parametrize("value, url, loopback, mainnet", [
    (None, "http://127.0.0.1:4943", True, False),
    ("local", "http://127.0.0.1:4943", True, False),
    ("ic", "https://icp-api.io", False, True),
    ("https://ic0.app/", "https://ic0.app", False, True),
    ("https://icp0.io", "https://icp0.io", False, True),
    ("https://boundary.ic0.app", "https://boundary.ic0.app", False, True),
    ("http://localhost:8080", "http://localhost:8080", True, False),
    ("http://[::1]:4943", "http://[::1]:4943", True, False),
    ("http://127.0.0.5:1", "http://127.0.0.5:1", True, False),
    ("https://replica.example.org", "https://replica.example.org", False, False),
    ("https://notic0.app", "https://notic0.app", False, False),
])
def test_resolve_network(value, url, loopback, mainnet):
    assert resolve_network(value) == Network(url, loopback, mainnet)


@pytest.mark.parametrize("value", ["mainnet", "ftp://127.0.0.1", "http://", 42])
def test_bad_network_names_the_field(value):
    with pytest.raises(InputError) as info:
        resolve_network(value)
    assert info.value.field == "network" and "'local', 'ic' or an http(s) URL" in info.value.message


def test_root_key_rules():
    local, mainnet = resolve_network("local"), resolve_network("https://ic0.app")
    remote = resolve_network("https://replica.example.org")
    assert root_key_for(None, mainnet) is None                 # built-in key
    assert root_key_for("", local) == "fetch"                  # loopback: fetch
    assert root_key_for("fetch", local) == "fetch"
    assert root_key_for("0a0b", remote) == b"\x0a\x0b"
    for value, network, words in [(None, remote, "required"), ("fetch", remote, "only for loopback"),
                                  ("fetch", mainnet, "only for loopback"), ("zz", local, "not hex")]:
        with pytest.raises(InputError) as info:
            root_key_for(value, network)
        assert info.value.field == "root_key" and words in info.value.message


def test_agent_follows_the_same_rule():
    assert Agent("https://boundary.icp0.io").url == "https://boundary.icp0.io"
    with pytest.raises(InputError) as info:
        Agent("https://replica.example.org", root_key_der="fetch")
    assert info.value.field == "root_key"
    # An agent told the network is local (it runs it) may fetch.
    assert Agent("http://10.0.0.2:4943", root_key_der="fetch", local=True)._root_key == "fetch"


def test_inventory_uses_the_rule():
    """The registry inventory plugin builds its agent with the same rule: a mainnet host
    without a root key gets the built-in key, not a fetched one."""
    from ansible_collections.icp.canister_factory.plugins.inventory import registry as inventory

    plugin = inventory.InventoryModule()
    options = {"network": "https://icp0.io", "root_key": None, "identity": None,
               "identity_password": None, "timeout": 5.0}
    plugin.get_option = options.get
    agent = plugin._management().agent
    assert agent.url == "https://icp0.io" and agent._root_key is None
    options["network"] = "https://replica.example.org"
    with pytest.raises(Exception) as info:
        plugin._management()
    assert "root_key" in str(info.value)


def test_a_bad_network_text_fails_every_time_though_good_ones_are_remembered():
    assert resolve_network("http://127.0.0.1:9") is resolve_network("http://127.0.0.1:9")
    for _ in range(2):
        with pytest.raises(InputError, match="network"):
            resolve_network("ftp://example.org")
    with pytest.raises(InputError, match="network"):
        resolve_network(4943)  # not text: resolved without the cache
