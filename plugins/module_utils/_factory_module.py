# -*- coding: utf-8 -*-
# Copyright: icp.canister_factory contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Base of the ``ic_factory_*`` modules: the options that name a factory, and its client."""

from __future__ import annotations

from ansible_collections.icp.canister_factory.plugins.module_utils._ic_module import ICModule
from ansible_collections.icp.canister_factory.plugins.module_utils._factory_client import (
    FACTORY_HOST, FactoryClient, resolve_factory_id)


def factory_argument_spec():
    """Options every factory module takes (documented in each module)."""
    return {
        "factory": {"type": "str", "default": FACTORY_HOST},
        "registry": {"type": "path"},
        "factory_did": {"type": "path"},
    }


class FactoryModule(ICModule):
    """An ICModule that talks to one factory canister (``self.factory``)."""

    _factory = None

    @property
    def factory(self):
        """The FactoryClient of the factory the options name (built on first use)."""
        if self._factory is None:
            registry = self.registry()
            canister_id = resolve_factory_id(self.params["factory"], registry.read if registry else None)
            did_text = None
            if self.params.get("factory_did"):
                with open(self.params["factory_did"], "r", encoding="utf-8") as handle:
                    did_text = handle.read()
            self._factory = FactoryClient(self.agent, canister_id, did_text)
        return self._factory

    @property
    def factory_id(self):
        """The factory's canister id text."""
        return self.factory.canister_id.to_text()
