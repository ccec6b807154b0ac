"""A real single-node Kafka broker for the tests: Kafka's own jars, KRaft mode, 127.0.0.1, free ports.

The jars come from Maven Central through ``pom.xml`` beside this file (``mvn dependency:copy-dependencies``)
into a cache directory (``$PPF_KAFKA_JARS_DIR``, default ``~/.cache/ppf/kafka-<version>``), fetched once.
``python tests/kafka/broker.py fetch`` fills the cache up front (CI does, so that a network problem
shows before the suite starts).  A broker formats its storage with ``kafka.tools.StorageTool``, then
runs ``kafka.Kafka`` with ``-Xmx256m``; it is ready in a few seconds.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tests/: the services' shared helpers
from service_processes import die_with_parent, free_port

HERE = Path(__file__).resolve().parent
POM = HERE / "pom.xml"
KAFKA_VERSION = re.search(r"<artifactId>kafka_2\.13</artifactId>\s*<version>([^<]+)</version>", POM.read_text()).group(
    1
)
JARS_DIR_ENV = "PPF_KAFKA_JARS_DIR"
READY_TIMEOUT_S = 60.0


def jars_dir() -> Path:
    return Path(os.environ.get(JARS_DIR_ENV) or Path.home() / ".cache" / "ppf" / f"kafka-{KAFKA_VERSION}")


def fetch_jars() -> Path:
    """The broker's jars, downloaded with Maven on first use."""
    target = jars_dir()
    done_marker = target / ".complete"
    if done_marker.is_file():
        return target
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError(
            "Maven (`mvn`) is needed to fetch Kafka's jars for the broker fixture: apt-get install maven"
        )
    staging = Path(tempfile.mkdtemp(prefix="kafka-jars-", dir=target.parent if target.parent.exists() else None))
    done = subprocess.run(
        [mvn, "-q", "-B", "-f", str(POM), "dependency:copy-dependencies", f"-DoutputDirectory={staging}"],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise RuntimeError(f"mvn could not fetch Kafka {KAFKA_VERSION}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(target, ignore_errors=True)
    os.replace(staging, target)
    done_marker.write_text(KAFKA_VERSION)
    return target


def _cluster_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


class KafkaBroker:
    """One broker process (controller and broker in one), stopped by :meth:`stop`."""

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.port = free_port()
        self.controller_port = free_port()
        self.bootstrap_servers = f"127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log_file = self.workdir / "broker.log"

    def _properties(self) -> str:
        return "\n".join(
            [
                "process.roles=broker,controller",
                "node.id=1",
                f"controller.quorum.voters=1@127.0.0.1:{self.controller_port}",
                f"listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
                f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                f"log.dirs={self.workdir / 'data'}",
                "num.partitions=1",
                # A single node: internal topics cannot have more replicas than brokers.
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=1",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "auto.create.topics.enable=false",
                "",
            ]
        )

    def start(self) -> KafkaBroker:
        jars = fetch_jars()
        self.workdir.mkdir(parents=True, exist_ok=True)
        properties = self.workdir / "server.properties"
        properties.write_text(self._properties())
        java = [
            shutil.which("java") or "java",
            "-Xmx256m",
            "-Xms64m",
            "-XX:+UseSerialGC",
            "-Djava.awt.headless=true",
            "-cp",
            f"{jars}/*",
        ]
        formatted = subprocess.run(
            [*java, "kafka.tools.StorageTool", "format", "-t", _cluster_id(), "-c", str(properties)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if formatted.returncode != 0:
            raise RuntimeError(f"formatting the broker's storage failed:\n{formatted.stdout}{formatted.stderr}")
        log = self.log_file.open("wb")
        self.process = subprocess.Popen(
            [*java, "kafka.Kafka", str(properties)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        log.close()
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        from kafka import KafkaAdminClient

        deadline = time.monotonic() + READY_TIMEOUT_S
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"the Kafka broker exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                admin = KafkaAdminClient(bootstrap_servers=self.bootstrap_servers, request_timeout_ms=5000)
                try:
                    admin.list_topics()
                    return
                finally:
                    admin.close()
            except Exception as error:  # not listening yet
                last_error = error
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"the Kafka broker was not ready in {READY_TIMEOUT_S}s ({last_error}):\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def create_topic(self, name: str, partitions: int = 1) -> str:
        from kafka import KafkaAdminClient
        from kafka.admin import NewTopic

        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap_servers)
        try:
            admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
        finally:
            admin.close()
        return name

    def producer(self, **settings):
        """A kafka-python producer that waits for the broker's acknowledgement of every message."""
        from kafka import KafkaProducer

        return KafkaProducer(bootstrap_servers=self.bootstrap_servers, **{"acks": "all", "linger_ms": 5, **settings})

    def produce(self, topic: str, messages: list[tuple[bytes | None, bytes]]) -> None:
        """Send ``(key, value)`` pairs and wait until all are acknowledged."""
        producer = self.producer()
        try:
            for key, value in messages:
                producer.send(topic, key=key, value=value)
            producer.flush(timeout=60)
        finally:
            producer.close()

    def consume_all(self, topic: str, timeout_s: float = 10.0) -> list:
        """Every message of ``topic`` from the beginning (for checking what a sink wrote)."""
        from kafka import KafkaConsumer

        consumer = KafkaConsumer(
            topic,
            bootstrap_servers=self.bootstrap_servers,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            consumer_timeout_ms=int(timeout_s * 1000),
        )
        try:
            return list(consumer)
        finally:
            consumer.close()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=5)  # a clean shutdown takes seconds; the data is thrown away
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


if __name__ == "__main__":
    if sys.argv[1:] == ["fetch"]:
        print(f"Kafka {KAFKA_VERSION} jars in {fetch_jars()}")
    elif sys.argv[1:] == ["serve"]:  # a broker for trying things by hand; Ctrl-C stops it
        broker = KafkaBroker(Path(tempfile.mkdtemp(prefix="kafka-broker-"))).start()
        print(f"Kafka {KAFKA_VERSION} at {broker.bootstrap_servers} ({broker.workdir})", flush=True)
        try:
            broker.process.wait()
        except KeyboardInterrupt:
            broker.stop()
    else:
        sys.exit("usage: python tests/kafka/broker.py fetch|serve")
