"""Install hints for first-party plugins that are not installed.

Only used to word an error message ("pip install ppf-plugins-delta"); components and hook plugins
are always found through entry points, never through this table.
"""

from __future__ import annotations

_COMPONENTS = {
    "DeltaSource": "ppf-plugins-delta",
    "DeltaSink": "ppf-plugins-delta",
    "S3Source": "ppf-plugins-aws",
    "S3Sink": "ppf-plugins-aws",
}
_HOOK_PLUGINS = {
    "metrics": "ppf-plugins-metrics",
    "lineage": "ppf-plugins-metrics",
}


def distribution_for_component(name: str) -> str | None:
    return _COMPONENTS.get(name)


def distribution_for_plugin(name: str) -> str | None:
    return _HOOK_PLUGINS.get(name)
