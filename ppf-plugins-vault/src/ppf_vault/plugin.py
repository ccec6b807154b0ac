"""The ``vault`` hook plugin: offers the Vault resolver to every run.

It loads by itself once installed (``autoload``): it is inert until the pipeline holds a
``secret://vault/...`` reference, and only then connects to Vault.  References in its own settings
(the AppRole role id and secret id) are resolved before it is built.  ``hooks { vault { ... } }``
holds its settings; ``PPF_DISABLE_PLUGINS=vault`` or ``hooks { enable_vault = false }`` switches
it off.
"""

from __future__ import annotations

from typing import Any

from pyspark_pipeline_framework.core import Hook

from .resolver import VaultSecretResolver, VaultSettings


class VaultPlugin(Hook):
    """Provides the ``secret://vault/`` scheme through the ``ppf_secret_resolvers`` hook."""

    name = "vault"
    autoload = True

    def __init__(self, settings: dict[str, Any] | None = None):
        super().__init__(settings)
        # Checked here so that a typo in hooks.vault fails the run before any step starts.
        self.vault_settings = VaultSettings.from_mapping(self.settings)

    def ppf_secret_resolvers(self) -> list[VaultSecretResolver]:
        return [VaultSecretResolver(self.vault_settings)]
