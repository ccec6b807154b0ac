"""Shared fixtures of the whole repository's test suite.

One Spark session for every Spark test in the run (session scope): starting a JVM costs ~5 s.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    from pyspark_pipeline_framework.testing import local_spark_session

    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    session = local_spark_session(conf={"spark.sql.warehouse.dir": str(warehouse)})
    yield session
    session.stop()
