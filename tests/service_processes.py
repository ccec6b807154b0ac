"""What the test services (tests/kafka/broker.py, tests/connect/server.py, tests/cluster/standalone.py)
share: a free port on 127.0.0.1, a child process that dies with the test process, the Spark
distribution inside the installed pyspark.  Each of them puts this folder on ``sys.path`` (tests/
is not a package, and they are also loaded by file from conftest.py and the benchmarks)."""

from __future__ import annotations

import signal
import socket
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def die_with_parent() -> None:
    """In a service's process (``preexec_fn``): be killed when the test process ends, however it ends (Linux)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def spark_home() -> Path:
    """The installed pyspark package, which is a Spark distribution (``bin/``, ``jars/``)."""
    import pyspark

    return Path(pyspark.__file__).resolve().parent
