"""The wasmtime side: one engine, compiled-module cache, ic0 linkers and live instances."""
import ctypes
import hashlib
import importlib.metadata
import os
from collections import OrderedDict
from dataclasses import dataclass

import wasmtime
from wasmtime import _ffi as wasmtime_ffi

from . import dirty, system_api, wasm_binary
from .errors import invalid_wasm

START_EXPORT = "__ic_start"
TABLE_EXPORT = "__ic_table"
MEMORY_EXPORT = "__ic_memory"
GLOBAL_PREFIX = "__ic_g"
PAGE = 65536
TRACK_PAGE = 1 << dirty.PAGE_SHIFT
_HOST_FUEL = 1 << 40   # for the engine's own helper calls (globals save/restore)
_VALTYPE = {"i32": wasmtime.ValType.i32, "i64": wasmtime.ValType.i64}
_MASK = {"i32": 0xFFFFFFFF, "i64": (1 << 64) - 1}
# Bump when the instrumentation or the engine configuration changes: serialized modules
# only load into an identically configured engine.
CACHE_FORMAT = "ic-exec-3"


@dataclass
class Compiled:
    """A module ready to instantiate, with the export names the instrumentation added."""
    module: wasmtime.Module
    has_start: bool
    table: str | None
    memory: str | None
    globals: tuple
    dirty: str | None = None
    globals_area: int = 0


def _fix_result(value, vt):
    # wasmtime-py takes signed integers; the System API returns unsigned sizes.
    if vt == "i32" and value >= 1 << 31:
        return value - (1 << 32)
    if vt == "i64" and value >= 1 << 63:
        return value - (1 << 64)
    return value


class Runtime:
    """Owns the wasmtime Engine. ``current`` is the Execution the host functions act on."""

    def __init__(self, cache_dir=None, max_modules=32):
        config = wasmtime.Config()
        config.consume_fuel = True
        config.wasm_memory64 = True
        config.wasm_multi_memory = True   # the dirty-page bitmap is a second memory
        self.engine = wasmtime.Engine(config)
        self.cache_dir = cache_dir
        self.max_modules = max_modules
        self._modules = OrderedDict()
        self._linkers = {False: self._make_linker(False), True: self._make_linker(True)}
        self.current = None

    def _make_linker(self, memory64):
        linker = wasmtime.Linker(self.engine)
        for name, (params, results) in system_api.signatures(memory64).items():
            ty = wasmtime.FuncType([_VALTYPE[p]() for p in params],
                                   [_VALTYPE[r]() for r in results])
            linker.define_func("ic0", name, ty, self._host(name, params, results))
        return linker

    def _host(self, name, params, results):
        masks = tuple(_MASK[p] for p in params)
        result_vt = results[0] if results else None
        allowed = system_api.allowed_contexts(name)
        runtime = self

        def call(*args):
            ex = runtime.current
            if ex.api_code not in allowed:
                ex.check(name)
            value = getattr(ex, name)(*[a & m for a, m in zip(args, masks)])
            if result_vt is not None:
                return _fix_result(value, result_vt)
            return None
        return call

    def compiled(self, info):
        """The compiled, instrumented module for a ModuleInfo (memory and disk cached)."""
        key = hashlib.sha256(info.wasm).hexdigest()
        hit = self._modules.get(key)
        if hit is not None:
            self._modules.move_to_end(key)
            return hit
        parsed = info.parsed or wasm_binary.parse(info.wasm)
        module, tracked = self._load(key, parsed)
        globals_ = _global_names(parsed)
        compiled = Compiled(
            module=module, has_start=parsed.start is not None,
            table=wasm_binary.export_name(parsed, 1, TABLE_EXPORT) if parsed.tables else None,
            memory=wasm_binary.export_name(parsed, 2, MEMORY_EXPORT) if parsed.memories else None,
            globals=globals_, dirty=dirty.BITMAP_EXPORT if tracked else None,
            globals_area=dirty.globals_area(bool(parsed.memories and parsed.memories[0].is64)))
        self._modules[key] = compiled
        while len(self._modules) > self.max_modules:
            self._modules.popitem(last=False)
        return compiled

    def _load(self, key, parsed):
        """(wasmtime Module, whether stores are tracked), from the disk cache if possible."""
        path = None
        if self.cache_dir:
            path = os.path.join(self.cache_dir, f"{CACHE_FORMAT}-{_WASMTIME_VERSION}-{key}")
            for tracked, suffix in ((True, ".tracked.cwasm"), (False, ".cwasm")):
                if os.path.exists(path + suffix):
                    try:
                        return wasmtime.Module.deserialize_file(self.engine, path + suffix), \
                            tracked
                    except wasmtime.WasmtimeError:
                        os.unlink(path + suffix)
        memory64 = bool(parsed.memories and parsed.memories[0].is64)
        try:
            replace = dirty.rewrite_code(parsed, memory64)
            funcs = parsed.imported_count("func") + len(parsed.functions)
            extra = [wasm_binary.Export(dirty.BITMAP_EXPORT, 2, 1),
                     wasm_binary.Export(dirty.SAVE_EXPORT, 0, funcs + 1),
                     wasm_binary.Export(dirty.RESTORE_EXPORT, 0, funcs + 2)]
        except dirty.Unsupported:
            replace, extra = None, []
        wasm = wasm_binary.instrument(parsed, START_EXPORT, TABLE_EXPORT, MEMORY_EXPORT,
                                      GLOBAL_PREFIX, replace, extra)
        try:
            module = wasmtime.Module(self.engine, wasm)
        except wasmtime.WasmtimeError as exc:
            if replace is None:
                raise invalid_wasm(f"Wasmtime failed to validate wasm module {exc}")
            # The original may be invalid, or the rewrite wrong: judge the original alone.
            replace = None
            wasm = wasm_binary.instrument(parsed, START_EXPORT, TABLE_EXPORT, MEMORY_EXPORT,
                                          GLOBAL_PREFIX)
            try:
                module = wasmtime.Module(self.engine, wasm)
            except wasmtime.WasmtimeError as exc2:
                raise invalid_wasm(f"Wasmtime failed to validate wasm module {exc2}")
        tracked = replace is not None
        if path:
            os.makedirs(self.cache_dir, exist_ok=True)
            target = path + (".tracked.cwasm" if tracked else ".cwasm")
            tmp = f"{target}.{os.getpid()}.tmp"
            with open(tmp, "wb") as fh:
                fh.write(module.serialize())
            os.replace(tmp, target)
        return module, tracked

    def instantiate(self, info):
        """A new LiveInstance of the module (active data segments applied, start not run)."""
        compiled = self.compiled(info)
        store = wasmtime.Store(self.engine)
        store.set_fuel(10_000)  # instantiation runs no canister code (start is exported)
        instance = self._linkers[info.memory64].instantiate(store, compiled.module)
        return LiveInstance(store, instance, compiled)


def _global_names(parsed):
    first = parsed.imported_count("global")
    return tuple(f"{GLOBAL_PREFIX}{first + i}" for i, g in enumerate(parsed.globals) if g.mutable)


def global_names(wasm):
    """The names the engine gives the mutable globals of a raw module (snapshot uploads)."""
    return _global_names(wasm_binary.parse(wasm))


class LiveInstance:
    """A running instance of a canister module and access to its memory and globals."""

    def __init__(self, store, instance, compiled):
        self.store = store
        self.compiled = compiled
        self.exports = instance.exports(store)
        self.memory = self.exports[compiled.memory] if compiled.memory else None
        self.table = self.exports[compiled.table] if compiled.table else None
        self.globals = [(name, self.exports[name]) for name in compiled.globals]
        self.dirty = self.exports[compiled.dirty] if compiled.dirty else None
        if self.dirty is not None:
            self._save = self.exports[dirty.SAVE_EXPORT]
            self._restore = self.exports[dirty.RESTORE_EXPORT]
        self.clean = None     # rollback snapshot (see ExecutionEngine.begin)
        self.touched = True   # Wasm ran since ``clean`` was taken or restored

    def heap_size(self):
        """Main memory size in bytes."""
        return self.memory.data_len(self.store) if self.memory else 0

    def read_heap(self):
        """A copy of the whole main memory."""
        size = self.heap_size()
        if not size:
            return b""
        return ctypes.string_at(ctypes.addressof(self.memory.data_ptr(self.store).contents), size)

    def copy_heap_into(self, buf):
        """Copy main memory into ``buf`` (a bytearray, reused when the size fits); return it.

        Reusing one buffer avoids allocating and page-faulting megabytes on every message,
        which costs as much as the copy itself.
        """
        size = self.heap_size()
        if buf is None or len(buf) != size:
            buf = bytearray(size)
        if size:
            ctypes.memmove(_address(buf), ctypes.addressof(self.memory.data_ptr(self.store).contents),
                           size)
        return buf

    def write_heap(self, data):
        """Replace main memory with ``data`` (bytes or bytearray; grown first if needed)."""
        if not data:
            return
        missing = (len(data) - self.heap_size()) // PAGE
        if missing > 0:
            self.memory.grow(self.store, missing)
        base = ctypes.addressof(self.memory.data_ptr(self.store).contents)
        src = _address(data) if isinstance(data, bytearray) else data
        ctypes.memmove(base, src, len(data))

    # -- dirty pages (modules whose stores are tracked) ---------------------------------------
    def _bitmap(self, pages):
        base = ctypes.addressof(self.dirty.data_ptr(self.store).contents)
        return base, ctypes.string_at(base, pages)

    def take_dirty_pages(self):
        """Indexes of the 4 KiB pages written since the last call (and clear the marks)."""
        pages = (self.heap_size() + TRACK_PAGE - 1) // TRACK_PAGE
        base, marks = self._bitmap(pages)
        found, i = [], marks.find(1)
        while i >= 0:
            found.append(i)
            i = marks.find(1, i + 1)
        if found:
            ctypes.memset(base + found[0], 0, found[-1] - found[0] + 1)
        return found

    def copy_pages(self, buf, pages, to_heap):
        """Copy the given pages between main memory and ``buf`` (a same-sized bytearray)."""
        heap = ctypes.addressof(self.memory.data_ptr(self.store).contents)
        other = _address(buf)
        limit = len(buf)
        for page in pages:
            start = page * TRACK_PAGE
            if start >= limit:
                break
            size = min(TRACK_PAGE, limit - start)
            if to_heap:
                ctypes.memmove(heap + start, other + start, size)
            else:
                ctypes.memmove(other + start, heap + start, size)

    def read_globals(self):
        """[(export name, value)] of the mutable globals."""
        return [(name, g.value(self.store)) for name, g in self.globals]

    def raw_globals(self):
        """The mutable globals in a raw form, for per-message rollback.

        Tracked modules copy them into their bitmap memory with one Wasm call; otherwise the
        C structs are read directly (Global.value() converts through Val and costs ~10 us
        per global; validation guarantees numeric globals, so no GC roots are involved).
        """
        if self.dirty is not None:
            self.store.set_fuel(_HOST_FUEL)
            self._save(self.store)
            base = ctypes.addressof(self.dirty.data_ptr(self.store).contents)
            return ctypes.string_at(base + self.compiled.globals_area,
                                    dirty.GLOBAL_SLOT * len(self.globals))
        ctx = self.store._context()
        out = []
        for _name, g in self.globals:
            raw = wasmtime_ffi.wasmtime_val_t()
            wasmtime_ffi.wasmtime_global_get(ctx, ctypes.byref(g._global), ctypes.byref(raw))
            out.append(raw)
        return out

    def write_raw_globals(self, raws):
        """Restore values read with ``raw_globals`` (from this module)."""
        if self.dirty is not None:
            base = ctypes.addressof(self.dirty.data_ptr(self.store).contents)
            ctypes.memmove(base + self.compiled.globals_area, raws, len(raws))
            self.store.set_fuel(_HOST_FUEL)
            self._restore(self.store)
            return
        ctx = self.store._context()
        for (_name, g), raw in zip(self.globals, raws):
            error = wasmtime_ffi.wasmtime_global_set(ctx, ctypes.byref(g._global),
                                                     ctypes.byref(raw))
            if error:
                raise wasmtime.WasmtimeError._from_ptr(error)

    def write_globals(self, values):
        """Restore globals read with ``read_globals``."""
        by_name = dict(self.globals)
        for name, value in values:
            g = by_name.get(name)
            if g is not None:
                g.set_value(self.store, value)

    def func(self, export):
        """The exported function, or None."""
        try:
            f = self.exports[export]
        except KeyError:
            return None
        return f if isinstance(f, wasmtime.Func) else None

    def table_func(self, index):
        """The function at a table index, or None."""
        if self.table is None or index >= self.table.size(self.store):
            return None
        f = self.table.get(self.store, index)
        return f if isinstance(f, wasmtime.Func) else None


def _address(buf):
    return ctypes.addressof((ctypes.c_char * len(buf)).from_buffer(buf))


def _wasmtime_version():
    try:
        return importlib.metadata.version("wasmtime")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


_WASMTIME_VERSION = _wasmtime_version()
