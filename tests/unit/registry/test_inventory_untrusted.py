"""Text in the registry (and the live cache) reaches a play as text: a host variable that looks
like a template is never rendered, in a plain value or deep in the events."""
import json
import os
import subprocess
import sys

import yaml

from _registry import Registry

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                "integration"))
from module_runner import collection_tree  # noqa: E402  pylint: disable=wrong-import-position

TEMPLATE = "{{ 6 * 7 }}"
PLAY = [{"hosts": "canisters", "gather_facts": False, "tasks": [
    {"ansible.builtin.copy": {"dest": "{{ out }}", "mode": "0644",
                              "content": "{{ {'owner': owner, 'event': events[0].note} | to_json }}"}}]}]


def test_registry_text_is_never_a_template(tmp_path):
    with Registry(str(tmp_path / "registry.yml")).transaction() as data:
        data.put("evil", {"template": "user", "status": "active", "owner": TEMPLATE,
                          "events": [{"action": "install", "result": "ok", "note": TEMPLATE}]})
    (tmp_path / "r.icp_registry.yml").write_text(yaml.safe_dump(
        {"plugin": "icp.canister_factory.registry", "registries": ["registry.yml"], "group_by": ["owner"]}))
    (tmp_path / "play.yml").write_text(yaml.safe_dump(PLAY))
    out = tmp_path / "out.json"
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collection_tree(str(tmp_path / "collections")),
               ANSIBLE_INVENTORY_UNPARSED_FAILED="1")
    env.pop("ICP_REGISTRY", None)
    run = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i",
                          str(tmp_path / "r.icp_registry.yml"), "-e", f"out={out}", "-e", f"ansible_python_interpreter={sys.executable}",
                          str(tmp_path / "play.yml")],
                         env=env, capture_output=True, text=True, check=False, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert json.loads(out.read_text()) == {"owner": TEMPLATE, "event": TEMPLATE}
