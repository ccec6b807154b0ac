"""ppf's pytest plugin: the testing kit's fixtures, in every project that installs ppf-core.

Registered through the ``pytest11`` entry point, so pytest loads it in every test run of an
environment with ppf-core, JVM-free unit test runs included: importing it imports neither
pyspark nor the engine, and the fixtures import what they need when a test asks for them.

- ``ppf_spark``: one local Spark session for the whole test run (test-friendly settings:
  two cores, two shuffle partitions, no UI, quiet logs, UTC, the installed plugins' jars);
  extra Spark properties come from the ``ppf_spark_conf`` ini option, one ``key=value`` a line.
- ``ppf_hook_calls``: a :class:`~pyspark_pipeline_framework.testing.HookCalls` recorder to give a
  run as a plugin (``plugins=[ppf_hook_calls]``).
- ``ppf_log_events``: the structlog events logged during the test
  (:class:`~pyspark_pipeline_framework.testing.LogEvents`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

SPARK_CONF_OPTION = "ppf_spark_conf"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        SPARK_CONF_OPTION,
        "Spark properties for the ppf_spark session, one key=value a line (added to ppf's test defaults)",
        type="linelist",
        default=[],
    )


def spark_conf_from_ini(lines: list[str]) -> dict[str, str]:
    """The ``ppf_spark_conf`` lines as properties; a line without ``=`` is a usage error naming the option."""
    conf = {}
    for line in lines:
        key, equals, value = line.partition("=")
        if not equals or not key.strip():
            raise pytest.UsageError(f"{SPARK_CONF_OPTION}: expected key=value, got {line!r}")
        conf[key.strip()] = value.strip()
    return conf


@pytest.fixture(scope="session")
def ppf_spark(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One local Spark session for every test of the run; stopped when the run ends."""
    from pyspark_pipeline_framework.testing.session import local_spark_session

    conf = {"spark.sql.warehouse.dir": str(tmp_path_factory.mktemp("spark-warehouse"))}
    conf.update(spark_conf_from_ini(pytestconfig.getini(SPARK_CONF_OPTION)))
    session = local_spark_session(conf=conf)
    yield session
    session.stop()


@pytest.fixture
def ppf_hook_calls() -> Any:
    """A hook plugin recording every hook call of the runs it is given to: ``plugins=[ppf_hook_calls]``."""
    from pyspark_pipeline_framework.testing.capture import HookCalls

    return HookCalls()


@pytest.fixture
def ppf_log_events() -> Iterator[Any]:
    """The structlog events logged during the test, each a dict (``event``, ``log_level``, bound keys)."""
    from pyspark_pipeline_framework.testing.capture import capture_log_events

    with capture_log_events() as events:
        yield events
