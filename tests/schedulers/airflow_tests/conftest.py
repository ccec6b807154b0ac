"""Airflow runs against a SQLite metadata database in a temporary AIRFLOW_HOME, migrated once."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

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
    shutil.rmtree(_HOME, ignore_errors=True)
