"""Cycles arithmetic: memory usage, idle burn, the freezing limit and the frozen check."""
from . import limits
from .errors import reject

DAY_SECONDS = 86_400


def memory_size(canister):
    """Bytes the canister is charged for (the canister_status ``memory_size``)."""
    return sum(memory_metrics(canister).values())


def memory_metrics(canister):
    """The canister_status ``memory_metrics`` record."""
    sections = sum(len(s["data"]) for s in canister.metadata.values())
    return {
        "wasm_memory_size": canister.wasm_memory_size,
        "stable_memory_size": canister.stable_memory_size,
        "global_memory_size": canister.global_memory_size,
        "wasm_binary_size": canister.wasm_binary_size,
        "custom_sections_size": sections,
        "canister_history_size": 256 * len(canister.history),
        "wasm_chunk_store_size": limits.MAX_CHUNK_BYTES * len(canister.chunk_hashes),
        "snapshots_size": sum(s["total_size"] for s in canister.snapshots),
    }


def idle_cycles_burned_per_day(canister):
    """Storage plus compute allocation cost of one day, as the replica charges it."""
    settings = canister.settings
    charged_memory = max(memory_size(canister), settings["memory_allocation"])
    storage = charged_memory * limits.STORAGE_FEE_PER_GIB_SECOND * DAY_SECONDS // limits.GIB
    compute = settings["compute_allocation"] * limits.COMPUTE_FEE_PER_PERCENT_SECOND * DAY_SECONDS
    return storage + compute


def freezing_limit(canister):
    """Cycles the canister must keep to stay unfrozen for ``freezing_threshold`` seconds."""
    return idle_cycles_burned_per_day(canister) * canister.settings["freezing_threshold"] \
        // DAY_SECONDS


def settle_idle_burn(canister, now_ns):
    """Charge the idle burn accumulated since the last settlement (mutates ``canister``)."""
    if canister.burn_checked_ns and now_ns > canister.burn_checked_ns:
        elapsed = now_ns - canister.burn_checked_ns
        burned = idle_cycles_burned_per_day(canister) * elapsed // (DAY_SECONDS * 10 ** 9)
        canister.cycles = max(0, canister.cycles - burned)
    canister.burn_checked_ns = now_ns


def balance_at(canister, now_ns):
    """The balance ``settle_idle_burn`` would leave at ``now_ns``, without changing anything."""
    if not canister.burn_checked_ns or now_ns <= canister.burn_checked_ns:
        return canister.cycles
    elapsed = now_ns - canister.burn_checked_ns
    burned = idle_cycles_burned_per_day(canister) * elapsed // (DAY_SECONDS * 10 ** 9)
    return max(0, canister.cycles - burned)


def check_not_frozen(canister, now_ns, cost=0):
    """Reject with IC0207 when paying ``cost`` would leave the balance under the limit."""
    balance = balance_at(canister, now_ns)
    threshold = freezing_limit(canister)
    if balance < threshold + cost:
        raise reject("IC0207", f"Canister {canister.id} is out of cycles: please top up the "
                               f"canister with at least {threshold + cost - balance} "
                               "additional cycles")


# The root subnet keeps the key every store has had (the whole network's figure before
# subnets were counted apart); subnet k counts under its own.
_CONSUMED = "consumed_cycles"


def _consumed_key(subnet_index):
    return _CONSUMED if subnet_index == 0 else f"{_CONSUMED}.{subnet_index}"


def add_consumed(tx, subnet_index, amount):
    """Count ``amount`` cycles as consumed on subnet ``subnet_index`` (fees, execution)."""
    if amount:
        key = _consumed_key(subnet_index)
        tx.set_meta(key, tx.get_meta(key, 0) + amount)


def consumed(view, subnet_index):
    """Cycles consumed on the subnet by its current and deleted canisters."""
    return view.get_meta(_consumed_key(subnet_index), 0)
