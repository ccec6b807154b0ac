"""Airflow runs against a SQLite metadata database in a temporary AIRFLOW_HOME, migrated once; the tests'
DAG files are written into its DAGs folder, where ``dag.test()`` finds and serializes them."""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

# Before anything imports airflow: it reads its configuration once, at import.
_HOME = tempfile.mkdtemp(prefix="ppf-airflow-home-")
os.environ["AIRFLOW_HOME"] = _HOME
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_HOME}/airflow.db"
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = os.path.join(_HOME, "dags")


@pytest.fixture(scope="session", autouse=True)
def airflow_database():
    """``airflow db migrate``, as a deployment sets up its metadata database."""
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True, timeout=600)
    yield _HOME
    # py4j says goodbye at interpreter exit, through the handler Airflow set up on an output pytest has closed.
    logging.getLogger("py4j").setLevel(logging.WARNING)
    shutil.rmtree(_HOME, ignore_errors=True)


@pytest.fixture
def write_dag():
    return _write_dag


def _write_dag(dag_id: str, **operator_arguments):
    """A DAG file with one PpfRunOperator task ("pipeline") in the DAGs folder, as a user writes it; its DAG."""
    durations = {name: operator_arguments.pop(f"{name}_s", None) for name in ("retry_delay", "execution_timeout")}
    arguments = ", ".join(f"{name}={value!r}" for name, value in operator_arguments.items())
    for name, seconds in durations.items():
        if seconds is not None:
            arguments += f", {name}=timedelta(seconds={seconds})"
    folder = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{dag_id}.py"
    path.write_text(
        textwrap.dedent(f"""
        from datetime import datetime, timedelta

        from airflow.sdk import DAG

        from pyspark_pipeline_framework.integrations.airflow import PpfRunOperator

        with DAG({dag_id!r}, schedule=None, start_date=datetime(2026, 1, 1), catchup=False) as dag:
            PpfRunOperator(task_id="pipeline", {arguments})
        """),
        encoding="utf-8",
    )
    spec = importlib.util.spec_from_file_location(f"ppf_test_dag_{dag_id}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.dag
