"""Client overhead of the collection's IC agent against ic-py 1.0.1, in one run on one localnet.

    .venv/bin/python bench/client.py [--calls 200] [--imports 7]

Both clients make the same calls with the same key and the same Candid argument bytes: an
update (``provisional_top_up_canister``; ours certificate-verified, ic-py unverified) and a
query (``canister_status``; ours node-signature-verified, ic-py unverified). The figure that
matters is client CPU per call (the client process's CPU time; localnet runs in another
process), with wall time beside it. ic-py polls with a fixed delay, which we set to 10 ms;
its query result check needs a one-line shim with the installed cbor2 (see ICPY_WORKER).

Start-up, wall and CPU time of the client process (min and median over fresh interpreters),
each as a ratio to ic-py:
- import: ``import _ic.agent, _ic.management`` (ours) against ``import ic`` (ic-py);
- first call: from before the import to the decoded reply of the first update call: import,
  Ed25519 key, agent, one ``provisional_top_up_canister`` with the same argument bytes (ours
  certificate-verified, so BLS and the certificate code load). Ours is also measured through
  ``Management`` (typed by the embedded ic.did, as the modules call it).
Twice: with cached bytecode for everything, and with our package compiled from source at each
start (a fresh copy, no ``__pycache__``) while ic-py keeps its installed bytecode; Ansible runs
modules from a zip of sources, so the second is what a module pays. ic-py's package is also
named ``ic``, so every measurement runs in its own subprocess with its own ``sys.path``.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULE_UTILS = os.path.join(ROOT, "plugins", "module_utils")

OURS_WORKER = r"""
import json, sys, time
sys.path.insert(0, {module_utils!r})
from _ic import candid
from _ic.agent import Agent
from _ic.identity import Ed25519Identity
from _ic.principal import Principal
cfg = json.loads(sys.argv[1])
agent = Agent(cfg["url"], Ed25519Identity.from_seed(bytes.fromhex(cfg["seed"])),
              root_key_der=bytes.fromhex(cfg["root_key"]))
mgmt, target = Principal.management(), Principal.from_text(cfg["canister"])
update_arg, query_arg = bytes.fromhex(cfg["update_arg"]), bytes.fromhex(cfg["query_arg"])
def update():
    return candid.decode(agent.update(mgmt, "provisional_top_up_canister", update_arg,
                                      effective_canister_id=target))
def query():
    return candid.decode(agent.query(mgmt, "canister_status", query_arg,
                                     effective_canister_id=target))
""".strip()

ICPY_WORKER = r"""
import json, sys, time
from ic.agent import Agent
from ic.client import Client
from ic.identity import Identity
cfg = json.loads(sys.argv[1])
identity = Identity(privkey=cfg["seed"], type="ed25519")
agent = Agent(identity, Client(url=cfg["url"]))
# ic-py 1.0.1 checks type(result) == dict, but cbor2 >= 5.5 decodes to frozendict; one
# shallow conversion keeps its query path working without changing what it costs.
_query_endpoint = agent.query_endpoint
agent.query_endpoint = lambda canister_id, data: dict(_query_endpoint(canister_id, data))
update_arg, query_arg = bytes.fromhex(cfg["update_arg"]), bytes.fromhex(cfg["query_arg"])
def update():
    return agent.update_raw("aaaaa-aa", "provisional_top_up_canister", update_arg,
                            effective_canister_id=cfg["canister"], delay=0.01)
def query():
    return agent.query_raw("aaaaa-aa", "canister_status", query_arg,
                           effective_canister_id=cfg["canister"])
""".strip()

MEASURE = r"""
def measure(fn, n):
    fn()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(n):
        fn()
    return {"cpu_ms": (time.process_time() - cpu) * 1000 / n,
            "wall_ms": (time.perf_counter() - wall) * 1000 / n}
print(json.dumps({"update": measure(update, cfg["calls"]),
                  "query": measure(query, cfg["calls"])}))
"""

# Start-up scripts: each prints the wall and the CPU milliseconds from ``START`` (before the
# first import of a client module) to the point it stands for (``STOP``); ``{path}`` is where
# our ``ic`` package is. CPU time is the steadier figure on a loaded machine.
START = "t, c = time.perf_counter(), time.process_time()\n"
STOP = "print((time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000)\n"
OURS_PATH = "import sys; sys.path.insert(0, {path!r})\nimport json, time\n"
FIRST_UPDATE = """
cfg = json.loads(sys.argv[1])
""" + START + """{body}
""" + STOP
STARTUP = {
    "import": {
        "ours": OURS_PATH + START + "import _ic.agent, _ic.management\n" + STOP,
        "icpy": "import time\n" + START + "import ic\n" + STOP,
    },
    "first call": {
        "ours": OURS_PATH + FIRST_UPDATE.format(body="""
from _ic import candid
from _ic.agent import Agent
from _ic.identity import Ed25519Identity
from _ic.principal import Principal
agent = Agent(cfg["url"], Ed25519Identity.from_seed(bytes.fromhex(cfg["seed"])),
              root_key_der=bytes.fromhex(cfg["root_key"]))
candid.decode(agent.update(Principal.management(), "provisional_top_up_canister",
                           bytes.fromhex(cfg["update_arg"]),
                           effective_canister_id=Principal.from_text(cfg["canister"])))"""),
        "icpy": "import json, sys, time\n" + FIRST_UPDATE.format(body="""
from _ic.agent import Agent
from _ic.client import Client
from _ic.identity import Identity
agent = Agent(Identity(privkey=cfg["seed"], type="ed25519"), Client(url=cfg["url"]))
agent.update_raw("aaaaa-aa", "provisional_top_up_canister", bytes.fromhex(cfg["update_arg"]),
                 effective_canister_id=cfg["canister"], delay=0.01)"""),
        "ours via Management": OURS_PATH + FIRST_UPDATE.format(body="""
from _ic.agent import Agent
from _ic.identity import Ed25519Identity
from _ic.management import Management
agent = Agent(cfg["url"], Ed25519Identity.from_seed(bytes.fromhex(cfg["seed"])),
              root_key_der=bytes.fromhex(cfg["root_key"]))
Management(agent).provisional_top_up_canister(cfg["canister"], 1)"""),
    },
}


def run_python(code, *args, cwd, env=None):
    """Run ``code`` in a fresh interpreter (no PYTHONPATH, cwd without an ``ic`` package)."""
    env = {k: v for k, v in (env or os.environ).items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=env,
                         capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise SystemExit(f"benchmark worker failed:\n{out.stderr[-3000:]}")
    return out.stdout.strip().splitlines()[-1]


def startup_ms(cfg, runs, scratch):
    """{bytecode mode: {figure: {client: {"wall"|"cpu": (min, median)}}}} over ``runs`` fresh
    interpreters."""
    source_copy = os.path.join(scratch, "source")
    shutil.copytree(os.path.join(MODULE_UTILS, "_ic"), os.path.join(source_copy, "_ic"),
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    cached = dict(os.environ, PYTHONPYCACHEPREFIX=os.path.join(scratch, "pycache"))
    cached.pop("PYTHONDONTWRITEBYTECODE", None)
    source = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    source.pop("PYTHONPYCACHEPREFIX", None)
    modes = {"cached bytecode": (cached, MODULE_UTILS),
             "ours from source": (source, source_copy)}
    results = {}
    for mode, (env, path) in modes.items():
        results[mode] = {}
        for figure, scripts in STARTUP.items():
            codes = {client: code.replace("{path!r}", repr(path))
                     for client, code in scripts.items()}
            times = {client: [] for client in codes}
            # Interleaved, so that a burst of load elsewhere hits every client alike; the
            # first round only fills the bytecode cache.
            for attempt in range(runs + 1):
                for client, code in codes.items():
                    out = run_python(code, json.dumps(cfg), cwd=scratch, env=env)
                    if attempt:
                        times[client].append([float(x) for x in out.split()])
            results[mode][figure] = {
                client: {kind: (min(v[i] for v in samples), statistics.median(v[i] for v in samples))
                         for i, kind in enumerate(("wall", "cpu"))}
                for client, samples in times.items()}
    return results


def setup(net, seed):
    """A canister controlled by the benchmark key, and the Candid argument bytes."""
    sys.path.insert(0, MODULE_UTILS)
    from _ic import candid
    from _ic.agent import Agent
    from _ic.identity import Ed25519Identity
    from _ic.management import Management

    agent = Agent(net.url, Ed25519Identity.from_seed(seed), root_key_der=net.root_key_der)
    canister = Management(agent).provisional_create_canister_with_cycles(amount=10**13)
    record = candid.Record({"canister_id": candid.Principal_, "amount": candid.Nat})
    update_arg = candid.encode([record], [{"canister_id": canister, "amount": 1}])
    query_arg = candid.encode([candid.Record({"canister_id": candid.Principal_})],
                              [{"canister_id": canister}])
    return {"url": net.url, "root_key": net.root_key_der.hex(), "seed": seed.hex(),
            "canister": canister.to_text(), "update_arg": update_arg.hex(),
            "query_arg": query_arg.hex()}


def main():
    """Run the benchmark and print the figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--imports", type=int, default=7)
    args = parser.parse_args()
    sys.path.insert(0, ROOT)
    from localnet.testing import LocalnetProcess

    scratch = tempfile.mkdtemp(prefix="bench-client-")
    try:
        with LocalnetProcess() as net:
            cfg = dict(setup(net, os.urandom(32)), calls=args.calls)
            results = {}
            for name, worker in (("ours", OURS_WORKER.format(module_utils=MODULE_UTILS)),
                                 ("icpy", ICPY_WORKER)):
                results[name] = json.loads(run_python(worker + MEASURE, json.dumps(cfg),
                                                      cwd=scratch))
            startup = startup_ms(cfg, args.imports, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    print(f"client overhead per call, {args.calls} calls each, one localnet")
    print(f"{'':8} {'ours cpu':>10} {'ic-py cpu':>10} {'ratio':>7} {'ours wall':>10} "
          f"{'ic-py wall':>11} {'ratio':>7}")
    for kind in ("update", "query"):
        o, p = results["ours"][kind], results["icpy"][kind]
        print(f"{kind:8} {o['cpu_ms']:8.2f}ms {p['cpu_ms']:8.2f}ms "
              f"{o['cpu_ms'] / p['cpu_ms']:7.2f} {o['wall_ms']:8.2f}ms {p['wall_ms']:9.2f}ms "
              f"{o['wall_ms'] / p['wall_ms']:7.2f}")
    print("(ours verifies certificates and query signatures; ic-py verifies nothing)")
    print(f"start-up ms, min / median of {args.imports} fresh interpreters; ratio = min / "
          "ic-py's min")
    print(f"    {'':11} {'':20}" + "".join(f" {kind + ' min/median':>15} {'ratio':>6}"
                                            for kind in ("wall", "cpu")))
    for mode, figures in startup.items():
        print(f"  {mode}:")
        for figure, clients in figures.items():
            row = []
            for client, kinds in clients.items():
                label = "ic-py" if client == "icpy" else client
                cells = "".join(f" {low:7.1f}/{mid:7.1f} {low / clients['icpy'][kind][0]:6.2f}"
                                for kind, (low, mid) in kinds.items())
                row.append(f"    {figure:11} {label:20}{cells}")
            print("\n".join(row))
    print(json.dumps({"calls": results, "startup_ms": startup}))


if __name__ == "__main__":
    main()
