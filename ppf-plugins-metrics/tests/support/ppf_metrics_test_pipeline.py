"""A three-step pipeline of tiny list-passing components (no Spark), run through the real executor."""

from __future__ import annotations

from typing import Any

from pyspark_pipeline_framework.core import Sink, SinkConfig, Source, SourceConfig, Transform, TransformConfig
from pyspark_pipeline_framework.core.context import RunInfo
from pyspark_pipeline_framework.core.pipeline import ResolvedPipeline
from pyspark_pipeline_framework.core.plugins import load_hook_plugins
from pyspark_pipeline_framework.core.results import RunResult
from pyspark_pipeline_framework.runner.config.preflight import validate_raw
from pyspark_pipeline_framework.runtime.run.context import RunContext
from pyspark_pipeline_framework.runtime.run.executor import PipelineExecutor
from pyspark_pipeline_framework.testing import InlineRegistry


class Numbers(Source[SourceConfig]):
    def read(self):
        return [1, 2, 3]


class MaybeFailConfig(TransformConfig):
    fail: bool = False


class MaybeFail(Transform[MaybeFailConfig]):
    def transform(self, df):
        if self.config.fail:
            raise RuntimeError("upstream API is down")
        return df


class Discard(Sink[SinkConfig]):
    def write(self, df) -> None:
        return None


#: The components of these test pipelines, by type name.
COMPONENTS = {"Numbers": Numbers, "MaybeFail": MaybeFail, "Discard": Discard}


def numbers_pipeline(name: str = "numbers", *, fail: bool = False, hooks: dict | None = None) -> ResolvedPipeline:
    return validate_raw(
        {
            "name": name,
            "steps": [
                {"name": "read", "type": "Numbers"},
                {"name": "check", "type": "MaybeFail", "config": {"fail": fail}},
                {"name": "store", "type": "Discard"},
            ],
            "hooks": hooks or {},
        },
        InlineRegistry(COMPONENTS),
    )


def run(validated: ResolvedPipeline, *plugins: Any) -> RunResult:
    manager = load_hook_plugins(validated.spec.hooks, plugins, settings=validated.hook_settings).manager
    return PipelineExecutor(validated, RunContext(RunInfo(validated.spec.name)), manager).run()
