"""DataQuality check configs are validated before any JVM starts, every problem with its path and line."""

from __future__ import annotations

import sys

import pytest

from pyspark_pipeline_framework.core.errors import ConfigError
from pyspark_pipeline_framework.quality import RowCheck
from pyspark_pipeline_framework.quality.registry import build_checks
from pyspark_pipeline_framework.runner.config.preflight import validate
from pyspark_pipeline_framework.runner.config.reading import load_pipeline_file

T = "ppf_test_components"


def test_every_check_problem_is_reported_with_path_and_line(write_conf):
    path = write_conf(f"""
    pipeline {{
      name = "dq"
      steps = [
        {{ name = "src", type = "{T}.Numbers", config {{ values = [1] }} }}
        {{ name = "dq", type = DataQuality, config {{ checks = [
            {{ type = not_nul, columns = [id] }}
            {{ type = range, column = amount }}
            {{ type = regex, column = email, pattern = "([" }}
            {{ type = row_count, min = 1, action = drop }}
            {{ type = accepted_values, column = c, values = [a], tolerance = 2 }}
            {{ type = unique, columns = [id], colour = red }}
        ] }} }}
        {{ name = "out", type = "{T}.Collect" }}
      ]
    }}
    """)
    with pytest.raises(ConfigError) as caught:
        validate(load_pipeline_file(path))
    issues = {issue.path.removeprefix("pipeline.steps[1].config."): issue for issue in caught.value.issues}
    assert "did you mean 'not_null'" in issues["checks[0].type"].message
    assert "give min, max or both" in issues["checks[1].min"].message
    assert "regular expression" in issues["checks[2].pattern"].message
    assert "can only fail or warn" in issues["checks[3].action"].message
    assert "between 0 and 1" in issues["checks[4].tolerance"].message
    assert "unknown key" in issues["checks[5].colour"].message
    assert len(issues) == 6
    assert all(issue.line is not None for issue in caught.value.issues)


def test_checks_build_without_pyspark():
    import subprocess

    code = (
        "import sys\nfrom pyspark_pipeline_framework.quality.registry import build_checks\n"
        "checks, problems = build_checks([{'type': 'not_null', 'columns': ['id']}, {'type': 'freshness', "
        "'column': 'ts', 'max_age': '1d'}])\n"
        "assert problems == [], problems\nassert checks[1].config.max_age == 86400.0\n"
        "assert 'pyspark' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


class EvenOnly(RowCheck):
    """A custom check, by dotted path."""

    def failing(self, df):  # pragma: no cover - no Spark here
        raise NotImplementedError


def test_custom_check_by_dotted_path_and_duplicate_names():
    checks, problems = build_checks(
        [{"type": f"{__name__}.EvenOnly", "name": "even"}, {"type": "not_null", "columns": ["a"], "name": "even"}]
    )
    assert [type(c).__name__ for c in checks] == ["EvenOnly", "NotNull"]
    assert problems == [("checks[1].name", "two checks are named 'even'; give one a `name`")]


def test_dead_letter_blocks_are_validated(write_conf):
    path = write_conf(f"""
    pipeline {{
      name = "dlq"
      dead_letter {{ type = Filter, config {{ path = "x" }} }}
      steps = [
        {{ name = "src", type = "{T}.Numbers", config {{ values = [1] }} }}
        {{ name = "dq", type = DataQuality, config {{ checks = [ {{ type = not_null, columns = [a], action = quarantine }} ] }}
           dead_letter {{ type = ParquetSink, config {{ path = "/dead/{{step}}", mood = append }}, max_ratio = 1.5 }} }}
        {{ name = "dq2", type = DataQuality, config {{ checks = [ {{ type = not_null, columns = [a], action = quarantine }} ] }} }}
        {{ name = "out", type = "{T}.Collect" }}
      ]
    }}
    """)
    with pytest.raises(ConfigError) as caught:
        validate(load_pipeline_file(path))
    issues = {issue.path: issue.message for issue in caught.value.issues}
    assert "between 0 and 1" in issues["pipeline.steps[1].dead_letter.max_ratio"]
    assert "unknown key" in issues["pipeline.steps[1].dead_letter.config.mood"]
    assert "a transform; a dead-letter queue needs a sink" in issues["pipeline.dead_letter.type"]
    assert len(issues) == 3  # the pipeline-level problem is reported once, not per step


def test_quarantine_needs_a_dead_letter_sink(write_conf):
    path = write_conf(f"""
    pipeline {{
      name = "dlq"
      steps = [
        {{ name = "src", type = "{T}.Numbers", config {{ values = [1] }} }}
        {{ name = "dq", type = DataQuality, config {{ checks = [ {{ type = not_null, columns = [a], action = quarantine }} ] }} }}
        {{ name = "out", type = "{T}.Collect" }}
      ]
    }}
    """)
    with pytest.raises(ConfigError) as caught:
        validate(load_pipeline_file(path))
    (issue,) = caught.value.issues
    assert issue.path == "pipeline.steps[1]" and "no dead-letter sink" in issue.message and issue.line == 5


def test_pipeline_dead_letter_gives_each_step_that_produces_them_its_own_location(write_conf):
    path = write_conf(f"""
    pipeline {{
      name = "dlq"
      dead_letter {{ type = ParquetSink, config {{ path = "/dead/{{step}}", mode = append }} }}
      steps = [
        {{ name = "src", type = CsvSource, config {{ path = "in.csv" }} }}
        {{ name = "dq", type = DataQuality, config {{ checks = [ {{ type = not_null, columns = [a], action = quarantine }} ] }} }}
        {{ name = "out", type = "{T}.Collect" }}
      ]
    }}
    """)
    pipeline = validate(load_pipeline_file(path))
    assert pipeline.dead_letters["src"].config.path == "/dead/src"
    assert pipeline.dead_letters["dq"].config.path == "/dead/dq"
    assert "out" not in pipeline.dead_letters  # a sink sends no dead letters
