"""Streaming: Kafka -> Delta through a ppf streaming pipeline against the same query written by hand with ``foreachBatch``.

Starts its own Kafka broker (``tests/kafka/broker.py``, Kafka's jars from Maven Central), produces
keyed JSON messages once, then runs, in one Spark session (``local[2]``), interleaved pairs of:

- **throughput**: every message in a few large micro-batches (``available_now``), into a fresh
  Delta table and checkpoint, as an append and as a merge by key; rows per second of each side.
  The merge runs twice: as ppf runs it by default, checking that the merge keys are unique in each
  batch (work the hand-written query does not do), and with ``check_unique_keys = false``, the
  same work on both sides; the first over the second is what the check costs;
- **fixed cost per micro-batch**: the same with small micro-batches (``maxOffsetsPerTrigger``),
  where what ppf adds per batch (building the batch's pipeline, hooks, observed row counts, the
  ledger) dominates: ``(ppf seconds - hand seconds) / batches`` in milliseconds.

Both sides parse the same JSON schema and write with Delta's idempotent transaction options
(``txnAppId`` / ``txnVersion`` = batch id), as ppf does.  The hand-written side is what a careful
engineer writes without ppf.  Unlike the batch cases, both sides share one warm session: a
streaming job runs for weeks, so its start-up is not what is compared.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import statistics
import tempfile
import textwrap
import time
from pathlib import Path

from benchmarks.harness.interleave import Run, Side, interleave
from benchmarks.harness.settings import WORK
from benchmarks.harness.stats import compare
from benchmarks.harness.table import Figure

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PAIRS = 5
MESSAGES = 200_000
SCHEMA = "id BIGINT NOT NULL, name STRING, amount DOUBLE, country STRING"
LARGE_BATCH = 100_000
SMALL_BATCH = 500
SMALL_MESSAGES = 15_000


def _broker_module():
    spec = importlib.util.spec_from_file_location("kafka_broker", ROOT / "tests" / "kafka" / "broker.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def produce(broker, topic: str, count: int) -> None:
    producer = broker.producer(batch_size=256 * 1024, linger_ms=20)
    try:
        for i in range(count):
            value = {"id": i, "name": f"user-{i}", "amount": i % 1000 / 10, "country": ("DE", "FR", "US")[i % 3]}
            producer.send(topic, key=str(i).encode(), value=json.dumps(value).encode())
        producer.flush(timeout=300)
    finally:
        producer.close()


def ppf_run(spark, bootstrap: str, topic: str, work: Path, mode: str, per_batch: int) -> None:
    from pyspark_pipeline_framework.testing import run_pipeline_text

    merge = {
        "append": "",
        "merge": ", merge_keys = [id]",
        "merge_unchecked": ", merge_keys = [id], check_unique_keys = false",
    }[mode]
    text = textwrap.dedent(f"""\
        pipeline {{
          name = bench
          streaming {{ trigger = available_now, checkpoint_location = "{work}/checkpoints" }}
          steps = [
            {{ name = read, type = KafkaSource, config {{ bootstrap_servers = "{bootstrap}", topic = "{topic}",
               starting_offsets = earliest, schema = "{SCHEMA}", options {{ maxOffsetsPerTrigger = "{per_batch}" }} }} }}
            {{ name = load, type = DeltaSink, config {{ path = "{work}/table", mode = {mode.removesuffix("_unchecked")}{merge} }} }}
          ]
        }}
        """)
    result = run_pipeline_text(text, spark=spark, directory=work)
    if not result.succeeded:
        raise RuntimeError(json.dumps(result.to_dict(), default=str)[:3000])


def hand_run(spark, bootstrap: str, topic: str, work: Path, mode: str, per_batch: int) -> None:
    from delta.tables import DeltaTable
    from pyspark.sql import functions as F

    table = str(work / "table")
    app_id = f"hand/{topic}"

    def write(batch, batch_id: int) -> None:
        session = batch.sparkSession
        if mode.startswith("merge") and DeltaTable.isDeltaTable(session, table):
            session.conf.set("spark.databricks.delta.write.txnAppId", app_id)
            session.conf.set("spark.databricks.delta.write.txnVersion", str(batch_id))
            try:
                (
                    DeltaTable.forPath(session, table)
                    .alias("t")
                    .merge(batch.alias("s"), "t.id = s.id")
                    .whenMatchedUpdateAll()
                    .whenNotMatchedInsertAll()
                    .execute()
                )
            finally:
                session.conf.unset("spark.databricks.delta.write.txnAppId")
                session.conf.unset("spark.databricks.delta.write.txnVersion")
        else:
            (
                batch.write.format("delta")
                .mode("append")
                .option("txnAppId", app_id)
                .option("txnVersion", str(batch_id))
                .save(table)
            )

    stream = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", bootstrap)
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
        .option("maxOffsetsPerTrigger", str(per_batch))
        .load()
        .select(F.from_json(F.col("value").cast("string"), SCHEMA).alias("v"))
        .select("v.*")
    )
    query = (
        stream.writeStream.foreachBatch(write)
        .option("checkpointLocation", str(work / "checkpoints"))
        .trigger(availableNow=True)
        .start()
    )
    query.awaitTermination()
    if query.exception() is not None:
        raise RuntimeError(str(query.exception()))


def timed(run, spark, bootstrap: str, topic: str, scratch: Path, mode: str, per_batch: int) -> Run:
    """One query over every message of ``topic`` into a fresh table and checkpoint; its micro-batches in ``details``."""
    work = Path(tempfile.mkdtemp(prefix="run-", dir=scratch))
    os.sync()
    started = time.perf_counter()
    run(spark, bootstrap, topic, work, mode, per_batch)
    seconds = time.perf_counter() - started
    batches = len([p for p in (work / "checkpoints").rglob("commits/*") if p.name.isdigit()])
    shutil.rmtree(work, ignore_errors=True)
    return Run(seconds, details={"batches": batches})


def _compare(
    spark, bootstrap: str, topic: str, messages: int, scratch: Path, mode: str, per_batch: int, pairs: int
) -> dict:
    def side(run) -> Side:
        return Side(lambda _: timed(run, spark, bootstrap, topic, scratch, mode, per_batch))

    runs = interleave(pairs, {"ppf": side(ppf_run), "hand": side(hand_run)})
    ppf, hand = runs.seconds("ppf"), runs.seconds("hand")
    batches = runs.runs["ppf"][-1].details["batches"]
    return {
        "mode": mode,
        "messages": messages,
        "rows_per_batch": per_batch,
        "batches": {name: side_runs[-1].details["batches"] for name, side_runs in runs.runs.items()},
        "rows_per_s": {
            "ppf": round(messages / statistics.median(ppf)),
            "hand": round(messages / statistics.median(hand)),
        },
        # Seconds for the same messages: hand / ppf is ppf's rows per second over the hand-written query's.
        "throughput_ratio": compare(hand, ppf, ("hand", "ppf")),
        "fixed_cost_ms_per_batch": round(
            1000 * statistics.median([(p - h) / max(1, batches) for p, h in zip(ppf, hand)]), 1
        ),
        "seconds": {"ppf": [round(s, 3) for s in ppf], "hand": [round(s, 3) for s in hand]},
        "busy_before": runs.busy_before,
    }


def measure(pairs: int = DEFAULT_PAIRS) -> dict:
    from pyspark_pipeline_framework.testing import local_spark_session

    WORK.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="streaming-", dir=WORK))
    broker = _broker_module().KafkaBroker(scratch / "broker").start()
    spark = None
    try:
        big, small = broker.create_topic("bench-large", partitions=2), broker.create_topic("bench-small", partitions=2)
        produce(broker, big, MESSAGES)
        produce(broker, small, SMALL_MESSAGES)
        spark = local_spark_session("ppf-bench-streaming", conf={"spark.sql.shuffle.partitions": "2"})
        spark.sparkContext.setLogLevel("ERROR")
        # Untimed warm-up: the first query of a session loads the Kafka and Delta classes.
        hand_run(spark, broker.bootstrap_servers, small, Path(tempfile.mkdtemp(dir=scratch)), "append", SMALL_BATCH)
        bootstrap = broker.bootstrap_servers
        results = {
            "append": _compare(spark, bootstrap, big, MESSAGES, scratch, "append", LARGE_BATCH, pairs),
            "merge": _compare(spark, bootstrap, big, MESSAGES, scratch, "merge", LARGE_BATCH, pairs),
            "merge_unchecked": _compare(
                spark, bootstrap, big, MESSAGES, scratch, "merge_unchecked", LARGE_BATCH, pairs
            ),
            "small_batches": _compare(spark, bootstrap, small, SMALL_MESSAGES, scratch, "append", SMALL_BATCH, pairs),
        }
    finally:
        if spark is not None:
            spark.stop()
        broker.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    return {
        "pairs": pairs,
        "params": {
            "messages": MESSAGES,
            "large_batch": LARGE_BATCH,
            "small_messages": SMALL_MESSAGES,
            "small_batch": SMALL_BATCH,
        },
        "figures": {
            name: {key: value for key, value in result.items() if key not in ("seconds", "busy_before")}
            for name, result in results.items()
        },
        "raw": {name: {"seconds": r["seconds"], "busy_before": r["busy_before"]} for name, r in results.items()},
    }


def _throughput(label: str, mode: str, target: bool = True) -> Figure:
    def cell(record: dict) -> str:
        f = record["figures"].get(mode)
        if f is None:
            return "not measured (a record from before this comparison)"
        ratio = f["throughput_ratio"]
        rows = f["rows_per_s"]
        return (
            f"**{ratio['ratio']:.3f}** over {record['pairs']} pairs (pair median {ratio['median_pair_ratio']:.3f}; "
            f"{rows['ppf']:,} / {rows['hand']:,} rows/s)"
        )

    def met(record: dict) -> bool | None:
        f = record["figures"].get(mode)
        return None if f is None or not target else f["throughput_ratio"]["ratio"] >= 0.97

    return Figure(label, ">= 0.97" if target else "(reported)", cell, met)


def _fixed_cost(record: dict) -> str:
    f = record["figures"]["small_batches"]
    return f"{f['fixed_cost_ms_per_batch']:.0f} ms over {f['batches'].get('ppf')} batches of {f['rows_per_batch']} rows"


FIGURES = [
    _throughput(
        "[Streaming](../benchmarks/cases/streaming.py) Kafka -> Delta append: rows/s, ppf / hand-written", "append"
    ),
    _throughput(
        "Streaming Kafka -> Delta merge, the same query (`check_unique_keys = false`): rows/s, ppf / hand-written",
        "merge_unchecked",
    ),
    # ppf's default checks each batch's merge keys for duplicates, work the hand-written query does not do.
    _throughput(
        "Streaming Kafka -> Delta merge with ppf's default duplicate-key check: rows/s, ppf / hand-written",
        "merge",
        target=False,
    ),
    Figure("Streaming: ppf's fixed cost per micro-batch over hand-written", "(reported)", _fixed_cost),
]
