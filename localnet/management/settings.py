"""Validating and applying ``canister_settings`` (create and update_settings)."""
import hashlib

from .. import cycles, limits
from ..errors import reject

_VISIBILITIES = ("log_visibility", "snapshot_visibility", "status_visibility")
# Compute capacity a subnet hands out, in percent (the replica keeps 1 % of its 50 % free).
_ALLOCATABLE_COMPUTE = 49


def _invalid(message):
    return reject("IC0504", f"Could not validate the settings: Invalid settings: {message}")


def validate(settings):
    """Check every given field against the replica's limits; raises Reject."""
    if settings is None:
        return
    controllers = settings.get("controllers")
    if controllers is not None and len(controllers) > limits.MAX_CONTROLLERS:
        raise _invalid(f"'controllers' length exceeds maximum size allowed of "
                       f"{limits.MAX_CONTROLLERS}.")
    bounds = {
        "compute_allocation": limits.MAX_COMPUTE_ALLOCATION,
        "memory_allocation": limits.MAX_U64,
        "freezing_threshold": limits.MAX_U64,
        "reserved_cycles_limit": limits.MAX_U128,
        "minimum_incoming_canister_call_cycles": limits.MAX_U128,
        "wasm_memory_limit": limits.MAX_WASM_MEMORY_LIMIT,
        "wasm_memory_threshold": limits.MAX_WASM_MEMORY_LIMIT,
        "log_memory_limit": limits.MAX_LOG_MEMORY_LIMIT,
    }
    for name, maximum in bounds.items():
        value = settings.get(name)
        if value is not None and value > maximum:
            raise _invalid(f"'{name}' must be at most {maximum}, got {value}.")
    for name in _VISIBILITIES:
        value = settings.get(name)
        if value and "allowed_viewers" in value and \
                len(value["allowed_viewers"]) > limits.MAX_ALLOWED_VIEWERS:
            raise _invalid(f"'{name}' allowed viewers length exceeds maximum size allowed of "
                           f"{limits.MAX_ALLOWED_VIEWERS}.")
    _validate_env(settings.get("environment_variables"))


def _validate_env(variables):
    if variables is None:
        return
    if len(variables) > limits.MAX_ENV_VARS:
        raise reject("IC0408", f"Too many environment variables: {len(variables)} "
                               f"(max: {limits.MAX_ENV_VARS})")
    names = set()
    for var in variables:
        name, value = var["name"], var["value"]
        if len(name.encode()) > limits.MAX_ENV_NAME:
            raise reject("IC0408", f'Environment variable name "{name}" exceeds the maximum '
                                   f"allowed length of {limits.MAX_ENV_NAME}.")
        if len(value.encode()) > limits.MAX_ENV_VALUE:
            raise reject("IC0408", f'Environment variable value "{value}" exceeds the maximum '
                                   f"allowed length of {limits.MAX_ENV_VALUE}.")
        if name in names:
            raise reject("IC0408", f'Duplicate environment variables name "{name}".')
        names.add(name)


def env_hash(variables):
    """The hash the replica records for environment variables in canister history."""
    parts = sorted(hashlib.sha256(v["name"].encode()).digest() +
                   hashlib.sha256(v["value"].encode()).digest() for v in variables)
    return hashlib.sha256(b"".join(parts)).digest()


def check_compute_capacity(tx_canisters, canister, requested):
    """IC0101 when the subnet's compute capacity cannot grant ``requested`` percent."""
    used = sum(c.settings["compute_allocation"] for c in tx_canisters
               if c.id != canister.id)
    if used + requested > _ALLOCATABLE_COMPUTE:
        raise reject("IC0101", f"Canister requested a compute allocation of {requested}% "
                               "which cannot be satisfied because the Subnet's remaining compute "
                               f"capacity is {max(0, _ALLOCATABLE_COMPUTE - used)}%.")


def apply(canister, settings, now_ns, others=()):
    """Apply the given fields to ``canister``; returns True if the controllers changed.

    Raising an allocation the balance cannot sustain for the freezing threshold is refused
    (IC0530/IC0531) and leaves the record as it was.
    """
    if not settings:
        return False
    old_compute = canister.settings["compute_allocation"]
    old_memory = canister.settings["memory_allocation"]
    compute = settings.get("compute_allocation")
    if compute is not None and compute > old_compute:
        check_compute_capacity(others, canister, compute)
    changed = False
    for name, value in settings.items():
        if value is None:
            continue
        if name == "controllers":
            changed = list(value) != list(canister.controllers)
            canister.controllers = list(value)
        elif name in canister.settings:
            canister.settings[name] = value
    _check_affordable(canister, now_ns, old_compute, old_memory)
    return changed


def _check_affordable(canister, now_ns, old_compute, old_memory):
    new_compute = canister.settings["compute_allocation"]
    new_memory = canister.settings["memory_allocation"]
    if new_compute <= old_compute and new_memory <= old_memory:
        return
    balance = cycles.balance_at(canister, now_ns)
    needed = cycles.freezing_limit(canister)
    if balance >= needed:
        return
    if new_memory > old_memory:
        raise reject("IC0531", f"Cannot increase memory allocation to {new_memory} bytes due "
                               f"to insufficient cycles. At least {needed - balance} additional "
                               "cycles are required.")
    raise reject("IC0530", f"Cannot increase compute allocation to {new_compute}% due to "
                           f"insufficient cycles. At least {needed - balance} additional cycles "
                           "are required.")
