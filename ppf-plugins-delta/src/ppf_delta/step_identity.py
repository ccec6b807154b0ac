"""Which step a component instance serves, for transaction ids and error messages.

The executor binds ``step=<name>`` into the structlog logger it hands each component (a
documented part of the component contract); the pipeline spec gives that step's index.
"""

from __future__ import annotations

from typing import Any


def step_name(component: Any) -> str:
    import structlog

    try:
        name = structlog.get_context(component.logger).get("step")
    except Exception:  # a logger that is not a bound structlog logger
        name = None
    return str(name) if name else type(component).__name__


def config_path(component: Any, key: str) -> str:
    """``pipeline.steps[2].config.<key>`` for the component's step, as config errors print it."""
    name = step_name(component)
    pipeline = getattr(component.context, "pipeline", None)
    for index, step in enumerate(getattr(pipeline, "steps", None) or []):
        if step.name == name:
            return f"pipeline.steps[{index}].config.{key}"
    return f"step {name!r} config.{key}"
