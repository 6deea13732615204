"""Import the collection's module_utils as Ansible does: through an ``ansible_collections`` tree."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                "integration"))
from module_runner import collection_tree  # noqa: E402  pylint: disable=wrong-import-position

_BASE = collection_tree(tempfile.mkdtemp(prefix="icp-collections-"))
if _BASE not in sys.path:
    sys.path.insert(0, _BASE)
