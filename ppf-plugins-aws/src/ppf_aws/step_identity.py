"""The config path of a component's step, as config errors print it (``pipeline.steps[0].config.path``).

The executor binds ``step=<name>`` into the structlog logger it hands each component; the
pipeline spec gives that step's index.
"""

from __future__ import annotations

from typing import Any


def config_path(component: Any, key: str) -> str:
    import structlog

    try:
        name = structlog.get_context(component.logger).get("step")
    except Exception:  # a logger that is not a bound structlog logger
        name = None
    pipeline = getattr(component.context, "pipeline", None)
    for index, step in enumerate(getattr(pipeline, "steps", None) or []):
        if step.name == name:
            return f"pipeline.steps[{index}].config.{key}"
    return f"config.{key}"
