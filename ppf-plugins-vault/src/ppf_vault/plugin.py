"""The ``vault`` hook plugin: offers the Vault resolver to every run.

It loads by itself once installed (``autoload``): it is inert until the pipeline holds a
``secret://vault/...`` reference, and only then connects to Vault.  References in its own settings
(the AppRole role id and secret id) are resolved before it is built.  ``hooks { vault { ... } }``
holds its settings; ``PPF_DISABLE_PLUGINS=vault`` or ``hooks { enable_vault = false }`` switches
it off.
"""

from __future__ import annotations

from pyspark_pipeline_framework.core import Hook

from .resolver import VaultSecretResolver, VaultSettings


class VaultPlugin(Hook[VaultSettings]):
    """Provides the ``secret://vault/`` scheme through the ``ppf_secret_resolvers`` hook.

    Its settings, ``hooks { vault { ... } }``, are :class:`~.resolver.VaultSettings`, checked by
    ``ppf validate`` like a step's config.
    """

    name = "vault"
    autoload = True

    def ppf_secret_resolvers(self) -> list[VaultSecretResolver]:
        return [VaultSecretResolver(self.settings)]
