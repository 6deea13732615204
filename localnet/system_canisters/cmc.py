"""The cycles minting canister (CMC), as far as clients of a local network use it."""
import hashlib

from _ic import candid
from _ic.errors import Reject
from _ic.principal import Principal

from ..errors import reject
from ..management import lifecycle
from ..management.context import Call

MODULE_HASH = hashlib.sha256(b"localnet cycles minting canister").digest()
# cycles per ICP = xdr_permyriad_per_icp * 10^8 (1 XDR = 10^12 cycles): 3.5 T cycles per ICP
XDR_PERMYRIAD_PER_ICP = 35_000
CMC_ID = Principal.from_text("rkp4c-7iaaa-aaaaa-aaaca-cai")
# dfinity/ic rs/nns/cmc/src/main.rs CREATE_CANISTER_MIN_CYCLES and rs/nns/cmc/src/lib.rs
# BAD_REQUEST_CYCLES_PENALTY.
CREATE_CANISTER_MIN_CYCLES = 100_000_000_000
BAD_REQUEST_CYCLES_PENALTY = 100_000_000

DID_TEXT = r"""
type IcpXdrConversionRate = record { timestamp_seconds : nat64; xdr_permyriad_per_icp : nat64 };
type IcpXdrConversionRateResponse = record {
  data : IcpXdrConversionRate; hash_tree : blob; certificate : blob };
type SubnetTypesToSubnetsResponse = record { data : vec record { text; vec principal } };
service : {
  get_default_subnets : () -> (vec principal) query;
  get_icp_xdr_conversion_rate : () -> (IcpXdrConversionRateResponse) query;
  get_subnet_types_to_subnets : () -> (SubnetTypesToSubnetsResponse) query;
  get_build_metadata : () -> (text) query;
}
"""
DID = candid.parse_did(DID_TEXT)


def metadata():
    """Public metadata sections of the canister."""
    return {"candid:service": {"public": True, "data": DID_TEXT.strip().encode()}}


def run(handler, node, tx, message):
    """Decode, handle, encode; returns (reply bytes, refund)."""
    try:
        args = candid.decode(message.arg, DID.arg_types(message.method))
    except (ValueError, RecursionError):
        raise reject("IC0503", f"Error from Canister {message.canister_id}: Canister called "
                               "`ic0.trap` with message: failed to decode the call argument")
    result = handler(node, tx, message, *args)
    return candid.encode(DID.ret_types(message.method), [result]), message.cycles


def get_default_subnets(node, tx, message):
    """Every subnet of this network (all take canisters of any user)."""
    return [s.subnet_id for s in node.topology.subnets]


def get_icp_xdr_conversion_rate(node, tx, message):
    """A fixed rate (uncertified: the hash tree and certificate are empty)."""
    now = node.clock.canister_time_ns() // 10 ** 9
    return {"data": {"timestamp_seconds": now - now % 60,
                     "xdr_permyriad_per_icp": XDR_PERMYRIAD_PER_ICP},
            "hash_tree": b"", "certificate": b""}


def get_subnet_types_to_subnets(node, tx, message):
    """The subnets by type: none with one subnet, else all of them as ``application``."""
    if len(node.topology) == 1:
        return {"data": []}
    return {"data": [("application", [s.subnet_id for s in node.topology.subnets])]}


def creation_subnets(node, caller, selection, seed):
    """The subnets the CMC tries, in order, for ``caller``'s ``create_canister`` with ``subnet_selection``
    (None, ``{"Subnet": {"subnet"}}`` or ``{"Filter": {"subnet_type"}}``); ValueError with the
    CMC's text when none may take it.

    As DFINITY's CMC (dfinity/ic rs/nns/cmc/src/main.rs, ``do_create_canister`` and
    ``get_subnets_for``): a named subnet must be known; a filter by type takes that type's
    subnets; otherwise the default subnets, in a random permutation "to load balance canister
    creations among them". The real CMC seeds it with ``raw_rand``; localnet seeds it with
    ``seed`` (bytes: the ledger passes the burn block's index), so the same history creates on
    the same subnets and tests stay deterministic."""
    selection = selection or {}
    if "Subnet" in selection:
        wanted = selection["Subnet"]["subnet"]
        subnet = node.topology.get(wanted)
        if subnet is None:
            raise ValueError(f"Subnet {wanted} does not exist or {caller} is not authorized to deploy "
                             "to that subnet.")
        return [subnet]
    subnet_type = (selection.get("Filter") or {}).get("subnet_type")
    if subnet_type is not None:
        by_type = dict(get_subnet_types_to_subnets(node, None, None)["data"])
        if subnet_type not in by_type:
            raise ValueError(f"Provided subnet type {subnet_type} does not exist")
        subnets = [node.topology.get(s) for s in by_type[subnet_type]]
    else:
        subnets = list(node.topology.subnets)
    # By position, not id: subnet ids differ between networks, the permutation should not.
    position = {s.subnet_id: i for i, s in enumerate(node.topology.subnets)}
    return sorted(subnets, key=lambda s: hashlib.sha256(seed + bytes([position[s.subnet_id]])).digest())


class Refunded(Exception):
    """The CMC's ``CreateCanisterError::Refunded``: no canister; ``refund_amount`` cycles go
    back to the caller, ``error`` says why."""

    def __init__(self, refund_amount, error):
        super().__init__(error)
        self.refund_amount = refund_amount
        self.error = error


def create_canister(node, tx, caller, controller, amount, creation, seed):
    """The CMC's ``create_canister`` for canister ``caller`` (the cycles ledger) with ``amount``
    cycles attached and ``creation`` (``settings``, ``subnet_selection``): the new canister's
    id, or ``Refunded``.

    As DFINITY's CMC (dfinity/ic rs/nns/cmc/src/main.rs ``create_canister`` and
    ``do_create_canister``): fewer than 100 G cycles are refunded whole ('Insufficient cycles
    attached.'); otherwise the subnets of ``creation_subnets`` are tried in turn, each
    rejected creation ('Creating canister in subnet <id> failed with code <reject code>:
    <message>') moving on to the next, and when no subnet is allowed or every one refused,
    the CMC keeps BAD_REQUEST_CYCLES_PENALTY and refunds the rest with the last error."""
    if amount < CREATE_CANISTER_MIN_CYCLES:
        raise Refunded(amount, "Insufficient cycles attached.")
    try:
        subnets = creation_subnets(node, caller, creation.get("subnet_selection"), seed)
    except ValueError as err:
        raise Refunded(amount - BAD_REQUEST_CYCLES_PENALTY, str(err)) from None
    settings = dict(creation.get("settings") or {})
    if settings.get("controllers") is None:
        settings["controllers"] = [controller]
    last_error = None
    for subnet in subnets:
        inner = tx.nested()
        call = Call(node, inner, CMC_ID, "create_canister", node.clock.canister_time_ns(),
                    ingress=False, cycles=amount, subnet=subnet)
        node.metrics.executed(subnet.index)   # the CMC's create_canister message to that subnet
        try:
            created = lifecycle.create_canister(call, {"settings": settings})
        except Reject as err:
            last_error = (f"Creating canister in subnet {subnet.subnet_id} failed with code "
                          f"{err.reject_code}: {err.reject_message}")
            continue
        inner.commit()
        return created["canister_id"]
    raise Refunded(amount - BAD_REQUEST_CYCLES_PENALTY, last_error or "No subnets in which to create a canister.")


def get_build_metadata(node, tx, message):
    """What this CMC is."""
    return "localnet cycles minting canister"


QUERIES = {"get_default_subnets": get_default_subnets,
           "get_icp_xdr_conversion_rate": get_icp_xdr_conversion_rate,
           "get_subnet_types_to_subnets": get_subnet_types_to_subnets,
           "get_build_metadata": get_build_metadata}
UPDATES = {}
