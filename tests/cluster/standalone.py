"""A real Spark standalone cluster for the tests: a master and workers from the installed pyspark, on 127.0.0.1.

The pip package of pyspark has no ``sbin/start-*.sh`` scripts, but ``bin/spark-class`` starts the
daemons: ``org.apache.spark.deploy.master.Master`` and ``org.apache.spark.deploy.worker.Worker``,
each on free ports.  A worker registers in about 10 s; the cluster is ready once the master's web
UI JSON (``http://127.0.0.1:<ui>/json/``) lists the expected number of ALIVE workers.  Executors
start Python workers with ``PYSPARK_PYTHON`` (the python running the tests, by default), so the
test environment's pyspark and pyarrow are used on the executors too.  Each daemon's log stays in
the work directory (``master.log``, ``worker-N.log``) for reading after a failure.

``python tests/cluster/standalone.py serve`` starts one by hand (Ctrl-C stops it).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tests/: the services' shared helpers
from service_processes import die_with_parent, free_port, spark_home

READY_TIMEOUT_S = 90.0
DAEMON_MEMORY = "256m"  # the daemons' own heap; executors get the worker's --memory


class StandaloneCluster:
    """A master and ``workers`` workers (``cores`` cores, ``memory`` each), stopped by :meth:`stop`."""

    def __init__(self, workdir: Path, workers: int = 1, cores: int = 1, memory: str = "1g", python: str | None = None):
        self.workdir = Path(workdir)
        self.workers = workers
        self.cores = cores
        self.memory = memory
        self.python = python or sys.executable
        self.port = free_port()
        self.ui_port = free_port()
        self.master_url = f"spark://127.0.0.1:{self.port}"
        self.processes: list[subprocess.Popen] = []
        self.logs: list[Path] = []

    @property
    def env(self) -> dict[str, str]:
        """The environment of the daemons, and of drivers submitted to them."""
        return {
            **os.environ,
            "SPARK_HOME": str(spark_home()),
            "PYSPARK_PYTHON": self.python,
            "PYSPARK_DRIVER_PYTHON": self.python,
            "SPARK_DAEMON_MEMORY": DAEMON_MEMORY,
            "SPARK_LOCAL_IP": "127.0.0.1",
            "SPARK_WORKER_DIR": str(self.workdir / "work"),
        }

    def _daemon(self, name: str, main_class: str, *args: str) -> None:
        log_file = self.workdir / f"{name}.log"
        self.logs.append(log_file)
        with log_file.open("wb") as log:
            self.processes.append(
                subprocess.Popen(
                    [str(spark_home() / "bin" / "spark-class"), main_class, *args],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=self.env,
                    cwd=self.workdir,
                    start_new_session=True,
                    preexec_fn=die_with_parent,
                )
            )

    def start(self) -> StandaloneCluster:
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "work").mkdir(exist_ok=True)
        self._daemon(
            "master",
            "org.apache.spark.deploy.master.Master",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--webui-port",
            str(self.ui_port),
        )
        for number in range(1, self.workers + 1):
            self._daemon(
                f"worker-{number}",
                "org.apache.spark.deploy.worker.Worker",
                "--host",
                "127.0.0.1",
                "--webui-port",
                str(free_port()),
                "--cores",
                str(self.cores),
                "--memory",
                self.memory,
                self.master_url,
            )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def state(self) -> dict:
        """The master's own view (its web UI's JSON): ``status``, ``workers`` with their ``state``..."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.ui_port}/json/", timeout=5) as answer:
            return json.loads(answer.read())

    def alive_workers(self) -> int:
        return sum(1 for worker in self.state().get("workers", []) if worker.get("state") == "ALIVE")

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            for process, log in zip(self.processes, self.logs, strict=True):
                if process.poll() is not None:
                    raise RuntimeError(f"{log.stem} exited with {process.returncode}:\n{self.log_tail()}")
            try:
                if self.alive_workers() >= self.workers:
                    return
            except OSError as error:  # the master's UI is not listening yet
                last_error = error
            time.sleep(0.5)
        raise RuntimeError(
            f"the standalone cluster had not {self.workers} ALIVE workers after {READY_TIMEOUT_S}s"
            f" ({last_error}):\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 30) -> str:
        tails = []
        for log in self.logs:
            try:
                tail = "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
            except OSError:
                tail = ""
            tails.append(f"--- {log}\n{tail}")
        return "\n".join(tails)

    def stop(self) -> None:
        for process in reversed(self.processes):  # workers first, then the master
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


if __name__ == "__main__":
    if sys.argv[1:] == ["serve"]:
        cluster = StandaloneCluster(Path(tempfile.mkdtemp(prefix="spark-standalone-"))).start()
        print(f"Spark standalone master at {cluster.master_url} ({cluster.workdir})", flush=True)
        try:
            cluster.processes[0].wait()
        except KeyboardInterrupt:
            cluster.stop()
            shutil.rmtree(cluster.workdir / "work", ignore_errors=True)
    else:
        sys.exit("usage: python tests/cluster/standalone.py serve")
