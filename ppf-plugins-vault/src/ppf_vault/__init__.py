"""HashiCorp Vault secrets for ppf: ``secret://vault/<mount>/data/<path>#<key>`` in a step's config."""

from importlib.metadata import PackageNotFoundError, version

from .plugin import VaultPlugin
from .resolver import VaultSecretResolver, VaultSettings

try:
    __version__ = version("ppf-plugins-vault")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["VaultPlugin", "VaultSecretResolver", "VaultSettings", "__version__"]
