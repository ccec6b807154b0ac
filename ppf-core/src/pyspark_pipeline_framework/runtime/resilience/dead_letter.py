"""The dead-letter queue: rows a step cannot pass on, written to a sink with an envelope.

Components reach it as ``context.dead_letters``.  A dead row keeps its original columns (or,
for an unparsable file record, its raw text in ``_corrupt_record``) and gains an envelope:
pipeline, step, run id, the rule(s) it failed, an error message and the time it was diverted.
Each step's sink is its own ``dead_letter { ... }`` block or the pipeline's (see
``docs/configuration.md``).

Dead letters are never lost and never written twice: :meth:`DeadLetterQueue.send` computes and
counts a step's dead rows in one Spark job, keeping them (persisted, they are few) without writing
them; the executor commits them (:meth:`~DeadLetterQueue.commit`) when the step's attempt has
succeeded, with the step's output, or discards them when it failed.  A retried attempt therefore
writes its dead rows once, a failed step none (its re-run in a resumed run writes them), and a
step with no dead rows writes nothing at all, not even an empty dataset.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from pyspark_pipeline_framework.core.errors import PermanentError, PpfError

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

    from pyspark_pipeline_framework.core.component import Sink
    from pyspark_pipeline_framework.core.context import Context
    from pyspark_pipeline_framework.core.pipeline import ResolvedDeadLetter


class TooManyDeadRows(PpfError):
    """More rows were diverted than the step's ``dead_letter.max_ratio`` allows."""

    permanent = True  # the same input gives the same dead rows


class DeadLetterQueue:
    """Dead-letter sinks of one run, by step name."""

    def __init__(self, sinks: Mapping[str, ResolvedDeadLetter], context: Context):
        self._sinks = dict(sinks)
        self._context = context
        #: Dead rows of the attempts in progress, by step: (persisted rows, count, error), written on commit.
        self._pending: dict[str, list[tuple[DataFrame, int, str]]] = {}
        self._lock = threading.Lock()  # steps of parallel branches send and commit concurrently

    def configured(self, step_name: str) -> bool:
        return step_name in self._sinks

    def max_ratio(self, step_name: str) -> float | None:
        sink = self._sinks.get(step_name)
        return sink.max_ratio if sink else None

    def check_ratio(self, step_name: str, dead: int, rows: int) -> None:
        """Raise :class:`TooManyDeadRows` when ``dead / rows`` exceeds the step's ``max_ratio``."""
        limit = self.max_ratio(step_name)
        if limit is not None and rows and dead / rows > limit:
            raise TooManyDeadRows(
                f"{dead} of {rows} rows ({dead / rows:.1%}) are dead letters, more than max_ratio {limit:.1%}; "
                "nothing was written downstream"
            )

    def send(
        self, step_name: str, rows: DataFrame, *, error: str, failed_rules: Column | Sequence[str] = ()
    ) -> dict[str, Any]:
        """Count ``rows`` with their envelope and keep them for the step's dead-letter sink, which they
        reach when the step's attempt succeeds (:meth:`commit`); returns figures for the step result.

        ``failed_rules`` is an ``array<string>`` column naming each row's rules, or fixed names.
        """
        from pyspark import StorageLevel
        from pyspark.sql import Observation
        from pyspark.sql import functions as F

        if step_name not in self._sinks:
            raise PermanentError(
                f"step {step_name!r} has dead rows but no dead_letter sink; add "
                "dead_letter { type = ParquetSink, config { path = ... } } to the step or the pipeline"
            )
        if isinstance(failed_rules, (list, tuple)):
            rules = F.array(*[F.lit(rule) for rule in failed_rules]).cast("array<string>")
        else:
            rules = cast("Column", failed_rules)  # rule names come as a list or tuple
        enveloped = rows.withColumns(
            {
                "_ppf_pipeline": F.lit(self._context.run.pipeline),
                "_ppf_step": F.lit(step_name),
                "_ppf_run_id": F.lit(self._context.run_id),
                "_ppf_failed_rules": rules,
                "_ppf_error": F.lit(error),
                "_ppf_dead_at": F.current_timestamp(),
            }
        )
        # Counted by a write that Spark skips (noop), keeping the dead rows for the commit: a step
        # with none writes nothing, and the count costs no job of its own.
        observation = Observation(f"ppf-dead-{uuid.uuid4().hex[:8]}")
        kept = enveloped.persist(StorageLevel.MEMORY_AND_DISK)
        try:
            kept.observe(observation, F.count(F.lit(1)).alias("rows")).write.format("noop").mode("overwrite").save()
            dead = int(observation.get["rows"])  # the job has finished: the count is there
        except BaseException:
            kept.unpersist()
            raise
        if dead == 0:
            kept.unpersist()
            return {"dead_letter_rows": 0}
        with self._lock:
            self._pending.setdefault(step_name, []).append((kept, dead, error))
        return {"dead_letter_rows": dead}

    def commit(self, step_name: str) -> int:
        """Write the dead rows the step's attempt sent, now that the attempt has succeeded; returns their number."""
        with self._lock:
            pending = self._pending.pop(step_name, [])
        written = 0
        try:
            while pending:
                rows, dead, error = pending[0]
                self._sink(step_name).write(rows)
                rows.unpersist()
                pending.pop(0)
                written += dead
                self._context.logger.warning("dead_letters_written", step=step_name, rows=dead, error=error)
        finally:
            for rows, _, _ in pending:  # a failed write: the attempt fails and its retry sends them again
                rows.unpersist()
        return written

    def discard(self, step_name: str) -> None:
        """Forget the dead rows of a failed attempt: its retry (or a resumed run) sends them again."""
        with self._lock:
            pending = self._pending.pop(step_name, [])
        for rows, _, _ in pending:
            rows.unpersist()

    def _sink(self, step_name: str) -> Sink:
        resolved = self._sinks[step_name]
        # The sink's secret references are resolved only now, like a step's (once per run: remembered).
        config = (
            self._context.secrets.resolve_all(resolved.config, f"dead_letter of step {step_name!r}: config")
            if self._context.secrets is not None
            else resolved.config
        )
        return cast(
            "Sink",
            resolved.component_class(
                config,
                self._context,  # preflight admits only sinks
                self._context.logger.bind(step=step_name),
                step_name=step_name,
            ),
        )
