# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Whether a canister still holds the state of its newest backup, known from queries alone.

A backup's manifest keeps, under ``STATE_KEY``, the canister's module hash, its canister version
(``canister_status.version``) and its template's ``state_version`` (``get_info``) as they were
right after the backup, when they are proven to describe the backed-up state. The next backup
reads the same three by query; when all equal, nothing can have changed and no snapshot is taken.

Why all three. The canister version goes up with every successful update, callback, timer or
heartbeat and every management change (code, settings, start/stop, snapshot load), so an equal
version means no execution and no load happened; the backup's own stop and start raise it too,
which is why the version is read after the restart. The template's ``state_version`` (bumped by
every state-changing update, install and upgrade) proves that no write slipped in between the
snapshot and that read: the key is kept only when ``state_version`` read before the stop equals
the one read after the restart. A canister whose template has no ``state_version`` gets no key and
is snapshotted on every run (its state is compared with the newest backup's afterwards).
``memory_size`` is not part of the key: it also counts snapshots and canister history, which the
backup itself changes, so it would say "changed" for an unchanged canister.
"""

from __future__ import annotations

from ansible_collections.icp.canister_factory.plugins.module_utils._ic_module import hex_or_none, run_status
from ansible_collections.icp.canister_factory.plugins.module_utils import _template_report as template_report

STATE_KEY = "unchanged_while"


def current(agent, canister_id, status):
    """``{module_hash, canister_version, state_version}`` of a running canister now, or None.

    ``status`` is its canister_status; ``get_info`` is sent as a query.

    None when one of them is unknown (not running, no code, a replica without ``version``, a
    template without ``state_version``).
    """
    if status is None or run_status(status) != "running" or status.get("module_hash") is None \
            or status.get("version") is None:
        return None
    report = template_report.read_report(agent, canister_id)
    if not report or report.get("state_version") is None:
        return None
    return {"module_hash": hex_or_none(status["module_hash"]), "canister_version": int(status["version"]),
            "state_version": int(report["state_version"])}


def proven(before, after):
    """The key to record for a snapshot taken between ``before`` and ``after`` (``current`` values).

    ``after`` when no state change can have happened between the two reads (same module, same
    template state version), else None.
    """
    if before is None or after is None:
        return None
    if before["module_hash"] != after["module_hash"] or before["state_version"] != after["state_version"]:
        return None
    return after


def still_matches(manifest, now):
    """Whether the canister described by ``now`` still holds the state of the backup ``manifest``."""
    recorded = (manifest or {}).get(STATE_KEY)
    return now is not None and isinstance(recorded, dict) and recorded == now
