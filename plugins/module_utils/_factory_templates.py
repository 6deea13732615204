# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What ``ic_factory_template`` does: compare hashes, upload only what is missing, mark current."""

from __future__ import annotations

import re

from ansible_collections.icp.canister_factory.plugins.module_utils._ic import wasm as wasm_file
from ansible_collections.icp.canister_factory.plugins.module_utils._ic.errors import InputError
from ansible_collections.icp.canister_factory.plugins.module_utils._factory_client import plain_data

MAX_CHUNK = 1900000
_NAME_RE = re.compile(r"^[A-Za-z0-9_]+$")


def check_template_name(template):
    """Raise InputError unless ``template`` can name a template (and its inventory group)."""
    if not _NAME_RE.match(template or ""):
        raise InputError("template", f"{template!r} is not a template name (letters, digits and '_')")


def load_module(path, expected_sha256=None):
    """Read and check a template module file; return the ``WasmModule`` (InputError names the field)."""
    try:
        module = wasm_file.load(path)
    except InputError as exc:
        raise InputError("wasm", f"{path}: {exc.message}") from None
    except OSError as exc:
        raise InputError("wasm", f"cannot read {path}: {exc.strerror}") from None
    if expected_sha256 and expected_sha256.strip().lower() != module.sha256_hex:
        raise InputError("wasm_sha256", f"{path} has SHA-256 {module.sha256_hex}, not {expected_sha256.strip()}; "
                         "give the right file or hash")
    return module


def summary_view(summary):
    """The parts of a TemplateSummary that diff and results show."""
    if summary is None:
        return None
    return {
        "name": summary["name"],
        "current": summary.get("current"),
        "versions": [{"version": v["version"], "wasm_sha256": bytes(v["wasm_sha256"]).hex(), "size": int(v["size"]),
                      "current": bool(v["current"]), "children": int(v["children"])}
                     for v in sorted(summary["versions"], key=lambda v: v["version"])],
        "policy": plain_data(summary.get("policy")),
    }


def find_version(view, version):
    """The version record ``version`` of a summary view, or None."""
    return next((v for v in (view or {}).get("versions", []) if v["version"] == version), None)


class TemplateRegistration:
    """Mixin for a FactoryModule with options template, version, wasm, wasm_sha256, current, state."""

    def run(self):
        """Converge one template version."""
        params = self.params
        check_template_name(params["template"])
        if not params["version"] or not params["version"].strip():
            raise InputError("version", "must not be empty")
        if not 0 < params["chunk_size"] <= MAX_CHUNK:
            raise InputError("chunk_size", f"must be between 1 and {MAX_CHUNK}")
        module = load_module(params["wasm"], params.get("wasm_sha256")) if params["state"] == "present" else None
        before = summary_view(self.factory.query("get_template", params["template"]))
        self.result.update(factory=self.factory_id, uploaded_bytes=0)
        if module is not None:
            self.result["wasm_sha256"] = module.sha256_hex
            after = self._present(before, module)
        else:
            after = self._absent(before)
        self.diff.add("template", before, after)
        self.result["template"] = after

    def _present(self, before, module):
        template, version = self.params["template"], self.params["version"]
        held = find_version(before, version)
        if held is not None and held["wasm_sha256"] != module.sha256_hex:
            raise InputError("version", f"the factory holds {template} {version} with SHA-256 {held['wasm_sha256']}, "
                             f"not {module.sha256_hex}: give the new module a new version")
        make_current = self.params["current"] and (before or {}).get("current") != version
        if held is None:
            self.change(self._upload, module)
        elif make_current:
            self.change(self.factory.update, "set_current_version", template, version)
        if not self.result["changed"]:
            return before
        if not self.check_mode:
            return summary_view(self.factory.query("get_template", template))
        return _predicted(before, template, version, module, self.params["current"])

    def _absent(self, before):
        template, version = self.params["template"], self.params["version"]
        if find_version(before, version) is None:
            return before
        self.change(self.factory.update, "delete_template_version", template, version)
        if not self.check_mode:
            return summary_view(self.factory.query("get_template", template))
        after = dict(before, versions=[v for v in before["versions"] if v["version"] != version])
        return after

    def _upload(self, module):
        """begin (unless a matching upload is under way) -> the missing chunks -> commit."""
        template, version = self.params["template"], self.params["version"]
        data = module.bytes_installed
        status = self.factory.query("template_upload_status", template, version)
        if status is not None and bytes(status["wasm_sha256"]) != module.sha256:
            self.factory.update("template_upload_abort", template, version)
            status = None
        if status is None:
            self.factory.update("template_upload_begin", {"template": template, "version": version,
                                                          "wasm_sha256": module.sha256, "size": len(data)})
            missing = [(0, len(data))]
        else:
            missing = [(int(o), int(n)) for o, n in status["missing"]]
        size = self.params["chunk_size"]
        for offset, length in missing:
            for start in range(offset, offset + length, size):
                chunk = data[start:min(start + size, offset + length)]
                self.factory.update("template_upload_chunk", {"template": template, "version": version,
                                                              "offset": start, "chunk": chunk})
                self.result["uploaded_bytes"] += len(chunk)
        self.factory.update("template_upload_commit", {"template": template, "version": version,
                                                       "set_current": bool(self.params["current"])})


def _predicted(before, template, version, module, current):
    """What the factory will hold after registering ``version`` (check mode)."""
    view = dict(before or {"name": template, "current": None, "versions": [], "policy": None})
    versions = [dict(v) for v in view["versions"] if v["version"] != version]
    versions.append({"version": version, "wasm_sha256": module.sha256_hex, "size": len(module.bytes_installed),
                     "current": False, "children": 0})
    if current or view["current"] is None:
        view["current"] = version
    for v in versions:
        v["current"] = v["version"] == view["current"]
    view["versions"] = sorted(versions, key=lambda v: v["version"])
    return view
