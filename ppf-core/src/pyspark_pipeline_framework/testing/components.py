"""Components in tests: found without entry points, and built one at a time with a test context.

    from pyspark_pipeline_framework.testing import build_component

    anonymize = build_component(UserAnonymizer, {"columns": ["email"]}, spark=spark)
    out = anonymize.transform(users)

:func:`build_component` checks the config exactly as a pipeline step's ``config { }`` is checked
(the same structuring and ``check()``), so a test sees the errors ``ppf validate`` would report.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, overload

from pyspark_pipeline_framework.core.component import Component
from pyspark_pipeline_framework.core.context import RunInfo
from pyspark_pipeline_framework.core.plugins import PluginManager
from pyspark_pipeline_framework.core.registry import ComponentRegistry
from pyspark_pipeline_framework.core.secrets import Secrets
from pyspark_pipeline_framework.core.spec import PipelineSpec
from pyspark_pipeline_framework.runner.config.preflight import resolve_component
from pyspark_pipeline_framework.runtime.resilience.dead_letter import DeadLetterQueue
from pyspark_pipeline_framework.runtime.run.context import RunContext

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


class InlineRegistry(ComponentRegistry):
    """A registry that knows only the given classes, by type name: test pipelines need no entry points."""

    def __init__(self, components: Mapping[str, type]):
        super().__init__(eps=[])
        self.components = dict(components)

    def resolve(self, type_name: str) -> type:
        if type_name in self.components:
            return self.components[type_name]
        raise self._not_found(type_name)


def component_context(
    spark: SparkSession | None = None, *, pipeline_name: str = "test", run_id: str | None = None
) -> RunContext:
    """A run context as the engine gives a component: ``spark`` (when given), metrics, the logger, secrets.

    Secret references resolve with the built-in ``env`` resolver; ``context.dead_letters`` has no
    dead-letter sink configured.  Without ``spark``, asking for ``context.spark`` raises.
    """
    run = RunInfo(pipeline_name, run_id=run_id) if run_id else RunInfo(pipeline_name)
    context = RunContext(
        run,
        PipelineSpec(name=pipeline_name, steps=[]),
        spark_factory=(lambda: spark) if spark is not None else None,
        secrets=Secrets.from_plugins(PluginManager()),
    )
    context.dead_letters = DeadLetterQueue({}, context)
    return context


ComponentT = TypeVar("ComponentT", bound=Component)


@overload
def build_component(
    component: type[ComponentT],
    config: Mapping[str, Any] | None = ...,
    *,
    spark: SparkSession | None = ...,
    step_name: str | None = ...,
    registry: ComponentRegistry | None = ...,
    context: RunContext | None = ...,
) -> ComponentT: ...


@overload
def build_component(
    component: str,
    config: Mapping[str, Any] | None = ...,
    *,
    spark: SparkSession | None = ...,
    step_name: str | None = ...,
    registry: ComponentRegistry | None = ...,
    context: RunContext | None = ...,
) -> Any: ...


def build_component(
    component: str | type[Component],
    config: Mapping[str, Any] | None = None,
    *,
    spark: SparkSession | None = None,
    step_name: str | None = None,
    registry: ComponentRegistry | None = None,
    context: RunContext | None = None,
) -> Any:
    """One component, built as a run builds a step's: its config checked, secret references resolved.

    ``component`` is a class or a type name as a step's ``type`` gives it (``CsvSource``, or a
    dotted path), found through ``registry`` (by default the installed components).  ``config``
    is the step's ``config { }`` as a dict; problems raise ``ConfigError`` with every issue
    (paths under ``config``).  The component gets ``context`` or a :func:`component_context`
    with ``spark``; call it as the engine would (``read()``, ``transform(df)``, ``validate(df)``,
    ``write(df)``, or ``run_step({input name: df})``).
    """
    resolved = resolve_component(
        component,
        config,
        registry=registry,
        step_name=step_name or (component if isinstance(component, str) else component.__name__).rsplit(".", 1)[-1],
    )
    context = context or component_context(spark)
    secrets = context.secrets or Secrets.from_plugins(PluginManager())
    structured = secrets.resolve_all(resolved.config, "config")
    return resolved.component_class(
        structured, context, context.logger.bind(step=resolved.name), step_name=resolved.name
    )
