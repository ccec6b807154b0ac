"""The scheduler integrations' tests: each folder runs in its own nox session (``nox -s airflow`` runs airflow_tests,
``nox -s dagster`` dagster_tests), whose venv has that scheduler; the default suite's venv has neither, so it
does not collect them."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

collect_ignore = [f"{name}_tests" for name in ("airflow", "dagster") if importlib.util.find_spec(name) is None]

# The test pipelines' own steps (ppf_scheduler_steps), found by their dotted paths as a user's are.
sys.path.insert(0, str(Path(__file__).parent))
