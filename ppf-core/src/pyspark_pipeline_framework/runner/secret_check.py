"""``ppf validate --check-secrets``: resolve every secret reference of a file without running it.

References are looked for wherever they are allowed: step configs, ``spark.conf``, hook settings
and dead-letter sink configs.  Each is resolved with the resolvers the run would have (the
plugins are loaded, their own settings' references resolved first); the values are dropped at
once and never printed, only each reference's config path and whether it resolved.
"""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from pyspark_pipeline_framework.core.masking import secret_masker
from pyspark_pipeline_framework.core.pipeline import ResolvedPipeline
from pyspark_pipeline_framework.core.plugins import load_hook_plugins
from pyspark_pipeline_framework.core.secrets import SecretError, references_in


@attrs.frozen
class ReferenceCheck:
    """One reference of the file: where it is and whether it resolved (never its value)."""

    path: str
    reference: str
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def pipeline_references(pipeline: ResolvedPipeline) -> Iterator[tuple[str, str]]:
    """``(config path, reference)`` for every reference of the pipeline, in file order."""
    spec = pipeline.spec
    yield from references_in(spec.spark.conf, "pipeline.spark.conf")
    for index, step in enumerate(spec.steps):
        yield from references_in(step.config, f"pipeline.steps[{index}].config")
        if step.dead_letter is not None:
            yield from references_in(step.dead_letter.config, f"pipeline.steps[{index}].dead_letter.config")
    if spec.dead_letter is not None:
        yield from references_in(spec.dead_letter.config, "pipeline.dead_letter.config")
    for name, settings in spec.hooks.settings.items():
        yield from references_in(settings, f"pipeline.hooks.{name}")


def check_references(pipeline: ResolvedPipeline) -> list[ReferenceCheck]:
    """Resolve each reference once; report, per reference, success or the (masked) failure."""
    found = list(pipeline_references(pipeline))
    if not found:
        return []
    try:
        loaded = load_hook_plugins(pipeline.spec.hooks, settings=pipeline.hook_settings)
    except SecretError as exc:  # a hook setting's reference: the plugin that needs it cannot be built
        message = secret_masker().mask_error(exc)
        failed_path = str(exc).split(":", 1)[0]
        return [
            ReferenceCheck(
                path, reference, message if path == failed_path else "not checked: the hook plugins could not be loaded"
            )
            for path, reference in found
        ]
    checks = []
    try:
        for path, reference in found:
            try:
                loaded.secrets.resolve(reference)
            except SecretError as exc:
                checks.append(ReferenceCheck(path, reference, secret_masker().mask_error(exc)))
            else:
                checks.append(ReferenceCheck(path, reference))
    finally:
        loaded.secrets.close()
    return checks
