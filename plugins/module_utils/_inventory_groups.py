# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The registry inventory's native groups: what the usual ``keyed_groups``/``groups`` expressions
give, computed in Python (no Jinja compiled and evaluated per host).

Each native key reproduces one ``keyed_groups`` entry of the shipped examples exactly, so a
configuration can switch without a group changing name or members:

- ``owner``    ``{key: owner, prefix: owner}``
- ``template`` ``{key: template, prefix: template}``
- ``status``   ``{key: status, prefix: status}``
- ``version``  ``{key: "wasm_version | default('none', true)", prefix: version}``
- ``source``   ``{key: "source | default('registry')", prefix: source}``

and the threshold ``groups: {cycles_low: "(cycles_balance | default(0) | int) < <threshold>"}``.
The raw names returned here still go through Ansible's group-name sanitiser, as keyed groups do.
"""

from __future__ import annotations

CYCLES_LOW_GROUP = "cycles_low"
_MISSING = object()


def _plain(value):
    """A keyed_groups key: no group for a missing, None or empty value (as Ansible skips them)."""
    return None if value is _MISSING or value is None or value == "" else value


def _version(hostvars):
    # `default('none', true)`: any falsy version (missing, None, "", 0) is "none".
    return hostvars.get("wasm_version") or "none"


def _source(hostvars):
    # `default('registry')`: only a missing source is "registry"; None or "" gives no group.
    return _plain(hostvars.get("source", "registry"))


_VALUES = {
    "owner": lambda hostvars: _plain(hostvars.get("owner", _MISSING)),
    "template": lambda hostvars: _plain(hostvars.get("template", _MISSING)),
    "status": lambda hostvars: _plain(hostvars.get("status", _MISSING)),
    "version": _version,
    "source": _source,
}
NATIVE_KEYS = tuple(_VALUES)  # the option group_by's choices


def keyed_names(hostvars, keys):
    """Yield the raw group name (``<key>_<value>``, before sanitising) of each native key that has
    a value for this host."""
    for key in keys:
        value = _VALUES[key](hostvars)
        if value is not None:
            yield f"{key}_{value}"


def as_int(value):
    """Jinja's ``int`` filter: integers, decimal text and floats convert; anything else is 0."""
    try:
        return int(value, 10) if isinstance(value, str) else int(value)
    except (TypeError, ValueError, OverflowError):
        try:
            return int(float(value))
        except (TypeError, ValueError, OverflowError):
            return 0


def cycles_low(hostvars, threshold):
    """True when the host's ``cycles_balance`` is below ``threshold``; a host without a numeric
    balance counts as 0 (low), as ``cycles_balance | default(0) | int`` does."""
    return as_int(hostvars.get("cycles_balance", 0)) < threshold
