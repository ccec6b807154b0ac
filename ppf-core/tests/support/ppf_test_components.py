"""Components for framework tests that need no JVM: they pass plain Python lists around.

The executor never inspects step outputs (except to persist shared Spark DataFrames), so these
exercise scheduling, hooks, retries and breakers without Spark.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict

import attrs

from pyspark_pipeline_framework.core import (
    Component,
    ComponentConfig,
    Sink,
    SinkConfig,
    Source,
    SourceConfig,
    Transform,
    TransformConfig,
)

#: What sinks received, by step name.
WRITTEN: dict[str, list] = {}
#: Attempts per step name (FlakySource).
ATTEMPTS: dict[str, int] = defaultdict(int)
_lock = threading.Lock()


def reset() -> None:
    WRITTEN.clear()
    ATTEMPTS.clear()
    SIGNALS.clear()


class NumbersConfig(SourceConfig):
    values: list[int]
    #: Seconds to sleep, to observe concurrency.
    delay: float = 0.0
    #: Emit a list the executor persists like a DataFrame, whose unpersist fails as on a JVM that is gone.
    cached_in_a_gone_jvm: bool = False


class Numbers(Source[NumbersConfig]):
    """Emits a fixed list of numbers."""

    def read(self):
        time.sleep(self.config.delay)
        values = list(self.config.values)
        return CachedInAGoneJvm(values) if self.config.cached_in_a_gone_jvm else values


class UnreadableJavaError(Exception):
    """Like py4j's Py4JJavaError once the JVM is gone: its text is asked of the JVM, which refuses."""

    def __str__(self):
        raise ConnectionRefusedError(111, "Connection refused")


class CachedInAGoneJvm(list):
    """A list with a DataFrame's persist/unpersist; unpersisting fails like any call to a JVM that is gone."""

    isStreaming = False

    def persist(self, level=None):
        return self

    def unpersist(self):
        with _lock:
            ATTEMPTS["unpersist"] += 1
        raise UnreadableJavaError("An error occurred while calling o40.unpersist")


class FlakyConfig(SourceConfig):
    fail_times: int
    error: str = "ConnectionError"


class Flaky(Source[FlakyConfig]):
    """Fails `fail_times` times, then emits [1]."""

    def read(self):
        with _lock:
            ATTEMPTS[self.logger._context.get("step", "?")] += 1
            attempt = ATTEMPTS[self.logger._context.get("step", "?")]
        if attempt <= self.config.fail_times:
            raise {"ConnectionError": ConnectionError, "TypeError": TypeError}[self.config.error](f"attempt {attempt}")
        return [1]


class AddConfig(TransformConfig):
    amount: int = 1


class Add(Transform[AddConfig]):
    """Adds a number to every value."""

    def transform(self, df):
        return [v + self.config.amount for v in df]


class Concat(Transform[TransformConfig]):
    """Concatenates all inputs in input order."""

    def transform_inputs(self, inputs):
        return [v for name in inputs for v in inputs[name]]


class Boom(Transform[TransformConfig]):
    """Always fails."""

    def transform(self, df):
        raise RuntimeError("boom")


class CollectConfig(SinkConfig):
    delay: float = 0.0


class Collect(Sink[CollectConfig]):
    """Records what it is given in WRITTEN."""

    def write(self, df):
        time.sleep(self.config.delay)
        WRITTEN[self.logger._context["step"]] = list(df)


@attrs.define
class Recorder:
    """Collects hook calls in order."""

    calls: list = attrs.field(factory=list)


#: Signals between steps of one run (look-ahead tests), by name.
SIGNALS: dict[str, threading.Event] = defaultdict(threading.Event)


class WaitForSignalConfig(SourceConfig):
    signal: str
    timeout: float = 10.0


class WaitForSignal(Source[WaitForSignalConfig]):
    """Emits [True] once the named signal is set, [False] if it is not within the timeout."""

    def read(self):
        return [SIGNALS[self.config.signal].wait(self.config.timeout)]


class PreparingSinkConfig(SinkConfig):
    #: Set by prepare(), so that an earlier step can see that the preparation ran before it finished.
    signal: str = "prepared"
    fail_prepare: bool = False


class PreparingSink(Sink[PreparingSinkConfig]):
    """Records in WRITTEN what it writes and which thread prepared it (None: not prepared)."""

    prepared_on: str | None = None

    def prepare(self):
        if self.config.fail_prepare:
            raise ConnectionError("lookup failed")
        self.prepared_on = threading.current_thread().name
        SIGNALS[self.config.signal].set()

    def write(self, df):
        WRITTEN[self.step_name] = {"rows": list(df), "prepared_on": self.prepared_on}


class SlowWriteConfig(SinkConfig):
    #: Set when the write starts.
    started: str = "write_started"
    #: The write ends with an error when this is set, as Spark's write ends when its job is cancelled.
    cancel: str = "jobs_cancelled"
    timeout: float = 20.0


class SlowWrite(Sink[SlowWriteConfig]):
    """A write that lasts until its "jobs" are cancelled (the ``cancel`` signal), counted in ATTEMPTS."""

    def write(self, df):
        with _lock:
            ATTEMPTS[self.step_name] += 1
        SIGNALS[self.config.started].set()
        if SIGNALS[self.config.cancel].wait(self.config.timeout):
            raise RuntimeError("[SPARK_JOB_CANCELLED] Job 3 cancelled part of cancelled job group")
        WRITTEN[self.step_name] = list(df)


class KindlessComponent(Component[ComponentConfig]):
    """Derives from Component itself, not from Source, Transform, Validator or Sink: not a step."""
