"""Kafka -> Delta through a ppf streaming pipeline against the same query written by hand with ``foreachBatch``.

Self-contained: starts its own Kafka broker (``tests/kafka/broker.py``, Kafka's jars from Maven
Central), produces keyed JSON messages once, then runs, in one Spark session (``local[2]``),
interleaved pairs (ppf first, then hand first, alternately) of:

- **throughput**: every message in a few large micro-batches (``available_now``), into a fresh
  Delta table and checkpoint, as an append and as a merge by key; rows per second of each side;
- **fixed cost per micro-batch**: the same with small micro-batches (``maxOffsetsPerTrigger``),
  where what ppf adds per batch (building the batch's pipeline, hooks, observed row counts, the
  ledger) dominates: ``(ppf seconds - hand seconds) / batches`` in milliseconds.

Both sides parse the same JSON schema and write with Delta's idempotent transaction options
(``txnAppId`` / ``txnVersion`` = batch id), as ppf does.  The hand-written side is what a careful
engineer writes without ppf.

    python benchmarks/streaming_kafka_delta.py [--messages 200000] [--pairs 3] [--out FILE]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import statistics
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
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

    merge = ", merge_keys = [id]" if mode == "merge" else ""
    text = textwrap.dedent(f"""\
        pipeline {{
          name = bench
          streaming {{ trigger = available_now, checkpoint_location = "{work}/checkpoints" }}
          steps = [
            {{ name = read, type = KafkaSource, config {{ bootstrap_servers = "{bootstrap}", topic = "{topic}",
               starting_offsets = earliest, schema = "{SCHEMA}", options {{ maxOffsetsPerTrigger = "{per_batch}" }} }} }}
            {{ name = load, type = DeltaSink, config {{ path = "{work}/table", mode = {mode}{merge} }} }}
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
        if mode == "merge" and DeltaTable.isDeltaTable(session, table):
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


def timed(run, spark, bootstrap: str, topic: str, scratch: Path, mode: str, per_batch: int) -> tuple[float, int]:
    work = Path(tempfile.mkdtemp(prefix="run-", dir=scratch))
    os.sync()
    started = time.perf_counter()
    run(spark, bootstrap, topic, work, mode, per_batch)
    seconds = time.perf_counter() - started
    batches = len([p for p in (work / "checkpoints").rglob("commits/*") if p.name.isdigit()])
    shutil.rmtree(work, ignore_errors=True)
    return seconds, batches


def measure(
    spark, bootstrap: str, topic: str, messages: int, scratch: Path, mode: str, per_batch: int, pairs: int
) -> dict:
    runs = {"ppf": [], "hand": []}
    batches = {}
    for pair in range(pairs):
        order = [("ppf", ppf_run), ("hand", hand_run)]
        for side, run in order if pair % 2 == 0 else reversed(order):
            seconds, batches[side] = timed(run, spark, bootstrap, topic, scratch, mode, per_batch)
            runs[side].append(round(seconds, 3))
            print(f"  {mode} {per_batch}/batch pair {pair} {side}: {seconds:.2f}s", flush=True)
    ratios = [hand / ppf for ppf, hand in zip(runs["ppf"], runs["hand"])]  # rows/s of ppf over rows/s by hand
    return {
        "mode": mode,
        "messages": messages,
        "rows_per_batch": per_batch,
        "batches": batches,
        "seconds": runs,
        "rows_per_s": {side: round(messages / statistics.median(times)) for side, times in runs.items()},
        "pair_ratios": [round(r, 3) for r in ratios],
        "ratio_median": round(statistics.median(ratios), 3),
        "fixed_cost_ms_per_batch": round(
            1000
            * statistics.median([(p - h) / max(1, batches.get("ppf", 1)) for p, h in zip(runs["ppf"], runs["hand"])]),
            1,
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_suffix(".results.json"))
    args = parser.parse_args()

    from pyspark_pipeline_framework.testing import local_spark_session

    scratch = Path(tempfile.mkdtemp(prefix="ppf-bench-streaming-"))
    broker = _broker_module().KafkaBroker(scratch / "broker").start()
    spark = None
    try:
        big, small = broker.create_topic("bench-large", partitions=2), broker.create_topic("bench-small", partitions=2)
        produce(broker, big, args.messages)
        produce(broker, small, SMALL_MESSAGES)
        spark = local_spark_session("ppf-bench-streaming", conf={"spark.sql.shuffle.partitions": "2"})
        spark.sparkContext.setLogLevel("ERROR")
        hand_run(spark, broker.bootstrap_servers, small, Path(tempfile.mkdtemp(dir=scratch)), "append", SMALL_BATCH)
        results = [
            measure(spark, broker.bootstrap_servers, big, args.messages, scratch, "append", LARGE_BATCH, args.pairs),
            measure(spark, broker.bootstrap_servers, big, args.messages, scratch, "merge", LARGE_BATCH, args.pairs),
            measure(spark, broker.bootstrap_servers, small, SMALL_MESSAGES, scratch, "append", SMALL_BATCH, args.pairs),
        ]
    finally:
        if spark is not None:
            spark.stop()
        broker.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    from importlib.metadata import version

    report = {
        "benchmark": "streaming_kafka_delta",
        "python": platform.python_version(),
        "pyspark": version("pyspark"),
        "cpus": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
        "results": results,
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
