"""Delta idempotent writes: a retried attempt of a step commits at most once.

Delta records, per application id, the highest ``txnVersion`` it has committed and silently skips
a write whose (``txnAppId``, ``txnVersion``) it has already seen.  The application id names the
run and the step, so every attempt of one step in one run shares it, while another run (or
another step writing the same table) gets its own id and always writes.  A pipeline re-run after
a failure is a new run and writes again.

In a streaming pipeline each micro-batch is written with the query and step as application id and
the batch id as version (:meth:`WriteTransaction.for_component`): a batch replayed after a crash or
a kill, in a later run, is skipped by Delta if its first attempt committed.

DataFrame writes (append, overwrite) take the id as writer options.  A MERGE has no writer
options: Delta reads the same pair from the session settings ``spark.databricks.delta.write.txnAppId``
and ``...txnVersion``, which :meth:`WriteTransaction.for_dml` sets for the one statement.
"""

from __future__ import annotations

from typing import Any

import attrs

from pyspark_pipeline_framework.spark import session_settings

DML_APP_ID = "spark.databricks.delta.write.txnAppId"
DML_VERSION = "spark.databricks.delta.write.txnVersion"
#: Every attempt of a step carries the same version; only the first commit of the run counts.
TXN_VERSION = 1


@attrs.frozen
class WriteTransaction:
    """The Delta writer options that make one step's write idempotent within its run."""

    app_id: str
    version: int = TXN_VERSION

    @classmethod
    def for_step(cls, run_id: str, step_name: str) -> WriteTransaction:
        return cls(f"ppf/{run_id}/{step_name}")

    @classmethod
    def for_component(cls, context: Any, step_name: str) -> WriteTransaction:
        """Per micro-batch in a streaming run (the same in every run of the query), else per run and step."""
        batch = getattr(context, "micro_batch", None)
        if batch is not None:
            return cls(batch.transaction_app_id(step_name), batch.batch_id)
        return cls.for_step(context.run_id, step_name)

    def writer_options(self) -> dict[str, str]:
        return {"txnAppId": self.app_id, "txnVersion": str(self.version)}

    def for_dml(self, spark: Any):
        """Within the block, a Delta DML statement (MERGE) of this session commits at most once.

        Session settings are shared by every thread: such blocks run one at a time.  DataFrame
        writes on other threads are unaffected: their writer options take precedence.
        """
        return session_settings(spark, {DML_APP_ID: self.app_id, DML_VERSION: str(self.version)})
