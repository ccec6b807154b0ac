"""A real Spark Connect server for the tests: the installed pyspark's own, on 127.0.0.1, a free port.

``bin/spark-submit --class org.apache.spark.sql.connect.service.SparkConnectServer spark-internal``
of the pyspark package (its ``jars/`` hold ``spark-connect_2.13``), in local mode with two cores.
Its Python workers (for Python UDFs) run the test environment's interpreter (``PYSPARK_PYTHON``),
which has pyarrow and pandas.  It is ready in about 8 s; :meth:`ConnectServer.stop` ends it.

:func:`plugin_conf` gives it Delta (delta-spark's jars, extension and catalog) and Spark's Kafka
connector as a server operator would, without Delta's Connect server plugin: its artifact is not
published for this Delta (``docs/connect.md``).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tests/: the services' shared helpers
from service_processes import die_with_parent, free_port, spark_home

READY_TIMEOUT_S = 120.0
SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"


def plugin_conf() -> dict[str, str]:
    """Server settings for the plugins' components, as its operator gives them: Delta's and Spark's
    Kafka connector's packages (resolved by spark-submit from Maven Central, or its local Ivy
    cache), and Delta's extension and catalog."""
    from ppf_delta.spark_settings import DELTA_CONF, delta_package
    from pyspark_pipeline_framework.components.kafka_settings import kafka_package

    return {"spark.jars.packages": f"{delta_package()},{kafka_package()}", **DELTA_CONF}


class ConnectServer:
    """One Spark Connect server process, stopped by :meth:`stop`; ``url`` is its ``sc://`` address."""

    def __init__(self, workdir: Path, conf: dict[str, str] | None = None):
        self.workdir = Path(workdir)
        self.port = free_port()
        self.url = f"sc://127.0.0.1:{self.port}"
        self.conf = dict(conf or {})
        self.process: subprocess.Popen | None = None
        self.log_file = self.workdir / "connect-server.log"

    def command(self) -> list[str]:
        home = spark_home()
        conf = {
            "spark.connect.grpc.binding.address": "127.0.0.1",
            "spark.connect.grpc.binding.port": str(self.port),
            "spark.master": "local[2]",
            "spark.ui.enabled": "false",
            "spark.sql.shuffle.partitions": "4",
            "spark.sql.session.timeZone": "UTC",
            "spark.sql.warehouse.dir": str(self.workdir / "warehouse"),
            "spark.driver.memory": "768m",
            **self.conf,
        }
        args = [str(home / "bin" / "spark-submit"), "--class", SERVER_CLASS]
        for key, value in conf.items():
            args += ["--conf", f"{key}={value}"]
        return [*args, "spark-internal"]

    def start(self) -> ConnectServer:
        home = spark_home()
        if not list((home / "jars").glob("spark-connect_*.jar")):
            raise RuntimeError(f"the installed pyspark ({home}) has no spark-connect jar in jars/")
        self.workdir.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "SPARK_HOME": str(home),
            "PYSPARK_PYTHON": sys.executable,
            "PYSPARK_DRIVER_PYTHON": sys.executable,
        }
        env.pop("SPARK_REMOTE", None)
        log = self.log_file.open("wb")
        self.process = subprocess.Popen(
            self.command(),
            cwd=self.workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        log.close()
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"the Spark Connect server exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"the Spark Connect server was not ready in {READY_TIMEOUT_S}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)  # spark-submit and the JVM it started: its own group
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


class RunningServer:
    """A server started elsewhere (``PPF_TEST_CONNECT_URL``): used, never stopped."""

    def __init__(self, url: str):
        self.url = url

    def log_tail(self, lines: int = 60) -> str:
        return f"(the server at {self.url} was started outside the tests: see its own log)"


if __name__ == "__main__":  # start one by hand: python tests/connect/server.py
    server = ConnectServer(Path(sys.argv[1] if len(sys.argv) > 1 else "connect-server"), plugin_conf()).start()
    print(server.url, flush=True)
    try:
        server.process.wait()
    except KeyboardInterrupt:
        server.stop()
