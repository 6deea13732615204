"""The filter plugins, as Python functions and once through Ansible's own templating."""
import importlib
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
ED25519_PRINCIPAL = "k4ua2-oqs6w-fn4zi-reodn-bqy52-d62q3-e4bbb-v4xcg-igrmj-yk3nz-wae"
SECP_PRINCIPAL = "42gbo-uiwfn-oq452-ql6yp-4jsqn-a6bxk-n7l4z-ni7os-yptq6-3htob-vqe"
DID = """type Init = record { owner : principal; limit : nat16; tags : vec text };
service : (Init) -> { get : () -> (Init) query; put : (nat8, opt text) -> () }
"""


@pytest.fixture(scope="module")
def collections_path(tmp_path_factory):
    base = tmp_path_factory.mktemp("collections")
    ns = base / "ansible_collections" / "icp"
    ns.mkdir(parents=True)
    (ns / "canister_factory").symlink_to(ROOT)
    sys.path.insert(0, str(base))
    yield str(base)
    sys.path.remove(str(base))


@pytest.fixture(scope="module")
def filters(collections_path):
    from ansible.errors import AnsibleFilterError
    found = {}
    for name in ("candid_encode", "candid_decode", "principal_from_pem"):
        module = importlib.import_module(
            f"ansible_collections.icp.canister_factory.plugins.filter.{name}")
        found.update(module.FilterModule().filters())
    found["error"] = AnsibleFilterError
    return found


@pytest.fixture
def did_file(tmp_path):
    path = tmp_path / "t.did"
    path.write_text(DID)
    return str(path)


def test_untyped_text_uses_default_types(filters):
    assert filters["candid_encode"]("(42 : nat)") == "4449444c00017d2a"
    assert filters["candid_encode"]("(42)") == "4449444c00017c2a"
    assert filters["candid_decode"]("4449444c00017d2a") == "(42 : nat)"


def test_typed_text_and_yaml_data_encode_the_same(filters, did_file):
    text = '(record { owner = principal "2vxsx-fae"; limit = 7; tags = vec { "a" } })'
    data = {"owner": "2vxsx-fae", "limit": 7, "tags": ["a"]}
    by_text = filters["candid_encode"](text, did=did_file, type="Init")
    assert by_text == filters["candid_encode"](data, did=DID, type="Init")
    decoded = filters["candid_decode"](by_text, did=did_file, type="Init", output="json")
    assert decoded == [data]
    assert "limit = 7 : nat16" in filters["candid_decode"](by_text, did=did_file, type="Init")


def test_method_types_arguments_and_results(filters):
    hexed = filters["candid_encode"]([3, None], did=DID, method="put")
    assert filters["candid_decode"](hexed, type="(nat8, opt text)") == "(3 : nat8, null)"
    reply = filters["candid_encode"]({"owner": "aaaaa-aa", "limit": 1, "tags": []},
                                     did=DID, type="Init")
    assert filters["candid_decode"]("0x" + reply, did=DID, method="get",
                                    output="json")[0]["owner"] == "aaaaa-aa"


def test_type_expression_without_did(filters):
    hexed = filters["candid_encode"]({"a": 1}, type="record { a : nat }")
    assert filters["candid_decode"](hexed, type="record { a : nat }") == \
        "(record { a = 1 : nat })"


@pytest.mark.parametrize("call,match", [
    (lambda f: f["candid_encode"]({"owner": "not a principal", "limit": 1, "tags": []},
                                  did=DID, type="Init"), "owner"),
    (lambda f: f["candid_encode"]({"limit": 1}, type="record { a : nat }"), "limit"),
    (lambda f: f["candid_encode"]({"a": 1}), "needs a type"),
    (lambda f: f["candid_encode"]("(1)", did=DID, method="nope"), "nope"),
    (lambda f: f["candid_encode"]("(1)", did="/no/such.did", type="Init"), "did"),
    (lambda f: f["candid_decode"]("zz"), "hex"),
    (lambda f: f["candid_decode"]("4449444c00017d2a", output="yaml"), "output"),
    (lambda f: f["principal_from_pem"]("-----BEGIN NOTHING-----\n-----END NOTHING-----"),
     "identity"),
])
def test_errors_are_filter_errors_that_name_the_problem(filters, call, match):
    with pytest.raises(filters["error"], match=match):
        call(filters)


def test_principal_from_pem_text_and_path(filters):
    path = os.path.join(FIXTURES, "ed25519_openssl_v1.pem")
    with open(path) as handle:
        assert filters["principal_from_pem"](handle.read()) == ED25519_PRINCIPAL
    assert filters["principal_from_pem"](path) == ED25519_PRINCIPAL
    encrypted = os.path.join(FIXTURES, "secp256k1_pkcs8_icpcli_pbes2.pem")
    assert filters["principal_from_pem"](encrypted, password="hunter2") == SECP_PRINCIPAL


def test_filters_run_under_ansible_templating(collections_path, did_file):
    pem = os.path.join(FIXTURES, "ed25519_openssl_v1.pem")
    expr = ("{{ {'p': (pem | icp.canister_factory.principal_from_pem), "
            "'h': ({'owner': 'aaaaa-aa', 'limit': 2, 'tags': ['x']} | "
            "icp.canister_factory.candid_encode(did=did, type='Init'))} | to_json }}")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path, ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="0",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    out = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible"), "localhost", "-m",
         "ansible.builtin.debug", "-a", f"msg={expr}", "-e", f"pem={pem} did={did_file}"],
        env=env, capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.startswith("localhost | SUCCESS =>"), out.stdout + out.stderr
    result = json.loads(json.loads(out.stdout.split("=>", 1)[1])["msg"])
    assert result["p"] == ED25519_PRINCIPAL
    assert result["h"].startswith("4449444c")
