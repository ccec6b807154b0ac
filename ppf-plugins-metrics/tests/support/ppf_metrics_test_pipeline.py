"""A three-step pipeline of tiny list-passing components (no Spark), run as a real run without a session."""

from __future__ import annotations

from typing import Any

from pyspark_pipeline_framework.core import (
    ResolvedPipeline,
    RunResult,
    Sink,
    SinkConfig,
    Source,
    SourceConfig,
    Transform,
    TransformConfig,
)
from pyspark_pipeline_framework.testing import InlineRegistry, run_without_spark, validate_pipeline


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
    return validate_pipeline(
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
    return run_without_spark(validated, plugins=plugins)
