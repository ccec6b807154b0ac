"""Shared fixtures of the whole repository's test suite.

One Spark session for every Spark test in the run (session scope): starting a JVM costs ~5 s.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def spark():
    from pyspark_pipeline_framework.testing import local_spark_session

    session = local_spark_session()
    yield session
    session.stop()
