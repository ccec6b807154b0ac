"""Rows a source produced, read from the ``number of output rows`` metric of Spark's own scans.

Spark counts the rows every scan node puts out (the figure the SQL tab of the Spark UI shows)
and keeps it in the driver's SQL status store.  For a source whose output is a plain scan (a
table or files, possibly with columns selected or renamed) that figure *is* its row count, so
ppf reads it there instead of attaching an observation: an observation is a plan node Spark
cannot see through, so it would split whole-stage code generation and stop downstream filters
from reaching the scan (no partition pruning, no filter pushdown).

The scan of a source is recognised in a query's plan by the ids of the source's columns
(``user_id#12L``): Spark gives every read of a relation fresh ids, so a scan showing one of
them reads this source and no other.  With partition pruning or filter pushdown the scan reads
only the partitions and row groups the downstream steps need: the figure is what Spark actually
read from the source, which is the point of not blocking those optimisations.

Sources that are not plain scans (in-memory data, a source that filters or joins itself,
streaming) are not handled here; the caller observes their rows instead.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from pyspark_pipeline_framework.runtime.figures.written_output import drain_listener_bus
from pyspark_pipeline_framework.spark._jvm import optimized_plan, sql_status_store

#: Plan nodes between a source's output and its scan that keep every row (and its column ids).
_ROW_PRESERVING = {"Project", "SubqueryAlias", "View"}
#: Relations whose physical scan reports ``number of output rows``.
_SCANNED_RELATIONS = {"LogicalRelation", "DataSourceV2Relation", "HiveTableRelation"}
#: Physical scan nodes as named in the plan graph ("Scan parquet ", "BatchScan cat.tbl", ...);
#: an ``InMemoryTableScan`` reads a cache, not the source, and is left out.
_SCAN_NODE = re.compile(r"^(Scan|BatchScan)\b")
_OUTPUT_ROWS = "number of output rows"
_EXPR_ID = re.compile(r"#(\d+)")


class ScannedRows:
    """Row counts of plain-scan sources of one run, from the scans' own metrics; thread-safe."""

    def __init__(self, spark: Any):
        self._spark = spark
        self._lock = threading.Lock()
        self._sources: dict[str, frozenset[int]] = {}
        self._parsed: dict[int, list[tuple[frozenset[int], int]]] = {}  # finished executions only
        self._first_execution = _next_execution_id(spark)

    def track(self, step_name: str, output: Any) -> bool:
        """Count ``output``'s rows from its scans; ``False`` if it is not a plain scan."""
        if self._first_execution is None:
            return False
        ids = _scan_column_ids(output)
        if ids is None:
            return False
        with self._lock:
            self._sources[step_name] = ids
        return True

    def is_tracked(self, step_name: str) -> bool:
        with self._lock:
            return step_name in self._sources

    def rows(self, step_name: str) -> int | None:
        """Rows Spark read for the source so far (the most any one query read), or ``None``."""
        with self._lock:
            ids = self._sources.get(step_name)
        if ids is None:
            return None
        try:
            scans = self._scans_since_run_start()
        except Exception:
            return None  # store unavailable: missing, never invented
        # Within one query the source's scans add up (a union of its partitions); a source read by
        # several queries (several sinks, from a cache or not) has the same rows each time: the
        # largest figure, not the sum.
        per_query = [[rows for scan_ids, rows in query if scan_ids & ids] for query in scans]
        return max((sum(found) for found in per_query if found), default=None)

    def _scans_since_run_start(self) -> list[list[tuple[frozenset[int], int]]]:
        if not drain_listener_bus(self._spark):
            raise TimeoutError("Spark's listener bus did not drain")  # figures would be incomplete
        store = sql_status_store(self._spark)
        if store is None:
            raise LookupError("no SQL status store (Spark Connect)")
        first = self._first_execution
        if first is None:  # track() tracks nothing then, so rows() never gets here
            raise LookupError("no SQL execution id at the run's start")
        queries = []
        for execution in _executions_from(store, first):
            execution_id = int(execution.executionId())
            with self._lock:
                parsed = self._parsed.get(execution_id)
            if parsed is None:
                parsed = _scan_metrics(store, execution_id)
                if execution.completionTime().isDefined():
                    with self._lock:
                        self._parsed[execution_id] = parsed
            queries.append(parsed)
        return queries


def _scan_column_ids(output: Any) -> frozenset[int] | None:
    """Expression ids of the scanned columns, if ``output`` is a row-preserving view of one scan."""
    try:
        if output.isStreaming:
            return None
        plan = optimized_plan(output)
        if plan is None:
            return None  # Spark Connect: no plan to look at
        while plan.getClass().getSimpleName() in _ROW_PRESERVING and plan.children().size() == 1:
            plan = plan.children().apply(0)
        if plan.getClass().getSimpleName() not in _SCANNED_RELATIONS:
            return None
        attributes = plan.output()
        ids = frozenset(int(attributes.apply(i).exprId().id()) for i in range(attributes.size()))
        return ids or None
    except Exception:  # an unexpected plan: let the caller observe
        return None


def _next_execution_id(spark: Any) -> int | None:
    """The id the next SQL execution will get (at least), or ``None`` without a status store."""
    try:
        store = sql_status_store(spark)
        if store is None:
            return None
        count = int(store.executionsCount())
        if count == 0:
            return 0
        last = store.executionsList(count - 1, 1)
        return int(last.apply(0).executionId()) + 1 if last.size() else 0
    except Exception:
        return None


def _executions_from(store: Any, first_id: int) -> list[Any]:
    """Executions with an id of at least ``first_id`` (the store lists them by id, oldest first)."""
    count = int(store.executionsCount())
    wanted = 16
    while True:
        offset = max(count - wanted, 0)
        listed = store.executionsList(offset, count - offset)
        executions = [listed.apply(i) for i in range(listed.size())]
        if offset == 0 or (executions and int(executions[0].executionId()) < first_id):
            return [e for e in executions if int(e.executionId()) >= first_id]
        wanted *= 4


def _scan_metrics(store: Any, execution_id: int) -> list[tuple[frozenset[int], int]]:
    """``(column ids, rows)`` of every scan node of one execution whose row count is known."""
    values = store.executionMetrics(execution_id)
    nodes = store.planGraph(execution_id).allNodes()
    scans = []
    for i in range(nodes.size()):
        node = nodes.apply(i)
        if not _SCAN_NODE.match(node.name()):
            continue
        metrics = node.metrics()
        for j in range(metrics.size()):
            metric = metrics.apply(j)
            if metric.name() != _OUTPUT_ROWS:
                continue
            value = values.get(metric.accumulatorId())
            rows = _parse_count(value.get()) if value.isDefined() else None
            if rows is not None:
                scans.append((frozenset(int(found) for found in _EXPR_ID.findall(node.desc())), rows))
    return scans


def _parse_count(text: str) -> int | None:
    """Spark formats a sum metric with US grouping: ``"4,000,000"``."""
    match = re.match(r"\s*([\d,]+)", text)
    return int(match.group(1).replace(",", "")) if match else None
