"""icp-cli 1.5.0, unchanged, runs canister code on localnet: create through the cycles ledger,
install with an init argument, call, top up, balances, delete with cycle recovery; owner checks
and a failed upgrade through the management canister over HTTP."""
import json
import os
import time

from exec_support import cycles_of, net, write_wasm  # noqa: F401
from localnet.execution import fees

TEMPLATE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "wasm", "user.wasm.gz")
LEDGER_FEE = 100_000_000
CREATION_FEE = 500_000_000_000
RECOVERY_KEPT = 50_000_000_000


def balance(icp, identity="alice"):
    """The identity's cycles-ledger balance as icp-cli prints it."""
    out = icp.run("cycles", "balance", "-n", icp.net.url, "-k", icp.net.root_key_hex,
                  "--identity", identity).stdout
    return int(out.split("Balance:")[1].split("cycles")[0].replace("_", ""))


def status_cycles(icp, cid):
    out = json.loads(icp.run("canister", "status", cid, "--json").stdout)
    return int(out["cycles"].replace("_", ""))


def wait_for_query_stats(icp, cid, calls, timeout=10.0):
    """canister_status' query_stats once they count ``calls`` queries (they trail the queries,
    each recorded by localnet's timer loop; giving up at the deadline lets the assert report)."""
    deadline = time.monotonic() + timeout
    while True:
        stats = json.loads(icp.run("canister", "status", cid, "--json").stdout)["query_stats"]
        if int(stats["num_calls_total"].replace("_", "")) >= calls or time.monotonic() > deadline:
            return stats
        time.sleep(0.2)


def test_template_lifecycle_through_the_cycles_ledger(net, icp):
    net.mint(icp.alice, 10_000_000_000_000)
    assert balance(icp) == 10_000_000_000_000
    cid = icp.run("canister", "create", "--detached", "-q").stdout.split()[-1]  # 2T default
    assert balance(icp) == 10_000_000_000_000 - 2_000_000_000_000 - LEDGER_FEE
    created = status_cycles(icp, cid)
    assert created <= 2_000_000_000_000 - CREATION_FEE

    icp.run("canister", "install", cid, "--wasm", TEMPLATE,
            "--args", f'(record {{ owner = principal "{icp.alice}"; max_preferences = opt 3 }})')
    installed = status_cycles(icp, cid)
    assert installed < created - fees.UPDATE_BASE_FEE  # running canister_init costs cycles
    assert "ok" in icp.run("canister", "call", cid, "set_preference", '("k", "v")').stdout
    assert '"v"' in icp.run("canister", "call", cid, "get_preference", '("k")',
                            "--query").stdout
    info = icp.run("canister", "call", cid, "get_info", "()", "--query").stdout
    assert icp.alice in info and '"user"' in info
    called = status_cycles(icp, cid)
    stats = wait_for_query_stats(icp, cid, calls=2)
    assert int(stats["num_calls_total"].replace("_", "")) == 2
    assert int(stats["num_instructions_total"].replace("_", "")) > 0
    assert int(stats["request_payload_bytes_total"].replace("_", "")) > 0
    assert int(stats["response_payload_bytes_total"].replace("_", "")) > 0
    # The update paid induction, the base fee and its instructions; the query was free.
    assert called < installed - fees.UPDATE_BASE_FEE - fees.INGRESS_RECEPTION_FEE
    assert called > installed - 2_000_000_000

    icp.run("canister", "top-up", "--amount", "500000000000", cid)
    assert status_cycles(icp, cid) > called + 500_000_000_000 - 1_000_000
    left = 10_000_000_000_000 - 2_500_000_000_000 - 2 * LEDGER_FEE
    assert balance(icp) == left

    icp.run("canister", "stop", cid)
    before_delete = status_cycles(icp, cid)
    # Default recovery runs icp-cli's own shim canister on localnet: it deposits all but 50B
    # of its liquid balance into the caller's cycles-ledger account.
    icp.run("canister", "delete", cid)
    recovered = balance(icp) - left
    assert before_delete - RECOVERY_KEPT - 2_000_000_000 < recovered \
        <= before_delete - RECOVERY_KEPT
    assert cycles_of(net, cid) is None


def test_owner_only_methods_and_failed_upgrade_keep_old_code(net, icp, tmp_path):
    net.mint(icp.alice, 5_000_000_000_000)
    cid = icp.run("canister", "create", "--detached", "-q").stdout.split()[-1]
    icp.run("canister", "install", cid, "--wasm", write_wasm(tmp_path, "Counter"),
            "--args", f'(principal "{icp.alice}", 5 : nat)')
    assert "7" in icp.run("canister", "call", cid, "add", "(2 : nat)").stdout

    refused = icp.run("canister", "call", cid, "reset", "()", identity="bob", check=False)
    assert refused.returncode != 0
    assert "IC0503" in refused.stderr and "only the owner may reset" in refused.stderr
    assert "(7 : nat)" in icp.run("canister", "call", cid, "get", "()", "--query").stdout
    logs = icp.run("canister", "logs", cid).stdout  # Debug.print and the trap, in order
    assert logs.index("add 2 -> 7") < logs.index("only the owner may reset")

    v2 = write_wasm(tmp_path, "Counter.v2")
    failed = icp.run("canister", "install", cid, "--wasm", v2, "--mode", "upgrade",
                     "--args", f'(principal "{icp.alice}", 666 : nat)', check=False)
    assert failed.returncode != 0 and "post_upgrade refused" in failed.stderr
    # Still the old module, with its state: v2's `version` method does not exist yet.
    assert "(7 : nat)" in icp.run("canister", "call", cid, "get", "()", "--query").stdout
    missing = icp.run("canister", "call", cid, "version", "()", "--query", check=False)
    assert missing.returncode != 0
    assert "8" in icp.run("canister", "call", cid, "add", "(1 : nat)").stdout

    icp.run("canister", "install", cid, "--wasm", v2, "--mode", "upgrade",
            "--args", f'(principal "{icp.alice}", 5 : nat)')
    assert "(2 : nat)" in icp.run("canister", "call", cid, "version", "()", "--query").stdout
    assert "(8 : nat)" in icp.run("canister", "call", cid, "get", "()", "--query").stdout
    refused = icp.run("canister", "call", cid, "note", '("x")', identity="bob", check=False)
    assert refused.returncode != 0 and "only the owner may write notes" in refused.stderr
    icp.run("canister", "call", cid, "note", '("x")')
    assert '"x"' in icp.run("canister", "call", cid, "getNotes", "()", "--query").stdout


def test_a_canister_that_cannot_pay_for_a_message_refuses_it(net, icp, tmp_path):
    net.mint(icp.alice, 5_000_000_000_000)
    cid = icp.run("canister", "create", "--detached", "-q").stdout.split()[-1]
    icp.run("canister", "install", cid, "--wasm", write_wasm(tmp_path, "Counter"),
            "--args", f'(principal "{icp.alice}", 5 : nat)')
    st = json.loads(icp.run("canister", "status", cid, "--json").stdout)
    balance_now = int(st["cycles"].replace("_", ""))
    per_day = int(st["idle_cycles_burned_per_day"].replace("_", ""))
    # A freezing limit a few million cycles under the balance: the canister is not frozen,
    # but the fees of one more ingress message would take it below the limit.
    margin = fees.UPDATE_BASE_FEE // 2
    threshold = (balance_now - margin) * 86_400 // per_day
    icp.run("canister", "settings", "update", cid, "--freezing-threshold", str(threshold))
    refused = icp.run("canister", "call", cid, "add", "(1 : nat)", check=False)
    assert refused.returncode != 0
    assert "IC0207" in refused.stderr and "out of cycles" in refused.stderr
    assert "(5 : nat)" in icp.run("canister", "call", cid, "get", "()", "--query").stdout
    icp.run("canister", "settings", "update", cid, "--freezing-threshold", "3600")
    assert "6" in icp.run("canister", "call", cid, "add", "(1 : nat)").stdout
