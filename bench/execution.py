"""Benchmark: localnet's execution engine against a bare wasmtime loop on the same canister.

Measures, in one run, (1) update calls per second to the Motoko Counter's `add` and (2) the
time to install the ~270 KB Motoko module (compile + instantiate + start + canister_init),
for the engine and for the floor: the same module driven by plain wasmtime with stub host
functions, no validation, no atomicity and no snapshots. Prints figures and ratios.

    .venv/bin/python bench/execution.py [--updates N] [--persistence eop|classic]
"""
import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for path in (os.path.join(ROOT, "tests", "execution"), os.path.join(ROOT, "plugins", "module_utils"),
             ROOT):
    if path not in sys.path:
        sys.path.insert(0, path)

import ctypes  # noqa: E402

import wasmtime  # noqa: E402

import exec_canisters  # noqa: E402
from exec_helpers import OWNER, counter_init, nat  # noqa: E402
from localnet.execution import CanisterState, ExecutionEngine, Message  # noqa: E402


class Floor:
    """The canister on plain wasmtime: one instance, stub ic0, nothing else."""

    def __init__(self, wasm):
        config = wasmtime.Config()
        config.wasm_memory64 = True
        self.engine = wasmtime.Engine(config)
        self.wasm = wasm
        self.arg = b""
        self.reply = bytearray()

    def _memory(self):
        return self.instance.exports(self.store)["mem"]

    def _stub(self, name, ty):
        results = list(ty.results)

        def arg_size():
            return len(self.arg)

        def arg_copy(dst, offset, size):
            mem = self._memory()
            base = ctypes.addressof(mem.data_ptr(self.store).contents)
            ctypes.memmove(base + dst, self.arg[offset:offset + size], size)

        def append(src, size):
            mem = self._memory()
            base = ctypes.addressof(mem.data_ptr(self.store).contents)
            self.reply += ctypes.string_at(base + src, size)

        def other(*_args):
            return 0 if results else None
        return {"msg_arg_data_size": arg_size, "msg_arg_data_copy": arg_copy,
                "msg_reply_data_append": append}.get(name, other)

    def install(self, arg):
        """Compile, instantiate (runs start) and run canister_init."""
        module = wasmtime.Module(self.engine, self.wasm)
        self.store = wasmtime.Store(self.engine)
        linker = wasmtime.Linker(self.engine)
        for imp in module.imports:
            linker.define_func(imp.module, imp.name, imp.type, self._stub(imp.name, imp.type))
        self.instance = linker.instantiate(self.store, module)
        self.exports = self.instance.exports(self.store)
        self.arg = arg
        self.exports["canister_init"](self.store)

    def update(self, method, arg):
        """Call an update method; return the reply bytes."""
        self.arg, self.reply = arg, bytearray()
        self.exports[f"canister_update {method}"](self.store)
        return bytes(self.reply)


def timed(fn, repeat):
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--installs", type=int, default=5)
    parser.add_argument("--persistence", choices=["eop", "classic"], default="eop")
    opts = parser.parse_args()
    key = (opts.persistence, 1)
    wasm = exec_canisters.read(exec_canisters.motoko_wasm([key])[key])
    init, one = counter_init(start=0), nat(1)

    floor = Floor(wasm)
    floor_install = timed(lambda: floor.install(init), opts.installs)
    floor.update("add", one)
    floor_update = timed(lambda: floor.update("add", one), opts.updates)

    def engine_install(cold):
        engine = ExecutionEngine()
        if not cold:
            engine.validate(wasm)
        state = CanisterState(b"\x01" * 10, [OWNER], cycles=10**13)
        start = time.perf_counter()
        assert engine.install(state, wasm, init, OWNER).committed
        return time.perf_counter() - start, engine, state

    cold = min(engine_install(True)[0] for _ in range(opts.installs))
    warm = min(engine_install(False)[0] for _ in range(opts.installs))
    _, engine, state = engine_install(False)
    message = Message("update", "add", one, OWNER, time_ns=1)
    # Both really run `add`: each replies with a Candid nat (the counts differ).
    assert engine.run(state, message).reply[:7] == floor.update("add", one)[:7] == b"DIDL\x00\x01}"
    engine_update = timed(lambda: engine.run(state, message), opts.updates)
    query = Message("query", "get", b"DIDL\x00\x00", OWNER)
    engine_query = timed(lambda: engine.run(state, query), opts.updates)

    print(f"module: Motoko Counter ({opts.persistence}), {len(wasm) / 1024:.0f} KiB, "
          f"heap {len(state.heap()) / 2**20:.1f} MiB")
    print(f"updates/s   engine {1 / engine_update:9.0f}   floor {1 / floor_update:9.0f}   "
          f"ratio floor/engine {engine_update / floor_update:6.1f}x")
    print(f"queries/s   engine {1 / engine_query:9.0f}")
    print(f"install ms  engine cold {cold * 1e3:7.1f}  warm {warm * 1e3:7.1f}   "
          f"floor {floor_install * 1e3:7.1f}   ratio engine-cold/floor {cold / floor_install:5.2f}x")


if __name__ == "__main__":
    main()
