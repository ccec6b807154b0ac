"""Logging set-up: structlog for the pipeline, Spark's own log4j kept quiet.

Readable console lines on a terminal, JSON lines otherwise (or on request); every event carries
pipeline, run id and step through bound loggers.  Resolved secret values are masked in every line,
structlog's and the standard library's (:mod:`..core.masking`).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from pyspark_pipeline_framework.core.masking import MaskingFilter, mask_log_event

LOG4J_QUIET = Path(__file__).with_name("log4j2-quiet.properties")
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


#: The level ppf logs at, as last configured: Spark's own log level follows it.
_configured_level = "info"


def spark_log_level() -> str:
    """Spark's log4j level for a session ppf builds: errors only, warnings too at ppf's debug level."""
    return "WARN" if _configured_level == "debug" else "ERROR"


class Py4JOnRootFilter(logging.Filter):
    """Leaves out what py4j logs on the root logger when a call into the JVM fails.

    py4j logs a failed call (``Exception while sending command.``, with its traceback) on the root
    logger, then raises to the caller, which reports it in ppf's own format; when a signal stops
    the JVM together with ppf (SIGTERM to the process group), the cancellation expects exactly
    that failure.  The record would only repeat it, outside the log format.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name == "root" and record.module in ("java_gateway", "clientserver"))


def configure_logging(fmt: str = "auto", level: str = "info", stream=None) -> None:
    """Configure structlog (and route standard-library logging through the same stream)."""
    global _configured_level
    stream = stream or sys.stderr
    if fmt == "auto":
        fmt = "console" if stream.isatty() else "json"
    import structlog

    numeric = _LEVELS.get(level.lower())
    if numeric is None:
        raise ValueError(f"unknown log level {level!r}; use one of {', '.join(_LEVELS)}")
    _configured_level = level.lower()
    renderer = (
        structlog.dev.ConsoleRenderer(colors=stream.isatty())
        if fmt == "console"
        else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            mask_log_event,  # after exceptions are text, before anything is rendered
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(stream),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(
        stream=stream, level=max(numeric, logging.WARNING), force=True, format="%(levelname)s %(name)s: %(message)s"
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(MaskingFilter())
        handler.addFilter(Py4JOnRootFilter())
    logging.getLogger("py4j").setLevel(logging.ERROR)


def quiet_spark_conf() -> dict[str, str]:
    """Driver options that keep Spark's startup chatter off the user's terminal."""
    return {
        "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile=file:{LOG4J_QUIET}",
        "spark.ui.showConsoleProgress": "false",  # the console bar garbles log lines
    }
