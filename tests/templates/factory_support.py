"""The factory canister (wasm/factory.wasm.gz) on localnet, driven through the project's client:
install it, register templates by chunked upload, call it as different identities."""
import hashlib

from _ic import candid
from template_artifacts import did, entry, read
from template_canister import KEEP, TemplateCanister

FACTORY_CYCLES = 200 * 10**12
CREATION_FEE = 500_000_000_000


class Factory(TemplateCanister):
    """A factory canister whose admin and backup controller is ``callers.operator``."""

    def __init__(self, callers, cycles=FACTORY_CYCLES, admins=None, backups=None):
        self.callers = callers
        self.out = "factory"
        self.id = callers.management().provisional_create_canister_with_cycles(amount=cycles)
        self.init = {"admins": admins or [callers.operator.sender],
                     "backup_controllers": backups or [callers.operator.sender]}
        self._install("install")

    def _install(self, mode):
        arg = candid.encode(list(did("factory").init_args), [self.init])
        self.callers.management().install(self.id, read("factory.wasm.gz"), arg, mode=mode)

    def upgrade_self(self):
        """Upgrades the factory to its own module again, keeping its memory."""
        self._install(KEEP)

    def admin(self, method, *args):
        return self.call(self.callers.operator, method, *args)

    def register(self, out, version=None, template=None, chunk=64 * 1024, current=True):
        """Uploads wasm/<out>.wasm.gz as a version of its template in chunks; the version."""
        data = read(f"{out}.wasm.gz")
        template = template or entry(out)["template"]
        version = version or entry(out)["version"]
        begin = {"template": template, "version": version, "wasm_sha256": hashlib.sha256(data).digest(),
                 "size": len(data)}
        assert self.admin("template_upload_begin", begin) == {"Ok": None}
        # No upload in progress after begin: that version is registered with this hash already.
        pending = self.admin("template_upload_status", template, version) is not None
        for offset in range(0, len(data) if pending else 0, chunk):
            piece = {"template": template, "version": version, "offset": offset, "chunk": data[offset:offset + chunk]}
            assert self.admin("template_upload_chunk", piece) == {"Ok": None}
        result = self.admin("template_upload_commit", {"template": template, "version": version, "set_current": current})
        assert "Ok" in result, result
        return result["Ok"]

    def balance(self):
        return self.callers.management().canister_status(self.id)["cycles"]


def ok(result):
    assert "Ok" in result, result
    return result["Ok"]


def err(result):
    assert "Err" in result, result
    return result["Err"]
