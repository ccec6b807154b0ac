"""Runs a two-step pipeline with the metrics hook switched on; argv[1] is the hooks.metrics block as JSON.

Used by test_metrics_hook.py in a child process, so the console exporter writes to a real stdout.
"""

from __future__ import annotations

import json
import sys

import structlog

from pyspark_pipeline_framework.core import Sink, SinkConfig, Source, SourceConfig
from pyspark_pipeline_framework.testing import InlineRegistry, run_without_spark, validate_pipeline


class Numbers(Source[SourceConfig]):
    def read(self):
        return [1, 2, 3]


class Discard(Sink[SinkConfig]):
    def write(self, df) -> None:
        return None


def main() -> None:
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))  # stdout is the exporter's
    hooks = {"enable_metrics": True, "metrics": json.loads(sys.argv[1])}
    pipeline = validate_pipeline(
        {
            "name": "console",
            "steps": [{"name": "read", "type": "Numbers"}, {"name": "store", "type": "Discard"}],
            "hooks": hooks,
        },
        InlineRegistry({"Numbers": Numbers, "Discard": Discard}),
    )
    result = run_without_spark(pipeline)
    sys.exit(0 if result.succeeded else 1)


if __name__ == "__main__":
    main()
