"""Loading pipeline files: HOCON features, overrides and syntax errors."""

from __future__ import annotations

import sys

import pytest

from pyspark_pipeline_framework.core.errors import ConfigError
from pyspark_pipeline_framework.runner.config.reading import load_pipeline_file, parse_override


def test_comments_substitution_and_include_relative_to_including_file(write_conf, tmp_path):
    write_conf('base_path = "/data"\nshared { master = "local[3]" }\n', "conf/common.conf")
    path = write_conf(
        """
        include "common.conf"   # relative to this file, not to the working directory
        pipeline {
          name = "p"  // comment
          input = ${base_path}"/raw"
          spark { master = ${shared.master} }
        }
        """,
        "conf/pipeline.conf",
    )
    loaded = load_pipeline_file(path)
    assert loaded.raw["input"] == "/data/raw"
    assert loaded.raw["spark"]["master"] == "local[3]"
    assert loaded.sources[1].name == "common.conf"


def test_optional_environment_variable(write_conf, monkeypatch):
    path = write_conf('pipeline { name = p, spark { master = "local[1]", master = ${?PPF_TEST_MASTER} } }')
    monkeypatch.delenv("PPF_TEST_MASTER", raising=False)
    assert load_pipeline_file(path).raw["spark"]["master"] == "local[1]"
    monkeypatch.setenv("PPF_TEST_MASTER", "spark://h:7077")
    assert load_pipeline_file(path).raw["spark"]["master"] == "spark://h:7077"


def test_missing_required_environment_variable_names_it_with_line(write_conf, monkeypatch):
    monkeypatch.delenv("PPF_SURELY_UNSET", raising=False)
    path = write_conf("pipeline {\n  name = p\n  spark { master = ${PPF_SURELY_UNSET} }\n}\n")
    with pytest.raises(ConfigError) as caught:
        load_pipeline_file(path)
    (issue,) = caught.value.issues
    assert "PPF_SURELY_UNSET" in issue.message
    assert issue.line == 3
    assert "export PPF_SURELY_UNSET" in issue.hint


def test_syntax_error_reports_file_and_line(write_conf):
    path = write_conf("pipeline {\n  name = p\n  steps = [\n    { name = a \n  }\n")
    with pytest.raises(ConfigError) as caught:
        load_pipeline_file(path)
    (issue,) = caught.value.issues
    assert issue.file == str(path)
    assert issue.line is not None and issue.line >= 4
    assert "syntax" in issue.message.lower()


def test_overrides_are_relative_to_pipeline_and_parsed_as_hocon(write_conf):
    path = write_conf('pipeline { name = p, spark { master = "local[*]" }, max_parallel_steps = 4 }')
    loaded = load_pipeline_file(
        path,
        [
            "spark.master=spark://cluster:7077",  # not a HOCON comment: taken literally
            "max_parallel_steps=2",
            'spark.conf={"spark.sql.shuffle.partitions" = "8"}',
            "extra=[1, 2]",
        ],
    )
    assert loaded.raw["spark"]["master"] == "spark://cluster:7077"
    assert loaded.raw["max_parallel_steps"] == 2
    assert loaded.raw["spark"]["conf"] == {"spark.sql.shuffle.partitions": "8"}
    assert loaded.raw["extra"] == [1, 2]


def test_override_wins_over_substitution_source(write_conf):
    path = write_conf('root = "/a"\npipeline { name = p, out = ${root}"/x" }')
    assert load_pipeline_file(path, ["out=/b/x"]).raw["out"] == "/b/x"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("spark.master=local[2]", ("spark.master", "local[2]")),
        ("pipeline.name=x", ("name", "x")),
        ("a=true", ("a", True)),
        ("a=3.5", ("a", 3.5)),
        ('a="quoted # not a comment"', ("a", "quoted # not a comment")),
    ],
)
def test_parse_override(text, expected):
    assert parse_override(text) == expected


def test_malformed_override_is_a_config_error():
    with pytest.raises(ConfigError, match="key=value"):
        parse_override("no-equals-sign")


def test_reading_a_file_leaves_the_import_path_alone(write_conf, tmp_path, monkeypatch):
    """Only the command line makes the working directory importable (see runner/cli.py)."""
    path = write_conf('pipeline { name = "p", steps = [] }')
    monkeypatch.chdir(tmp_path)
    before = list(sys.path)
    load_pipeline_file(path)
    assert sys.path == before


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_pipeline_file(tmp_path / "nope.conf")


def test_overrides_address_steps_by_index_or_name(write_conf):
    path = write_conf("""
        pipeline {
          name = p
          steps = [
            { name = "read", type = T, config { path = "/a" } }
            { name = "write", type = T, config { path = "/b" } }
          ]
        }
    """)
    loaded = load_pipeline_file(path, ["steps[0].config.path=/x", "steps.write.config.mode=overwrite"])
    assert loaded.raw["steps"][0]["config"]["path"] == "/x"
    assert loaded.raw["steps"][1]["config"] == {"path": "/b", "mode": "overwrite"}
    with pytest.raises(ConfigError, match="no step named 'nope'"):
        load_pipeline_file(path, ["steps.nope.config.path=/x"])
    with pytest.raises(ConfigError, match="does not exist"):
        load_pipeline_file(path, ["steps[5].config.path=/x"])
