"""HashiCorp Vault and OpenBao secrets for ppf: ``secret://vault/<mount>/data/<path>#<key>`` references."""

from pyspark_pipeline_framework.core import lazy_exports

_EXPORTS = {  # public name -> submodule, imported on first use
    "VaultPlugin": "plugin",
    "VaultSecretResolver": "resolver",
    "VaultSettings": "resolver",
    "AppRoleSettings": "resolver",
}

__all__ = [*_EXPORTS, "__version__"]
__getattr__ = lazy_exports(__name__, "ppf-plugins-vault", _EXPORTS)
