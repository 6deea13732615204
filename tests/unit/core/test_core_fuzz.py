"""Parsers fed arbitrary bytes fail only with the project's own one-line errors."""
import base64
import gzip

from hypothesis import given, settings, strategies as st

from _ic import cbor, wasm
from _ic.certificate import Certificate
from _ic.errors import CertificateError, InputError
from _ic.identity import load_identity


def _mutations(seed):
    return st.builds(lambda pos, byte, cut: _mutate(seed, pos, byte, cut),
                     st.integers(0, len(seed) - 1), st.integers(0, 255),
                     st.integers(1, len(seed)))


def _mutate(data, pos, byte, cut):
    out = bytearray(data[:cut])
    if pos < len(out):
        out[pos] = byte
    return bytes(out)


@settings(max_examples=300)
@given(st.binary(max_size=64))
def test_cbor_loads_random_bytes(data):
    try:
        cbor.loads(data)
    except InputError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("cbor: ")


CERT_SEED = cbor.dumps({"tree": [1, [2, b"time", [3, b"\x01"]], [4, b"\x00" * 32]],
                        "signature": b"\x00" * 48})


@settings(max_examples=300)
@given(_mutations(CERT_SEED))
def test_certificate_decode_mutations(data):
    try:
        Certificate.decode(data)
    except CertificateError as exc:
        assert "\n" not in str(exc)


WASM_SEED = b"\x00asm\x01\x00\x00\x00\x00\x08\x04name\x01\x02\x03" + b"\x01\x04\x01\x60\x00\x00"


@settings(max_examples=300)
@given(st.one_of(_mutations(WASM_SEED), _mutations(gzip.compress(WASM_SEED))))
def test_wasm_load_mutations(data):
    try:
        wasm.load(data)
    except InputError as exc:
        assert str(exc).startswith("wasm: ")


ED25519_DER = bytes.fromhex("302e020100300506032b657004220420" + "11" * 32)
SEC1_DER = base64.b64decode(
    "MHQCAQEEIGfKHuyoCCCbEXb0789MIdWiCIpZo1LaKApv95SSIaWPoAcGBSuBBAAKoUQDQgAEahC99Avid7r8D6kI"
    "eLjjxJ8kwdJRy5nPrN9o18P7xHT95i0JPr5ivc9vCB8vG2s97NB0re2MhqvdWgradJZ8Ow==")


@settings(max_examples=300)
@given(st.one_of(st.tuples(st.just("PRIVATE KEY"), _mutations(ED25519_DER)),
                 st.tuples(st.just("EC PRIVATE KEY"), _mutations(SEC1_DER))))
def test_identity_der_mutations(case):
    label, der = case
    pem = f"-----BEGIN {label}-----\n{base64.b64encode(der).decode()}\n-----END {label}-----\n"
    try:
        load_identity(pem)
    except InputError as exc:
        assert str(exc).startswith("identity: ")
