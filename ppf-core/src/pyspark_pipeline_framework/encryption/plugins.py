"""The ``age`` and ``sops`` hook plugins: autoloaded, idle until the pipeline holds their scheme."""

from __future__ import annotations

from pyspark_pipeline_framework.core.hook import Hook
from pyspark_pipeline_framework.encryption.age import AgeSecretResolver, AgeSettings
from pyspark_pipeline_framework.encryption.sops import SopsSecretResolver, SopsSettings


class AgePlugin(Hook[AgeSettings]):
    """Provides ``secret://age/<base64 ciphertext>``; settings in ``hooks { age { ... } }``."""

    name = "age"
    autoload = True

    def ppf_secret_resolvers(self) -> list[AgeSecretResolver]:
        return [AgeSecretResolver(self.settings)]


class SopsPlugin(Hook[SopsSettings]):
    """Provides ``secret://sops/<file>#<key.path>``; settings in ``hooks { sops { ... } }``."""

    name = "sops"
    autoload = True

    def ppf_secret_resolvers(self) -> list[SopsSecretResolver]:
        return [SopsSecretResolver(self.settings)]
