"""The run context the engine hands to every component and hook (see :class:`~pyspark_pipeline_framework.core.context.Context`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pyspark_pipeline_framework.core.context import RunInfo
from pyspark_pipeline_framework.core.metrics import Metrics

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from pyspark_pipeline_framework.core.spec import PipelineSpec


class RunContext:
    """Runtime services: the Spark session (created on first use), metrics, secrets, run info."""

    def __init__(
        self,
        run: RunInfo,
        pipeline: PipelineSpec | None = None,
        spark_factory: Callable[[], SparkSession] | None = None,
        metrics: Metrics | None = None,
        logger: Any = None,
        secrets: Any = None,
    ):
        self.run = run
        self.pipeline = pipeline
        self.metrics = metrics or Metrics()
        self.secrets = secrets
        #: The run's :class:`~.dead_letter.DeadLetterQueue` (set by the executor).
        self.dead_letters: Any = None
        #: Step name -> component kind ("source", "transform", "validator", "sink"); set by the executor.
        self.step_kinds: dict[str, str] = {}
        #: The micro-batch being processed, in a streaming run (see ``core.streaming.MicroBatch``).
        self.micro_batch: Any = None
        self._spark_factory = spark_factory
        self._spark: SparkSession | None = None
        if logger is None:
            import structlog

            logger = structlog.get_logger("ppf").bind(pipeline=run.pipeline, run_id=run.run_id)
        self.logger = logger

    @property
    def spark(self) -> SparkSession:
        if self._spark is None:
            if self._spark_factory is None:
                raise RuntimeError("this context has no Spark session")
            self._spark = self._spark_factory()
        return self._spark

    @property
    def has_spark(self) -> bool:
        return self._spark is not None

    @property
    def run_id(self) -> str:
        return self.run.run_id
