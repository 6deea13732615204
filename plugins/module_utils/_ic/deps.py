"""The third-party packages the client needs, imported on first use.

Importing the client must work where they are absent (ansible-test's import sanity test, a
controller that lacks one of them) and must stay cheap, so no module of ``ic/`` imports them
at load time; the first operation that needs one imports it here and, when it is missing,
fails with an error that says what to install.
"""
import importlib

from .errors import ICError

CRYPTOGRAPHY = "cryptography"
BLS = "py-arkworks-bls12381"


class MissingPackage(ICError, ImportError):
    """A Python package the client needs is not installed; ``.package`` is its PyPI name."""

    def __init__(self, package):
        self.package = package
        super().__init__(f"the icp.canister_factory collection needs the Python package {package} "
                         "on the controller: pip install -r requirements.txt")


def load(module, package):
    """Import ``module`` (shipped by the PyPI package ``package``) or raise MissingPackage."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingPackage(package) from exc


def optional(module):
    """Import ``module`` when it is installed, else None: for packages the client can do without
    (PyNaCl, a faster Ed25519 check than cryptography's). Asked again each time it is missing."""
    try:
        return importlib.import_module(module)
    except ImportError:
        return None
