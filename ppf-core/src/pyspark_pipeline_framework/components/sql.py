"""A SQL transform over the step's inputs."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from pyspark_pipeline_framework.core import Transform, TransformConfig

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def view_name(step_name: str) -> str:
    """The temporary view a step's output is visible as: non-word characters become ``_``."""
    return re.sub(r"\W", "_", step_name)


class SqlTransformConfig(TransformConfig):
    #: A Spark SQL query; each input is a temporary view named after its step
    #: (characters other than letters, digits and _ become _: step "raw-users" is view raw_users).
    query: str

    def check(self) -> Iterable[tuple[str, str]]:
        if not self.query.strip():
            yield "query", "must not be empty"


class SqlTransform(Transform[SqlTransformConfig]):
    """Runs a Spark SQL query that reads the step's inputs as named views."""

    def transform(self, df: DataFrame) -> DataFrame:  # pragma: no cover - transform_inputs is used
        raise NotImplementedError

    def transform_inputs(self, inputs: Mapping[str, DataFrame]) -> DataFrame:
        # Step names are unique in a pipeline, so a view per step name never collides between
        # steps that run concurrently.
        for step_name, df in inputs.items():
            df.createOrReplaceTempView(view_name(step_name))
        return self.context.spark.sql(self.config.query)
