"""What a component or hook sees of the run: the :class:`Context` interface and :class:`RunInfo`.

The engine builds the context (``runtime.run.context.RunContext``); components and hooks only
rely on what is described here.
"""

from __future__ import annotations

import getpass
import socket
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from pyspark_pipeline_framework.core.dead_letters import DeadLetters
    from pyspark_pipeline_framework.core.metrics import Metrics
    from pyspark_pipeline_framework.core.secrets import Secrets
    from pyspark_pipeline_framework.core.spec import PipelineSpec
    from pyspark_pipeline_framework.core.streaming import MicroBatch


def new_run_id() -> str:
    """Sortable by start time, unique across machines."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]


def _safe(read: Callable[[], str]) -> str:
    try:
        return read()
    except Exception:
        return "unknown"


@attrs.frozen
class RunInfo:
    """Who runs which pipeline, where and when."""

    pipeline: str
    run_id: str = attrs.field(factory=new_run_id)
    started_at: datetime = attrs.field(factory=lambda: datetime.now(UTC))
    user: str = attrs.field(factory=lambda: _safe(getpass.getuser))
    host: str = attrs.field(factory=lambda: _safe(socket.gethostname))


@runtime_checkable
class Context(Protocol):
    """The run's services, handed to every component (``self.context``) and hook (``context``)."""

    #: Who runs which pipeline, where and when.
    run: RunInfo
    #: The pipeline's schema as written (secret references unresolved), or ``None`` outside a run.
    pipeline: PipelineSpec | None
    #: Timers, counters and gauges that hooks and components record; exported with the step figures.
    metrics: Metrics
    #: The run's secret resolvers (``context.secrets.resolve("secret://env/X")``).
    secrets: Secrets | None
    #: Where a step sends the rows it cannot pass on.
    dead_letters: DeadLetters | None
    #: Step name -> component kind, for hooks that describe steps.
    step_kinds: dict[str, str]
    #: A structlog logger bound to the pipeline and run.
    logger: Any
    #: In a streaming pipeline, the micro-batch the step runs in (query and batch id); ``None`` otherwise.
    micro_batch: MicroBatch | None

    @property
    def spark(self) -> SparkSession:
        """The run's Spark session (created on first use)."""
        ...

    @property
    def has_spark(self) -> bool:
        """Whether the session exists already (asking does not create it)."""
        ...

    @property
    def run_id(self) -> str:
        """The run's id, as in the run ledger."""
        ...
