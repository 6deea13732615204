"""Benchmark: what each template canister costs, against the smallest canister we can build.

For every deployable template in wasm/manifest.json and for the `#![no_std]` Rust counter
(tests/fixtures/canisters/rust/counter.rs, the floor), on a fresh localnet started by this
script:

- Wasm size (uncompressed) and gzipped size (the bytes sent to install_code);
- cycles to create: the canister is created through the cycles ledger's `create_canister`, the
  way a funded identity creates one; the figure is the ledger debit less the new canister's
  first balance, split into the ledger fee and the creation fee;
- cycles consumed by install: canister balance before install_code less the balance after;
- canister_status `memory_size` (and, in the .json beside the table, `memory_metrics` Wasm and
  stable memory) after install and after writing N items (default 1,000) through the
  template's own write method, plus the cycles those writes consumed.

Every figure is read from localnet in the run. Cycle balances come from canister_status, so
they include the idle (storage) burn of the seconds between two readings; the table reports
that burn rate so its share can be judged (a few hundred cycles a second against millions).

    .venv/bin/python bench/templates.py [--items N] [--workers W] [--gallery-item chunk|photo]
                                        [--out build/bench/templates.md]
"""
import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for path in (os.path.join(ROOT, "tests", "execution"),
             os.path.join(ROOT, "plugins", "module_utils"), ROOT):
    if path not in sys.path:
        sys.path.insert(0, path)

import exec_canisters  # noqa: E402
from _ic import candid, wasm  # noqa: E402
from _ic.agent import Agent  # noqa: E402
from _ic.cycles_ledger import CyclesLedger  # noqa: E402
from _ic.identity import Ed25519Identity  # noqa: E402
from _ic.management import Management  # noqa: E402
from localnet.execution import fees  # noqa: E402
from localnet.testing import LocalnetProcess  # noqa: E402

WASM_DIR = os.path.join(ROOT, "wasm")
DEFAULT_OUT = os.path.join(ROOT, "build", "bench", "templates.md")
CREATE_AMOUNT = 2_000_000_000_000
PAYLOAD_BYTES = 100
FLOOR = "rust no_std counter"
GALLERY_PHOTOS = 10


class WriteFailed(RuntimeError):
    """A template refused one of the benchmark's writes."""


class Templated:
    """Calls into one template canister, typed by its .did file."""

    def __init__(self, agent, canister_id, did):
        self.agent = agent
        self.canister_id = canister_id
        self.did = did

    def update(self, method, *args):
        data = self.agent.update(self.canister_id, method,
                                 candid.encode(self.did.arg_types(method), list(args)))
        values = candid.decode(data, self.did.ret_types(method))
        result = values[0] if values else None
        if isinstance(result, dict) and "err" in result:
            raise WriteFailed(f"{method}: {result['err']}")
        return result

    def query(self, method, *args):
        data = self.agent.query(self.canister_id, method,
                                candid.encode(self.did.arg_types(method), list(args)))
        return candid.decode(data, self.did.ret_types(method))[0]


def _payload(i):
    text = f"item {i:06d} "
    return (text * (PAYLOAD_BYTES // len(text) + 1))[:PAYLOAD_BYTES]


def _run_all(workers, count, job):
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for _ in pool.map(job, range(count)):
            pass


# -- what one "item" is, per canister --------------------------------------------------------
# Each writer returns the number of update calls it made (items plus any setup call).

def _write_user(client, items, workers):
    _run_all(workers, items,
             lambda i: client.update("set_preference", f"key-{i:06d}", _payload(i)))
    return items


def _write_ai_assistant(client, items, workers):
    conversation = client.update("create_conversation", "bench")["ok"]
    _run_all(workers, items, lambda i: client.update(
        "append_message", conversation, {"user": None}, _payload(i)))
    return items + 1


def _write_gallery_chunks(client, items, workers):
    """``items`` chunks of 100 bytes spread over GALLERY_PHOTOS photos uploaded side by side."""
    photos = min(GALLERY_PHOTOS, items)
    counts = [items // photos + (j < items % photos) for j in range(photos)]

    def photo(j):
        new_photo = {"title": f"photo {j}", "mime_type": "image/png",
                     "size": counts[j] * PAYLOAD_BYTES}
        photo_id = client.update("begin_upload", new_photo)["ok"]
        for index in range(counts[j]):
            client.update("upload_chunk", photo_id, index, _payload(index).encode())
        client.update("finish_upload", photo_id)
    _run_all(workers, photos, photo)
    return items + 2 * photos


def _write_gallery_photos(client, items, workers):
    """``items`` photos of one 100-byte chunk each (3 calls a photo)."""
    def photo(i):
        data = _payload(i).encode()
        photo_id = client.update("begin_upload", {"title": f"photo {i}", "mime_type": "image/png",
                                                  "size": len(data)})["ok"]
        client.update("upload_chunk", photo_id, 0, data)
        client.update("finish_upload", photo_id)
    _run_all(workers, items, photo)
    return 3 * items


def _write_memory(client, items, workers):
    _run_all(workers, items, lambda i: client.update(
        "add_memory", {"content": _payload(i), "date": "2026-01-01", "photo": None}))
    return items


WRITERS = {
    "user": ("set_preference", "1 preference (key + 100-byte value)", _write_user),
    "ai_assistant": ("append_message", "1 message (100 bytes) in one conversation",
                     _write_ai_assistant),
    "gallery": ("upload_chunk", f"1 chunk of 100 bytes ({GALLERY_PHOTOS} photos in all)",
                _write_gallery_chunks),
    "memory": ("add_memory", "1 memory (100-byte content)", _write_memory),
}
# The other reading of a gallery "item": a whole photo. begin_upload scans every photo, so
# 1,000 photos take minutes on localnet: measured only with --gallery-item photo.
GALLERY_PHOTO_WRITER = ("begin_upload + upload_chunk + finish_upload",
                        "1 photo of one 100-byte chunk (3 calls)", _write_gallery_photos)


def _init_record(template, owner, items, workers):
    """The init record: the owner, and limits raised only where N items would not fit."""
    record = {"owner": owner}
    if template == "user":
        record["max_preferences"] = max(100, items)
    elif template == "gallery":
        record["max_pending_uploads"] = min(100, max(4, workers, GALLERY_PHOTOS))
    return record


class Subject:
    """One canister to measure: its module, install argument and item writer."""

    def __init__(self, name, version, raw, sent, install_arg, write, method, item):
        self.name = name
        self.version = version
        self.raw = raw
        self.sent = sent
        self.install_arg = install_arg
        self.write = write
        self.method = method
        self.item = item


def _template_writer(did, writer):
    def write(agent, canister_id, items, workers):
        return writer(Templated(agent, canister_id, did), items, workers)
    return write


def template_subjects(owner, items, workers, gallery_item="chunk"):
    """The deployable templates of wasm/manifest.json, in manifest order."""
    with open(os.path.join(WASM_DIR, "manifest.json"), encoding="utf-8") as fh:
        manifest = json.load(fh)
    subjects = []
    for entry in manifest["templates"]:
        # The factory canister is not a template a factory installs (it has no owner).
        if entry["test_only"] or entry["out"] != entry["template"] or entry["template"] == "factory":
            continue
        name = entry["template"]
        module = wasm.load(os.path.join(WASM_DIR, f"{name}.wasm.gz"))
        with open(os.path.join(WASM_DIR, f"{name}.did"), encoding="utf-8") as fh:
            did = candid.parse_did(fh.read())
        arg = candid.encode(did.init_args, [_init_record(name, owner, items, workers)])
        method, item, writer = GALLERY_PHOTO_WRITER \
            if name == "gallery" and gallery_item == "photo" else WRITERS[name]
        subjects.append(Subject(
            name, entry["version"], module.wasm, module.bytes_installed, arg,
            _template_writer(did, writer), method, item))
    return subjects


def _write_counter(agent, canister_id, items, workers):
    _run_all(workers, items, lambda i: agent.update(canister_id, "inc", b""))
    reply = agent.query(canister_id, "get", b"")
    if int.from_bytes(reply, "little") != items:
        raise WriteFailed(f"counter is {int.from_bytes(reply, 'little')} after {items} inc")
    return items


def floor_subject():
    """The `#![no_std]` Rust counter, built by the execution tests' builder."""
    raw = exec_canisters.read(exec_canisters.rust_wasm())
    return Subject(FLOOR, "-", raw, wasm.gzip_module(raw), (0).to_bytes(8, "little"),
                   _write_counter, "inc", "1 increment")


# -- measuring ------------------------------------------------------------------------------

def _status(mgmt, canister_id):
    status = mgmt.canister_status(canister_id)
    return {"cycles": status["cycles"], "memory_size": status["memory_size"],
            "wasm_memory_size": status["memory_metrics"]["wasm_memory_size"],
            "stable_memory_size": status["memory_metrics"]["stable_memory_size"],
            "idle_cycles_burned_per_day": status["idle_cycles_burned_per_day"]}


def measure(agent, mgmt, ledger, subject, items, workers):
    """Create, install and fill one canister; return its figures."""
    owner = agent.sender
    ledger_before = ledger.icrc1_balance_of(owner)
    canister_id = ledger.create_canister(CREATE_AMOUNT)
    ledger_after = ledger.icrc1_balance_of(owner)
    created = _status(mgmt, canister_id)
    debit = ledger_before - ledger_after

    started = time.monotonic()
    mgmt.install_code(canister_id, subject.sent, subject.install_arg, "install")
    installed = _status(mgmt, canister_id)

    calls = subject.write(agent, canister_id, items, workers)
    filled = _status(mgmt, canister_id)
    elapsed = time.monotonic() - started
    return {
        "canister": subject.name, "version": subject.version, "canister_id": str(canister_id),
        "wasm_bytes": len(subject.raw), "gzip_bytes": len(subject.sent),
        "create_cycles": debit - created["cycles"],
        "create_ledger_fee": debit - CREATE_AMOUNT,
        "create_creation_fee": CREATE_AMOUNT - created["cycles"],
        "install_cycles": created["cycles"] - installed["cycles"],
        "items": items, "item": subject.item, "write_method": subject.method,
        "write_calls": calls,
        "write_cycles": installed["cycles"] - filled["cycles"],
        "memory_after_install": installed["memory_size"],
        "memory_after_items": filled["memory_size"],
        "wasm_memory_after_install": installed["wasm_memory_size"],
        "wasm_memory_after_items": filled["wasm_memory_size"],
        "stable_memory_after_items": filled["stable_memory_size"],
        "idle_cycles_burned_per_day": filled["idle_cycles_burned_per_day"],
        "seconds": round(elapsed, 1),
    }


def run(items=1000, workers=8, out=DEFAULT_OUT, gallery_item="chunk"):
    """Measure every subject on a fresh localnet; write the Markdown table to ``out`` (unless
    None) and return ``(rows, markdown)``."""
    identity = Ed25519Identity.generate()
    owner = identity.sender
    subjects = template_subjects(owner, items, workers, gallery_item) + [floor_subject()]
    with LocalnetProcess() as net:
        net.mint(owner, CREATE_AMOUNT * 2 * len(subjects))
        agent = Agent(net.url, identity, root_key_der=net.root_key_der)
        try:
            mgmt, ledger = Management(agent), CyclesLedger(agent)
            rows = [measure(agent, mgmt, ledger, s, items, workers) for s in subjects]
        finally:
            agent.close()
    markdown = render(rows, items)
    if out:
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(markdown)
        with open(os.path.splitext(out)[0] + ".json", "w", encoding="utf-8") as fh:
            json.dump(rows, fh, indent=1)
    return rows, markdown


# -- output ---------------------------------------------------------------------------------

def _n(value):
    return f"{value:,}"


def _cycles(value):
    """Cycles as B (10^9) or M (10^6)."""
    if value >= 10 ** 9:
        return f"{value / 1e9:,.1f} B"
    return f"{value / 1e6:,.2f} M"


def _mib(value):
    return f"{value / 2 ** 20:,.2f} MiB"


def render(rows, items):
    """The Markdown table (and the notes a reader needs to trust it)."""
    floor = next((r for r in rows if r["canister"] == FLOOR), None)
    lines = [
        "| canister | Wasm | gzipped | gzipped ÷ floor | create | install | "
        f"memory after install | memory after {_n(items)} items | growth per item | "
        "cycles per write | item |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        name = r["canister"] if r["version"] == "-" else f"{r['canister']} {r['version']}"
        ratio = f"{r['gzip_bytes'] / floor['gzip_bytes']:,.0f}×" if floor else "-"
        per_item = (r["memory_after_items"] - r["memory_after_install"]) // max(1, r["items"])
        lines.append(
            f"| {name} | {_n(r['wasm_bytes'])} B | {_n(r['gzip_bytes'])} B | {ratio} | "
            f"{_cycles(r['create_cycles'])} | {_cycles(r['install_cycles'])} | "
            f"{_mib(r['memory_after_install'])} | {_mib(r['memory_after_items'])} | "
            f"{_n(per_item)} B | {_cycles(r['write_cycles'] // max(1, r['write_calls']))} | "
            f"{r['item']} |")
    sample = rows[0]
    burn = max(r["idle_cycles_burned_per_day"] for r in rows)
    lines += [
        "",
        f"Measured on localnet by `bench/templates.py --items {items}`: B = 10^9 and "
        "M = 10^6 cycles; memory is canister_status `memory_size` (Wasm memory + binary + "
        "custom sections + history); it grows by 64 KiB pages, and a Motoko heap also holds "
        "garbage its GC has not reclaimed yet, so growth per item is an upper bound on what "
        "an item keeps.",
        f"- create: cycles-ledger `create_canister` debit less the new canister's first balance ="
        f" creation fee {_n(sample['create_creation_fee'])} + ledger fee "
        f"{_n(sample['create_ledger_fee'])}, whatever the module "
        "(`provisional_create_canister_with_cycles` charges nothing).",
        "- install and writes: the canister's balance before less after (per write: over all "
        f"update calls, setup calls included): {_n(fees.UPDATE_BASE_FEE)} per execution + "
        f"instructions (wasmtime fuel, ×{fees.WASM64_MULTIPLIER} for 64-bit Wasm, which EOP "
        f"Motoko is) + ingress induction ({_n(fees.INGRESS_RECEPTION_FEE)} + "
        f"{_n(fees.INGRESS_BYTE_FEE)} per byte), plus idle burn between readings "
        f"(≤ {_n(burn // 86_400)} cycles a second here).",
        "- templates: the checked-in `.wasm.gz` (Motoko, EOP, shrunk); floor: "
        "`tests/fixtures/canisters/rust/counter.rs` built `no_std` with rustc opt-level=s and "
        "gzipped level 9; it speaks raw bytes (no Candid) and stores nothing per item.",
    ]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--out", default=DEFAULT_OUT)
    parser.add_argument("--gallery-item", choices=("chunk", "photo"), default="chunk",
                        help="what one gallery item is (photo: 3 calls each, minutes on localnet)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    rows, markdown = run(args.items, args.workers, args.out, args.gallery_item)
    print(markdown)
    print(f"({time.monotonic() - started:.0f} s; written to {args.out} and .json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
