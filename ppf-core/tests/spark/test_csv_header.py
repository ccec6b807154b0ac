"""A CSV source with a header and a declared schema checks the header, instead of reading by position."""

from __future__ import annotations

import textwrap

import pytest

from pyspark_pipeline_framework.core.results import StepStatus
from pyspark_pipeline_framework.testing import job_count, run_pipeline_text

pytestmark = pytest.mark.spark

SCHEMA = "id INT, name STRING, amount DOUBLE"


def run(spark, tmp_path, options: str = 'header = "true"', extra: str = "", dead_letter: str = ""):
    return run_pipeline_text(
        textwrap.dedent(f"""
        pipeline {{
          name = "header"
          steps = [
            {{ name = "src", type = CsvSource, config {{ path = "{tmp_path}/in", options {{ {options} }},
               schema = "{SCHEMA}" {extra} }} {dead_letter} }}
            {{ name = "out", type = ParquetSink, config {{ path = "{tmp_path}/out", mode = overwrite }} }}
          ]
        }}
    """),
        spark=spark,
        directory=tmp_path,
    )


def write_csv(tmp_path, header: str, name: str = "part-1.csv", rows: int = 3) -> None:
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    lines = [header] + [f"{i},n{i},{i}.5" for i in range(rows)]
    (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_renamed_column_fails_the_source_step_naming_both_names(spark, tmp_path):
    write_csv(tmp_path, "id,nme,amount")
    result = run(spark, tmp_path)
    src = result.step("src")
    assert result.exit_code == 1 and src.status is StepStatus.FAILED and src.attempts == 1
    assert src.error.startswith("HeaderMismatch: the header of ")
    assert "column 2 is 'nme' in the file but 'name' in the schema" in src.error
    assert "column 1" not in src.error and "column 3" not in src.error  # only the differing columns
    assert not (tmp_path / "out").exists()


def test_reordered_and_extra_columns_are_named(spark, tmp_path):
    write_csv(tmp_path, "name,id,amount,extra")
    error = run(spark, tmp_path).step("src").error
    assert "column 1 is 'name' in the file but 'id' in the schema" in error
    assert "column 2 is 'id' in the file but 'name' in the schema" in error
    assert "column 4 is 'extra' in the file but missing in the schema" in error


def test_a_matching_header_reads_as_before_and_names_compare_case_insensitively(spark, tmp_path):
    write_csv(tmp_path, "ID,Name,amount")
    result = run(spark, tmp_path)
    assert result.succeeded, result.to_dict()
    assert job_count(spark, result) == 1  # the write; the header is read on the driver, without a job
    assert sorted(r["name"] for r in spark.read.parquet(str(tmp_path / "out")).collect()) == ["n0", "n1", "n2"]


def test_check_header_false_reads_by_position(spark, tmp_path):
    write_csv(tmp_path, "id,nme,amount")
    result = run(spark, tmp_path, extra=", check_header = false")
    assert result.succeeded, result.to_dict()
    assert sorted(r["name"] for r in spark.read.parquet(str(tmp_path / "out")).collect()) == ["n0", "n1", "n2"]


def test_a_later_file_with_another_header_fails_through_sparks_own_check(spark, tmp_path):
    write_csv(tmp_path, "id,name,amount", "part-1.csv")
    write_csv(tmp_path, "id,title,amount", "part-2.csv")
    result = run(spark, tmp_path)
    assert result.exit_code == 1
    error = result.step("out").error  # Spark checks each file's header as it reads it
    assert "title" in error and "name" in error


def test_the_header_is_checked_when_unparsable_records_go_to_the_dead_letters(spark, tmp_path):
    write_csv(tmp_path, "id,nme,amount")
    result = run(
        spark, tmp_path, dead_letter=f'dead_letter {{ type = ParquetSink, config {{ path = "{tmp_path}/dead" }} }}'
    )
    assert "column 2 is 'nme' in the file but 'name' in the schema" in result.step("src").error
    write_csv(tmp_path, "id,name,amount")
    (tmp_path / "in" / "part-1.csv").write_text("id,name,amount\n1,a,1.5\n#garbage\n", encoding="utf-8")
    result = run(
        spark, tmp_path, dead_letter=f'dead_letter {{ type = ParquetSink, config {{ path = "{tmp_path}/dead" }} }}'
    )
    assert result.succeeded, result.to_dict()
    assert [r["_corrupt_record"] for r in spark.read.parquet(str(tmp_path / "dead")).collect()] == ["#garbage"]
