"""Failures charged to the step that caused them, and errors a user can act on, as `ppf run` shows them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .conftest import ppf, probe

pytestmark = pytest.mark.e2e

ROWS = 100

FLAKY = '''
import os

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark_pipeline_framework.core import Transform, TransformConfig


class FlakyConfig(TransformConfig):
    state: str
    #: How many attempts of the step fail (each attempt is counted when the step builds its plan).
    failing_attempts: int = 1


class FlakyEnrichment(Transform[FlakyConfig]):
    """Adds id * 10 through a Python UDF that raises, on the executors, during the first attempts."""

    def transform(self, df: DataFrame) -> DataFrame:
        attempts = os.path.join(self.config.state, "attempts")
        os.makedirs(attempts, exist_ok=True)
        attempt = len(os.listdir(attempts)) + 1
        open(os.path.join(attempts, str(attempt)), "w").close()
        failing = attempt <= self.config.failing_attempts
        calls = os.path.join(self.config.state, "calls")

        def enrich(value):
            if failing:
                raise ValueError(f"enrichment service unavailable (attempt {attempt})")
            with open(calls, "a") as log:  # one line per row computed: work done twice would show
                log.write("x\\n")
            return value * 10

        return df.withColumn("enriched", F.udf(enrich, "long")(df["id"]))
'''

PIPELINE = """
pipeline {
  name = "charged"
  spark { master = "local[2]", conf { "spark.ui.enabled" = "false", "spark.sql.shuffle.partitions" = "2" } }
  steps = [
    { name = "numbers", type = "ParquetSource", config { path = "data/numbers" } }
    { name = "enrich", type = "flaky.FlakyEnrichment", config { state = "state", failing_attempts = FAILING } SETTINGS }
    { name = "load", type = "ParquetSink", config { path = "out/enriched", mode = "overwrite" } }
  ]
}
"""


@pytest.fixture
def project(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "flaky.py").write_text(FLAKY)
    (tmp_path / "data" / "numbers").mkdir(parents=True)
    pq.write_table(pa.table({"id": pa.array(range(ROWS), pa.int64())}), tmp_path / "data/numbers/part-0.parquet")
    return tmp_path


def write_pipeline(project: Path, failing: int, settings: str) -> None:
    text = PIPELINE.replace("FAILING", str(failing)).replace("SETTINGS", settings)
    (project / "pipeline.conf").write_text(text)


def events_of(done) -> list[dict]:
    return [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]


def last_run(project: Path) -> dict:
    done = ppf("runs", "show", "last", "--format", "json", cwd=project)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.timeout(600)
def test_a_udf_failing_at_execution_is_retried_in_its_own_step(project):
    write_pipeline(project, 1, ', retry { max_attempts = 3, initial_delay = "10ms" }')
    done = ppf("run", "-c", "pipeline.conf", "--log-format", "json", cwd=project, timeout=540)
    assert done.returncode == 0, done.stderr
    retries = [e for e in events_of(done) if e["event"] == "step_retry"]
    assert [e["step"] for e in retries] == ["enrich"]
    assert "enrichment service unavailable (attempt 1)" in retries[0]["error"]
    steps = last_run(project)["steps"]
    assert (steps["enrich"]["status"], steps["enrich"]["attempts"]) == ("succeeded", 2)
    assert (steps["load"]["status"], steps["load"]["attempts"]) == ("succeeded", 1)
    import pyarrow.parquet as pq

    rows = pq.read_table(str(project / "out" / "enriched")).to_pylist()
    assert sorted((r["id"], r["enriched"]) for r in rows) == [(i, i * 10) for i in range(ROWS)]
    # Computed once, within the step: the sink read the persisted rows instead of calling the UDF again.
    assert (project / "state" / "calls").read_text().count("x") == ROWS


@pytest.mark.timeout(600)
def test_a_udf_failing_at_execution_with_on_failure_continue_hands_its_input_on(project):
    write_pipeline(project, 99, ", on_failure = continue")
    done = ppf("run", "-c", "pipeline.conf", "--log-format", "json", cwd=project, timeout=540)
    assert done.returncode == 3, done.stderr  # partial success
    steps = last_run(project)["steps"]
    assert steps["enrich"]["status"] == "failed" and steps["load"]["status"] == "succeeded"
    error = steps["enrich"]["error"]
    assert "ValueError: enrichment service unavailable (attempt 1)" in error and len(error) < 500, error
    import pyarrow.parquet as pq

    table = pq.read_table(str(project / "out" / "enriched"))
    assert table.column_names == ["id"] and sorted(table.column("id").to_pylist()) == list(range(ROWS))


USER_ERROR = '''
from pyspark_pipeline_framework.core import Transform, TransformConfig


def parse_rate(text):
    return float(text)


class Rates(Transform[TransformConfig]):
    """Converts with a rate read from its config: the rate is wrong."""

    def transform(self, df):
        rate = parse_rate("1,5")
        return df.withColumn("converted", df["id"] * rate)
'''


@pytest.mark.timeout(600)
def test_a_user_exception_shows_its_file_and_line_on_the_console(project):
    (project / "rates.py").write_text(USER_ERROR)
    (project / "pipeline.conf").write_text(
        PIPELINE.replace("flaky.FlakyEnrichment", "rates.Rates").replace(
            'config { state = "state", failing_attempts = FAILING } SETTINGS', ""
        )
    )
    done = ppf("run", "-c", "pipeline.conf", "--log-format", "console", cwd=project, timeout=540)
    assert done.returncode == 1, done.stderr
    module = project / "rates.py"
    assert f"{module}:6 in parse_rate" in done.stderr and f"{module}:13 in transform" in done.stderr, done.stderr
    assert "ValueError: could not convert string to float: '1,5'" in done.stderr
    assert "Traceback" not in done.stderr  # the user's frames only; the whole traceback is in the ledger
    step = last_run(project)["steps"]["enrich"]
    assert f'File "{module}", line 6, in parse_rate' in step["traceback"]
    assert "pyspark_pipeline_framework" in step["traceback"]  # the full traceback, ppf's frames included

    done = ppf("run", "-c", "pipeline.conf", "--log-format", "json", "--log-level", "debug", cwd=project)
    (detail,) = [e for e in events_of(done) if e["event"] == "step_failure_detail"]
    assert f'File "{module}", line 13, in transform' in detail["traceback"]


@pytest.mark.timeout(600)
def test_a_corrupt_parquet_file_gives_a_short_root_cause_on_the_source_step(project):
    (project / "data" / "numbers" / "part-1.parquet").write_bytes(b"PAR1" + b"\x00garbage" * 64)
    (project / "pipeline.conf").write_text(
        PIPELINE.replace(
            'config { path = "data/numbers" }', 'config { path = "data/numbers" }, isolate = true'
        ).replace(
            '{ name = "enrich", type = "flaky.FlakyEnrichment", config { state = "state", failing_attempts = FAILING } SETTINGS }\n',
            "",
        )
    )
    done = ppf("run", "-c", "pipeline.conf", "--log-format", "json", cwd=project, timeout=540)
    assert done.returncode == 1, done.stderr
    steps = last_run(project)["steps"]
    assert steps["numbers"]["status"] == "failed" and steps["load"]["status"] == "not_run", steps
    error = steps["numbers"]["error"]
    assert "part-1.parquet" in error and len(error) < 500, error
    assert "\tat " not in error and "Py4JJavaError" not in error and "Driver stacktrace" not in error, error
    assert "\tat org.apache" not in done.stderr and "Py4JJavaError" not in done.stderr, done.stderr[-3000:]


def test_a_missing_local_input_path_exits_2_before_spark(project):
    write_pipeline(project, 0, "")
    (project / "pipeline.conf").write_text(
        (project / "pipeline.conf").read_text().replace("data/numbers", "data/numbrs")
    )
    done, facts = probe("run", "-c", "pipeline.conf", cwd=project)
    assert facts["exit"] == 2 and facts["jvm_started"] is False, done.stderr
    assert "pipeline.conf:6: pipeline.steps[0].config.path: input path 'data/numbrs' does not exist" in done.stderr
    assert "Traceback" not in done.stderr
    # Another file system's path is Spark's to check; so is a path a sink of the same pipeline writes.
    for path in ("s3a://bucket/numbers", "out/enriched"):
        (project / "other.conf").write_text((project / "pipeline.conf").read_text().replace("data/numbrs", path))
        done, facts = probe("run", "-c", "other.conf", "--dry-run", cwd=project)
        assert facts["exit"] == 0, done.stderr


@pytest.mark.parametrize("java_home", ["missing", "not-executable"])
def test_a_java_home_without_a_usable_java_exits_2_with_a_message(project, java_home, tmp_path):
    write_pipeline(project, 0, "")
    home = tmp_path / "jdk"
    if java_home == "not-executable":
        (home / "bin").mkdir(parents=True)
        (home / "bin" / "java").write_text("")
    done, facts = probe("run", "-c", "pipeline.conf", cwd=project, env={"JAVA_HOME": str(home)})
    assert facts["exit"] == 2 and facts["jvm_started"] is False, done.stderr
    what = "does not exist" if java_home == "missing" else "is not executable"
    assert f"error: JAVA_HOME is '{home}', but {home}/bin/java {what}" in done.stderr, done.stderr
    assert "hint: point JAVA_HOME at a Java 17+ installation" in done.stderr
    assert "Traceback" not in done.stderr


BROKEN_PLUGIN = """
import a_dependency_that_is_not_installed  # noqa: F401

from pyspark_pipeline_framework.core import Hook


class Broken(Hook):
    pass
"""

FAILING_SETUP = """
from pyspark_pipeline_framework.core import Hook


class NeedsAClient(Hook):
    def __init__(self):
        import a_client_that_is_not_installed  # noqa: F401  (imported when the plugin is set up)
"""


def installed_plugin(site: Path, name: str, module: str, source: str, target: str) -> None:
    (site / f"{module}.py").write_text(source)
    dist = site / f"{module}-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[ppf.plugins]\n{name} = {module}:{target}\n")


@pytest.mark.parametrize(
    ("plugin", "source", "target", "message"),
    [
        ("broken", BROKEN_PLUGIN, "Broken", "cannot import hook plugin 'broken': ModuleNotFoundError"),
        ("needs_client", FAILING_SETUP, "NeedsAClient", "hook plugin 'needs_client' could not be set up"),
    ],
)
def test_a_plugin_that_fails_to_import_or_set_up_exits_2_without_a_traceback(
    project, tmp_path, plugin, source, target, message
):
    site = tmp_path / "site"
    site.mkdir()
    installed_plugin(site, plugin, f"ppf_{plugin}", source, target)
    write_pipeline(project, 0, "")
    text = (project / "pipeline.conf").read_text()
    (project / "pipeline.conf").write_text(
        text.replace('name = "charged"', f'name = "charged"\n  hooks {{ enable_{plugin} = true }}')
    )
    env = {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    done, facts = probe("run", "-c", "pipeline.conf", cwd=project, env=env)
    assert facts["exit"] == 2 and facts["jvm_started"] is False, done.stderr
    assert message in done.stderr and f"pipeline.hooks.enable_{plugin}" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
