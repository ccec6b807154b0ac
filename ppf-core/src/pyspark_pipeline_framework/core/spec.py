"""The pipeline file's schema: what a ``pipeline { ... }`` block may contain.

These attrs classes are the single source of truth for the HOCON schema; ``docs/configuration.md``
documents them and the converter in :mod:`.structuring` structures raw HOCON into them.  A step's
own ``config`` block stays a plain mapping here: its schema belongs to the component named by
``type`` and is structured in a second pass, once the registry has found that component.
"""

from __future__ import annotations

from typing import Any, Literal, NewType

import attrs

from pyspark_pipeline_framework.core.deprecation import Renamed, deprecated_names

#: Durations are written "5s", "500ms", "2m" and stored as seconds.
Seconds = NewType("Seconds", float)


def _at_least(minimum: int):
    def check(instance: object, attribute: attrs.Attribute, value: int) -> None:
        if value < minimum:
            raise ValueError(f"{attribute.name} must be at least {minimum}, got {value}")

    return check


@attrs.frozen
class ShipCodeSettings:
    """``spark.ship_code { ... }``: the user's own modules sent to the executors of a cluster."""

    #: Zip the top-level packages the pipeline's dotted-path components come from and add them to
    #: the session (not in local mode, whose executors share the driver's modules).
    enabled: bool = True
    #: More package folders or module files to ship (helpers the components import), relative to
    #: the directory ``ppf`` runs from.
    paths: list[str] = attrs.field(factory=list)


@attrs.frozen
class SparkSettings:
    """``pipeline.spark``: how the Spark session is built."""

    app_name: str | None = None
    master: str | None = None
    #: A Spark Connect server (``sc://host:port``) to run on instead of a driver in this process;
    #: the environment variable ``SPARK_REMOTE`` is used when this is unset.  It wins over ``master``.
    remote: str | None = None
    #: Spark properties, passed to the session builder exactly as written.
    conf: dict[str, str] = attrs.field(factory=dict)
    ship_code: ShipCodeSettings = attrs.field(factory=ShipCodeSettings)


#: The default port of a Spark Connect server (``sc://host`` without a port).
CONNECT_DEFAULT_PORT = 15002


def connect_address(url: str) -> tuple[str, int] | None:
    """The host and port of a Spark Connect URL (``sc://host[:port][/;params]``); ``None`` if it is not one."""
    from urllib.parse import urlsplit

    parsed = urlsplit(url.split(";", 1)[0])
    try:
        port = parsed.port or CONNECT_DEFAULT_PORT
    except ValueError:  # a port that is not a number
        return None
    if parsed.scheme != "sc" or not parsed.hostname:
        return None
    return parsed.hostname, port


@attrs.frozen
class RetryPolicy:
    """``retry { ... }``: how often and how patiently a failing step is tried again."""

    max_attempts: int = attrs.field(default=1, validator=_at_least(1))
    backoff: Literal["exponential", "linear", "fixed"] = "exponential"
    initial_delay: Seconds = Seconds(1.0)
    max_delay: Seconds = Seconds(60.0)
    #: Random extra wait, up to this many seconds, added to each delay.
    jitter: Seconds = Seconds(0.0)
    #: Give up retrying once this much time has passed since the first attempt.
    timeout: Seconds | None = None
    #: Error class names (or dotted paths) worth retrying; empty means every error that is not
    #: permanent.  Permanent errors (config, Spark analysis, authentication) are never retried.
    retry_on: list[str] = attrs.field(factory=list)


@attrs.frozen
class CircuitBreakerSettings:
    """``circuit_breaker { ... }``: stop calling a system that keeps failing."""

    failure_threshold: int = attrs.field(default=5, validator=_at_least(1))
    timeout: Seconds = Seconds(30.0)
    #: Steps with the same name share one breaker.
    name: str | None = None
    #: A JSON file keeping the breaker's state across runs and processes: a path, or a URL of shared
    #: storage a plugin serves (s3a://bucket/ppf/breakers.json).
    state_file: str | None = None


@attrs.frozen
class DeadLetterSettings:
    """``dead_letter { ... }``: where rows go that a step cannot pass on (quarantined or unparsable)."""

    #: Any sink component, e.g. ParquetSink; ``{step}`` in its config's strings becomes the step name.
    type: str
    config: dict[str, Any] = attrs.field(factory=dict)
    #: Fail the step, before anything downstream writes, when dead rows / rows read exceed this.
    max_ratio: float | None = None


@attrs.frozen
class StepSpec:
    """One entry of ``pipeline.steps``."""

    name: str
    type: str
    config: dict[str, Any] = attrs.field(factory=dict)
    #: Names of the steps whose outputs this step consumes; ``None`` means "the previous step".
    inputs: list[str] | None = None
    description: str = ""
    retry: RetryPolicy | None = None
    circuit_breaker: CircuitBreakerSettings | None = None
    #: What a failure of this step (after its retries) means for the run: ``fail`` stops its
    #: dependents and fails the run; ``skip`` skips it and its dependents (partial success);
    #: ``continue`` hands its input on unchanged to its consumers (partial success).
    on_failure: Literal["fail", "skip", "continue"] = "fail"
    #: Dead-letter sink of this step; the pipeline's ``dead_letter`` when absent.
    dead_letter: DeadLetterSettings | None = None
    #: Keep this step's output in the run ledger so ``ppf run --resume`` can reuse it; the
    #: pipeline's ``checkpoint`` when absent.
    checkpoint: bool | None = None
    #: Streaming pipelines: run this step on the stream itself instead of once per micro-batch
    #: (stateful operations: windowed aggregation or de-duplication with a watermark, stream-static joins).
    on_stream: bool = False
    #: Compute this step's output within the step (persisted), so that a failure while computing it is
    #: this step's, retried and tolerated by its own settings.  ``None``: isolated when the step sets
    #: ``retry``, ``circuit_breaker`` or ``on_failure = skip | continue`` itself.
    isolate: bool | None = None


@attrs.frozen
class StreamingSettings:
    """``pipeline.streaming``: how a pipeline whose source is a stream runs its queries.

    The steps downstream of a streaming source run once per micro-batch as an ordinary batch
    pipeline (Spark's ``foreachBatch``); see ``docs/streaming.md``.
    """

    #: "available_now" (process what is there, then end), "once" (one micro-batch, then end), or a
    #: processing-time interval such as "10s" (a micro-batch every 10 s until stopped); when absent,
    #: each micro-batch starts as soon as the previous one ends.
    trigger: str | None = None
    #: Root directory of the queries' checkpoints (any Hadoop URI); each query keeps its own under
    #: ``<root>/<pipeline>/<step>``.  Restarting with the same root resumes where the last run committed.
    checkpoint_location: str | None = None
    #: On SIGTERM or SIGINT, how long the micro-batch in progress may take to finish before the run is cancelled.
    stop_timeout: Seconds = Seconds(60.0)


@attrs.frozen
class HooksBlock:
    """``pipeline.hooks``: which hook plugins observe the run, and each one's settings block.

    ``enable_<name> = true`` switches on the hook plugin registered under ``<name>`` in the
    ``ppf.plugins`` entry-point group; ``<name> { ... }`` holds that plugin's settings;
    ``plugins = [...]`` lists further hook classes by dotted path.  Not to be confused with
    :class:`~.hook.HookSettings`, the base of one plugin's own typed settings (a ``<name> { ... }``).
    """

    enabled: dict[str, bool] = attrs.field(factory=dict)
    settings: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    plugins: list[str] = attrs.field(factory=list)

    def is_enabled(self, name: str) -> bool:
        return self.enabled.get(name, False)


@attrs.frozen
class PipelineSpec:
    """The whole ``pipeline { ... }`` block."""

    name: str
    steps: list[StepSpec]
    description: str = ""
    spark: SparkSettings = attrs.field(factory=SparkSettings)
    hooks: HooksBlock = attrs.field(factory=HooksBlock)
    #: Pipeline-wide retry default; a step's own ``retry`` block replaces it.
    retry: RetryPolicy | None = None
    #: Pipeline-wide dead-letter default; a step's own ``dead_letter`` block replaces it.
    dead_letter: DeadLetterSettings | None = None
    #: Keep every source's and transform's output in the run ledger (resumable runs; costs a write each).
    checkpoint: bool = False
    #: How many independent steps may run at the same time.
    max_parallel_steps: int = attrs.field(default=4, validator=_at_least(1))
    #: Log level of the run ("debug", "info", "warning", "error"); ``ppf run --log-level`` wins.
    log_level: Literal["debug", "info", "warning", "error"] | None = None
    #: Count each step's rows while Spark computes them anyway (``DataFrame.observe``); no extra job.
    #: Switch off to keep a source's filters pushed down past the observation point.
    observe_rows: bool = True
    #: Settings of streaming pipelines (those with a streaming source).
    streaming: StreamingSettings = attrs.field(factory=StreamingSettings)

    def step(self, name: str) -> StepSpec:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)


#: Old names of this module's classes, still answered (with a DeprecationWarning) until removed.
RENAMED = {
    "HooksSettings": Renamed("HooksBlock", "the pipeline's hooks { } block; HookSettings is a plugin's own settings")
}
__getattr__ = deprecated_names(__name__, RENAMED, globals())
