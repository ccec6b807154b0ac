"""Exactly once across restarts: `ppf run` stopped and killed at random moments while a producer writes.

The pipeline (processing-time trigger) appends every Kafka message to a Delta table.  It is started
as a user starts it, with the `ppf` command, and ended alternately by SIGTERM (a graceful stop that
must exit 0 within `stop_timeout`) and SIGKILL (nothing graceful), at random moments: while starting,
between batches, in the middle of a batch.  A final `available_now` run catches up.  The table, read
back with `deltalake` (not Spark), must then hold every produced message exactly once: an append
shows every duplicate that a merge would hide.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.services, pytest.mark.stress]

RESTARTS = 10
STOP_TIMEOUT_S = 300  # generous: the machine running the suite may be busy; a stop under load still finishes its batch


class Producer(threading.Thread):
    """Keeps writing keyed JSON messages (ids 0, 1, 2...) until stopped; counts what the broker acknowledged."""

    def __init__(self, broker, topic: str, per_second: int = 40):
        super().__init__(daemon=True)
        self.broker, self.topic, self.per_second = broker, topic, per_second
        self.sent = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        producer = self.broker.producer()
        try:
            while not self.stopping.is_set():
                for _ in range(self.per_second // 10):
                    producer.send(
                        self.topic,
                        key=str(self.sent).encode(),
                        value=json.dumps({"id": self.sent, "payload": f"message {self.sent}"}).encode(),
                    )
                    self.sent += 1
                time.sleep(0.1)
            producer.flush(timeout=60)
        finally:
            producer.close()

    def stop(self) -> int:
        self.stopping.set()
        self.join(timeout=90)
        return self.sent


def _pipeline(bootstrap: str, topic: str, root: Path) -> str:
    return textwrap.dedent(f"""\
        pipeline {{
          name = stress
          spark {{ master = "local[2]", conf {{ "spark.sql.shuffle.partitions" = "2", "spark.ui.enabled" = "false" }} }}
          streaming {{ trigger = "1s", checkpoint_location = "{root}/checkpoints", stop_timeout = "{STOP_TIMEOUT_S}s" }}
          steps = [
            {{ name = read, type = KafkaSource, config {{
                bootstrap_servers = "{bootstrap}", topic = "{topic}", starting_offsets = earliest
                schema = "id BIGINT NOT NULL, payload STRING", options {{ maxOffsetsPerTrigger = "150" }} }} }}
            {{ name = load, type = DeltaSink, config {{ path = "{root}/table", mode = append }} }}
          ]
        }}
        """)


def _start(config: Path, cwd: Path, env: dict, log: Path, *overrides: str) -> subprocess.Popen:
    args = [str(Path(sys.executable).parent / "ppf"), "run", "--config", str(config), "--log-format", "json"]
    for override in overrides:
        args += ["--override", override]
    return subprocess.Popen(args, cwd=cwd, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def _wait_for(log: Path, text: str, process: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if text in log.read_text(errors="replace"):
            return True
        time.sleep(0.2)
    return False


def test_stopped_and_killed_ten_times_while_a_producer_writes_every_message_lands_once(
    kafka_broker, kafka_topic, tmp_path, local_jar_cache
):
    from deltalake import DeltaTable

    config = tmp_path / "stress.conf"
    config.write_text(_pipeline(kafka_broker.bootstrap_servers, kafka_topic, tmp_path))
    env = {**os.environ, "PPF_JARS_DIR": str(local_jar_cache), "PPF_LEDGER_DIR": str(tmp_path / "ledger")}
    rng = random.Random(17)
    producer = Producer(kafka_broker, kafka_topic)
    producer.start()
    graceful_stops = []
    process = None
    try:
        for attempt in range(RESTARTS):
            log = tmp_path / f"run-{attempt}.log"
            process = _start(config, tmp_path, env, log)
            # Stop while starting, as the query starts, or once batches commit: at a random moment in
            # or between batches.
            if attempt % 3 == 0:
                assert _wait_for(log, "query_started", process, 900), log.read_text()[-3000:]
                time.sleep(rng.uniform(0.5, 6.0))
            elif attempt % 3 == 1:
                assert _wait_for(log, "micro_batch_committed", process, 900), log.read_text()[-3000:]
                time.sleep(rng.uniform(0.0, 4.0))
            else:
                assert _wait_for(log, "streaming_run_starting", process, 300), log.read_text()[-3000:]
                time.sleep(rng.uniform(1.0, 10.0))
            if attempt % 2 == 0:
                sent_at = time.monotonic()
                process.send_signal(signal.SIGTERM)
                code = process.wait(timeout=STOP_TIMEOUT_S + 60)
                took = time.monotonic() - sent_at
                graceful_stops.append((code, took))
                assert code == 0, log.read_text()[-3000:]
                assert took < STOP_TIMEOUT_S, f"SIGTERM stop took {took:.1f}s"
            else:
                process.kill()
                process.wait(timeout=60)
    finally:
        if process is not None and process.poll() is None:
            process.kill()
        produced = producer.stop()
    final_log = tmp_path / "final.log"
    final = _start(config, tmp_path, env, final_log, "streaming.trigger=available_now")
    assert final.wait(timeout=1800) == 0, final_log.read_text()[-3000:]

    ids = DeltaTable(str(tmp_path / "table")).to_pyarrow_table(columns=["id"]).column("id").to_pylist()
    assert len(ids) == len(set(ids)), f"{len(ids) - len(set(ids))} messages were written twice"
    assert sorted(ids) == list(range(produced)), f"{produced - len(set(ids))} of {produced} messages are missing"
    assert len(graceful_stops) == RESTARTS // 2 and all(code == 0 for code, _ in graceful_stops)
    stopped = [json.loads(path.read_text()) for path in (tmp_path / "ledger").glob("*.json")]
    assert sum(record["status"] == "stopped" for record in stopped) == len(graceful_stops)
