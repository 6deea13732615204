# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Which network a ``network`` value names, and which root key verifies it: the one rule.

Used by the agent, the modules (``ic_module``) and the ``registry`` inventory plugin, so that
``local``, ``ic``, a mainnet boundary URL and a loopback URL mean the same everywhere.
"""

from __future__ import annotations

import collections
import functools
import ipaddress
import urllib.parse

from .errors import InputError

NETWORK_ALIASES = {"local": "http://127.0.0.1:4943", "ic": "https://icp-api.io"}
# Hosts (and their subdomains) that serve mainnet; its root key is built in.
MAINNET_HOSTS = ("icp-api.io", "ic0.app", "icp0.io", "icp-api.com")

Network = collections.namedtuple("Network", "url loopback mainnet")


def is_loopback_host(host):
    """True for ``localhost`` (and ``*.localhost``) and loopback addresses (127.0.0.0/8, ::1)."""
    host = (host or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_mainnet_host(host):
    """True for a mainnet boundary host such as ``icp-api.io`` or ``<canister>.icp0.io``."""
    host = (host or "").lower().rstrip(".")
    return any(host == h or host.endswith("." + h) for h in MAINNET_HOSTS)


def resolve_network(value):
    """Map ``local`` (also None/empty), ``ic`` or an http(s) URL to a ``Network``.

    Raises InputError (field ``network``) for anything else.
    """
    if value is None or isinstance(value, str):
        # A fleet resolves its one network thousands of times (every step, every funding rule).
        return _resolved(value)
    return _resolve(value)


@functools.lru_cache(maxsize=64)
def _resolved(value):
    """``_resolve`` of a text (or None) value, remembered: the answer is a pure function of it
    and a Network is immutable (an InputError is raised again each time, not remembered)."""
    return _resolve(value)


def _resolve(value):
    url = NETWORK_ALIASES.get(value or "local", value)
    wanted = "give 'local', 'ic' or an http(s) URL such as http://127.0.0.1:4943"
    if not isinstance(url, str):
        raise InputError("network", f"{value!r} is not 'local', 'ic' or an http(s) URL; {wanted}")
    try:
        parsed = urllib.parse.urlsplit(url.strip())
        parsed.port  # pylint: disable=pointless-statement  # raises ValueError for a bad port
    except ValueError as exc:
        raise InputError("network", f"{value!r} is not a valid URL ({exc}); {wanted}") from None
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InputError("network", f"{value!r} is not 'local', 'ic' or an http(s) URL; {wanted}")
    host = parsed.hostname
    return Network(url.strip().rstrip("/"), is_loopback_host(host), is_mainnet_host(host))


def root_key_for(value, network, network_value=None):
    """Return the root key to verify ``network`` (a ``Network``) with.

    ``value`` is the ``root_key`` option: empty (mainnet's built-in key on mainnet, fetched on a
    loopback network, required elsewhere), ``fetch`` (loopback only: a fetched key proves
    nothing about a remote network), or the DER key as hex or bytes. Returns None (built-in
    mainnet key), ``"fetch"`` or DER bytes; raises InputError (field ``root_key``).
    """
    shown = network_value if network_value is not None else network.url
    if value is None or value == "" or value == b"":
        if network.mainnet:
            return None
        if network.loopback:
            return "fetch"
        raise InputError("root_key", f"required for network {shown!r} (hex of the DER key)")
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if not isinstance(value, str):
        raise InputError("root_key", f"unsupported type {type(value).__name__}; give hex or 'fetch'")
    if value.strip() == "fetch":
        if not network.loopback:
            raise InputError("root_key", f"'fetch' is allowed only for loopback networks, not {shown!r}: "
                             "a fetched key proves nothing; give the key as hex")
        return "fetch"
    try:
        return bytes.fromhex(value.strip())
    except ValueError:
        raise InputError("root_key", "not hex; give the DER root key as hex or 'fetch'") from None
