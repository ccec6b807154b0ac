"""The runtime context handed to every component and hook: the dependency-injection container."""

from __future__ import annotations

import getpass
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import attrs

from .metrics import Metrics

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from ..core.spec import PipelineSpec


def new_run_id() -> str:
    """Sortable by start time, unique across machines."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]


@attrs.frozen
class RunInfo:
    """Who runs which pipeline, where and when."""

    pipeline: str
    run_id: str = attrs.field(factory=new_run_id)
    started_at: datetime = attrs.field(factory=lambda: datetime.now(timezone.utc))
    user: str = attrs.field(factory=lambda: _safe(getpass.getuser))
    host: str = attrs.field(factory=lambda: _safe(socket.gethostname))


def _safe(read: Callable[[], str]) -> str:
    try:
        return read()
    except Exception:
        return "unknown"


class Context:
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
