"""The ``age`` and ``sops`` hook plugins: autoloaded, idle until the pipeline holds their scheme."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyspark_pipeline_framework.core.hook import Hook
from pyspark_pipeline_framework.encryption.age import AgeSecretResolver, AgeSettings
from pyspark_pipeline_framework.encryption.sops import SopsSecretResolver, SopsSettings


class AgePlugin(Hook):
    """Provides ``secret://age/<base64 ciphertext>``; settings in ``hooks { age { ... } }``."""

    name = "age"
    autoload = True

    def __init__(self, settings: Mapping[str, Any] | None = None):
        super().__init__(dict(settings or {}))
        self.age_settings = AgeSettings.from_mapping(self.settings)

    def ppf_secret_resolvers(self) -> list[AgeSecretResolver]:
        return [AgeSecretResolver(self.age_settings)]


class SopsPlugin(Hook):
    """Provides ``secret://sops/<file>#<key.path>``; settings in ``hooks { sops { ... } }``."""

    name = "sops"
    autoload = True

    def __init__(self, settings: Mapping[str, Any] | None = None):
        super().__init__(dict(settings or {}))
        self.sops_settings = SopsSettings.from_mapping(self.settings)

    def ppf_secret_resolvers(self) -> list[SopsSecretResolver]:
        return [SopsSecretResolver(self.sops_settings)]
