"""HashiCorp Vault secrets for ppf: ``secret://vault/<mount>/data/<path>#<key>`` in a step's config."""

from pyspark_pipeline_framework.core import lazy_exports

_EXPORTS = {  # public name -> submodule, imported on first use
    "VaultPlugin": "plugin",
    "VaultSecretResolver": "resolver",
    "VaultSettings": "resolver",
}

__all__ = [*_EXPORTS, "__version__"]
__getattr__ = lazy_exports(__name__, "ppf-plugins-vault", _EXPORTS)
