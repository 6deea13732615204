"""Delegation rules of our client checked on certificates a two-subnet localnet makes: the
effective canister id must lie in the delegated ranges (flat and sharded), the delegation's
own certificate may be at most 30 days old, a pruned path is an error, never a default."""
import pytest

from _ic import cbor
from _ic.certificate import Certificate, verify_certificate
from _ic.errors import CertificateError
from _ic.principal import Principal
from localnet.node import Node
from localnet.treebuild import prune

DAY_NS = 24 * 3600 * 10 ** 9
FORMATS = ("flat", "sharded")


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    n = Node(str(tmp_path_factory.mktemp("two-subnets")), subnets=2)
    yield n
    n.close()


def _inside(subnet):
    lo = Principal(subnet.ranges[0][0]).canister_index()
    return Principal.from_canister_index(lo + 0xC0000)


def _cert(node, fmt, subnet_index=1):
    subnet = node.topology.subnets[subnet_index]
    cid = _inside(subnet)
    data = node.certifier_of(subnet).certificate(
        {b"canister": {cid.raw: {b"module_hash": bytes(32)}}}, fmt=fmt)
    return cbor.loads(data), cid


def _with_parent(cert, parent_tree=None, parent_delegation=None):
    parent = cbor.loads(cert["delegation"]["certificate"])
    if parent_tree is not None:
        parent["tree"] = parent_tree
    if parent_delegation is not None:
        parent["delegation"] = parent_delegation
    return dict(cert, delegation=dict(cert["delegation"], certificate=cbor.dumps(parent)))


def _parent(cert):
    return Certificate.decode(cert["delegation"]["certificate"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_both_range_formats_verify_against_the_root_key_alone(node, fmt):
    cert, cid = _cert(node, fmt)
    verified = verify_certificate(cert, node.keys.root_key_der, effective_canister_id=cid,
                                  max_age_ns=60 * 10 ** 9)
    assert verified.subnet_id == node.topology.subnets[1].subnet_id
    assert verified.lookup(["canister", cid.raw, "module_hash"]) == bytes(32)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_canister_outside_the_delegated_ranges_is_refused(node, fmt):
    cert, _cid = _cert(node, fmt)
    root_canister = Principal.from_text("um5iw-rqaaa-aaaaq-qaaba-cai")
    with pytest.raises(CertificateError, match="not in the delegated subnet's canister ranges"):
        verify_certificate(cert, node.keys.root_key_der, effective_canister_id=root_canister)


def test_the_root_subnet_signs_without_delegation(node):
    cert, cid = _cert(node, "sharded", subnet_index=0)
    assert "delegation" not in cert
    verify_certificate(cert, node.keys.root_key_der, effective_canister_id=cid)


def test_a_delegation_older_than_30_days_is_refused(node):
    cert, cid = _cert(node, "sharded")
    issued = _parent(cert).time_ns
    lenient = 40 * DAY_NS   # the outer certificate's own age limit out of the way
    verify_certificate(cert, node.keys.root_key_der, effective_canister_id=cid,
                       max_age_ns=lenient, now_ns=issued + 29 * DAY_NS)
    with pytest.raises(CertificateError, match="delegation certificate is stale"):
        verify_certificate(cert, node.keys.root_key_der, effective_canister_id=cid,
                           max_age_ns=lenient, now_ns=issued + 31 * DAY_NS)


@pytest.mark.parametrize("fmt, kept, error", [
    ("flat", "public_key", "no canister ranges"),       # ranges pruned: not a pass
    ("sharded", "public_key", "no canister ranges"),
    ("flat", "canister_ranges", "unknown")])            # key pruned: unknown, not absent
def test_pruned_delegation_paths_are_errors(node, fmt, kept, error):
    cert, cid = _cert(node, fmt)
    sid = node.topology.subnets[1].subnet_id.raw
    hidden = prune(_parent(cert).tree, [["time"], ["subnet", sid, kept]])
    with pytest.raises(CertificateError, match=error):
        verify_certificate(_with_parent(cert, hidden), node.keys.root_key_der,
                           effective_canister_id=cid)


def test_delegation_for_another_subnet_or_nested_is_refused(node):
    cert, cid = _cert(node, "sharded")
    with pytest.raises(CertificateError, match="another subnet"):
        verify_certificate(cert, node.keys.root_key_der,
                           effective_subnet_id=node.topology.root.subnet_id)
    nested = _with_parent(cert, parent_delegation=cert["delegation"])
    with pytest.raises(CertificateError, match="must not carry its own delegation"):
        verify_certificate(nested, node.keys.root_key_der, effective_canister_id=cid)


def test_a_subnet_key_cannot_stand_in_for_the_root_key(node):
    cert, cid = _cert(node, "flat")
    with pytest.raises(CertificateError, match="does not verify"):
        verify_certificate(cert, node.topology.subnets[1].public_key_der,
                           effective_canister_id=cid)
