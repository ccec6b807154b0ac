"""Dead-letter queue on Spark: quarantined and unparsable rows, their envelope, exact conservation."""

from __future__ import annotations

import json
import re
import tempfile
import textwrap
from pathlib import Path

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings

from pyspark_pipeline_framework.core.results import StepStatus
from pyspark_pipeline_framework.testing import run_pipeline_text

pytestmark = pytest.mark.spark

SCHEMA = "id INT, name STRING, amount DOUBLE"


def csv_line(i: int, kind: str) -> str:
    return {
        "valid": f"{i},name{i},{i % 150}.5",
        "wrong_type": f"{i},name{i},lots",
        "null": f"{i},name{i},",
        "too_many": f"{i},name{i},1.0,extra",
        "garbage": f"#{i}# not a row",
        "quote": f'{i},"open quote,2.0',
    }[kind]


def json_line(i: int, kind: str) -> str:
    return {
        "valid": json.dumps({"id": i, "name": f"name{i}", "amount": i % 150 + 0.5}),
        "wrong_type": json.dumps({"id": i, "name": f"name{i}", "amount": "lots"}),
        "null": json.dumps({"id": i, "name": None, "amount": None}),
        "too_many": json.dumps({"id": i, "name": f"name{i}", "amount": 3.0, "extra": [1]}),
        "garbage": f"#{i}# not json",
        "quote": f'{{"id": {i}, "name": "trunc',
    }[kind]


KINDS = st.sampled_from(["valid", "wrong_type", "null", "too_many", "garbage", "quote"])


def run_fuzz_case(spark, fmt: str, kinds: list[str]):
    folder = Path(tempfile.mkdtemp(prefix=f"ppf-dlq-{fmt}-"))
    lines = [(csv_line if fmt == "csv" else json_line)(i, kind) for i, kind in enumerate(kinds, start=1)]
    (folder / f"in.{fmt}").write_text("\n".join(lines) + "\n", encoding="utf-8")
    source = "CsvSource" if fmt == "csv" else "JsonSource"
    result = run_pipeline_text(
        textwrap.dedent(f"""
        pipeline {{
          name = "dlq"
          dead_letter {{ type = ParquetSink, config {{ path = "{folder}/dead/{{step}}", mode = append }} }}
          steps = [
            {{ name = "src", type = {source}, config {{ path = "{folder}/in.{fmt}", schema = "{SCHEMA}" }} }}
            {{ name = "dq", type = DataQuality, config {{ checks = [
                {{ type = not_null, columns = [amount], action = quarantine }}
                {{ type = range, column = amount, min = 0, max = 100, action = quarantine }}
            ] }} }}
            {{ name = "out", type = ParquetSink, config {{ path = "{folder}/out" }} }}
          ]
        }}
    """),
        spark=spark,
        directory=folder,
    )
    assert result.succeeded, result.to_dict()

    def read(path: Path) -> list:
        return spark.read.parquet(str(path)).collect() if path.exists() else []

    return fmt, result, len(lines), read(folder / "out"), read(folder / "dead" / "src"), read(folder / "dead" / "dq")


def assert_conserved(fmt, result, n_lines, passed, unparsable, quarantined):
    assert len(passed) + len(unparsable) + len(quarantined) == n_lines
    passed_ids = {r["id"] for r in passed}
    quarantined_ids = {r["id"] for r in quarantined}
    unparsable_ids = {int(re.search(r"\d+", r["_corrupt_record"]).group()) for r in unparsable}
    assert len(passed_ids) + len(quarantined_ids) + len(unparsable_ids) == n_lines  # no row twice
    assert passed_ids | quarantined_ids | unparsable_ids == set(range(1, n_lines + 1))
    for row in unparsable + quarantined:
        assert row["_ppf_pipeline"] == "dlq" and row["_ppf_run_id"] == result.run_id
        assert row["_ppf_failed_rules"] and row["_ppf_error"] and row["_ppf_dead_at"] is not None
    for row in quarantined:  # every quarantined row names the rule(s) it failed, NULLs included
        rules = set(row["_ppf_failed_rules"])
        assert ("not_null(amount)" in rules) == (row["amount"] is None)
        assert "range(amount)" in rules  # a NULL amount fails the range check too (allow_null = false)
    assert all(r["_ppf_step"] == "src" and list(r["_ppf_failed_rules"]) == [f"parse_{fmt}"] for r in unparsable)
    assert all(r["_ppf_step"] == "dq" for r in quarantined)
    assert result.step("src").metrics.get("dead_letter_rows", 0) == len(unparsable)
    report = result.step("dq").metrics["data_quality"]
    assert report["rows_quarantined"] == len(quarantined) and report["rows_passed_on"] == len(passed)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kinds=st.lists(KINDS, min_size=1, max_size=12))
def test_conservation_under_fuzzed_csv(spark, kinds):
    assert_conserved(*run_fuzz_case(spark, "csv", kinds))


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kinds=st.lists(KINDS, min_size=1, max_size=12))
def test_conservation_under_fuzzed_json(spark, kinds):
    assert_conserved(*run_fuzz_case(spark, "json", kinds))


def test_every_kind_of_bad_line_at_once(spark):
    every = ["valid", "wrong_type", "null", "too_many", "garbage", "quote", "valid"]
    for fmt in ("csv", "json"):
        case = run_fuzz_case(spark, fmt, every)
        assert_conserved(*case)
        _, _, _, passed, unparsable, quarantined = case
        assert unparsable and quarantined and passed  # the cases above really exercise all three paths


def test_max_ratio_fails_the_step_before_anything_downstream_writes(spark, tmp_path):
    lines = [csv_line(i, "garbage" if i % 2 else "valid") for i in range(1, 11)]
    (tmp_path / "in.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_pipeline_text(
        textwrap.dedent(f"""
        pipeline {{
          name = "ratio"
          steps = [
            {{ name = "src", type = CsvSource, config {{ path = "{tmp_path}/in.csv", schema = "{SCHEMA}" }}
               dead_letter {{ type = ParquetSink, config {{ path = "{tmp_path}/dead" }}, max_ratio = 0.2 }} }}
            {{ name = "out", type = ParquetSink, config {{ path = "{tmp_path}/out" }} }}
          ]
        }}
    """),
        spark=spark,
        directory=tmp_path,
    )
    assert result.exit_code == 1
    src = result.step("src")
    assert src.status is StepStatus.FAILED and "TooManyDeadRows: 5 of 10 rows (50.0%)" in src.error
    assert not (tmp_path / "out").exists() and not (tmp_path / "dead").exists()


def test_a_dead_letter_sinks_secret_references_are_resolved_when_it_writes(spark, tmp_path, monkeypatch):
    lines = [csv_line(i, "garbage" if i == 3 else "valid") for i in range(1, 6)]
    (tmp_path / "in.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setenv("PPF_TEST_DEAD_LETTER_PATH", str(tmp_path / "quarantine"))
    result = run_pipeline_text(
        textwrap.dedent(f"""
        pipeline {{
          name = "dlq-secret"
          steps = [
            {{ name = "src", type = CsvSource, config {{ path = "{tmp_path}/in.csv", schema = "{SCHEMA}" }}
               dead_letter {{ type = ParquetSink, config {{ path = "secret://env/PPF_TEST_DEAD_LETTER_PATH" }} }} }}
            {{ name = "out", type = ParquetSink, config {{ path = "{tmp_path}/out" }} }}
          ]
        }}
    """),
        spark=spark,
        directory=tmp_path,
    )
    assert result.succeeded, result.to_dict()
    dead = spark.read.parquet(str(tmp_path / "quarantine")).collect()
    assert [row["_corrupt_record"] for row in dead] == [csv_line(3, "garbage")]


def dead_rows(spark, path: Path) -> list:
    return spark.read.parquet(str(path)).collect() if path.exists() else []


def test_running_again_with_the_default_mode_adds_the_new_runs_dead_letters(spark, tmp_path):
    lines = [csv_line(i, "garbage" if i in (2, 5) else "valid") for i in range(1, 8)]
    (tmp_path / "in.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    text = textwrap.dedent(f"""
        pipeline {{
          name = "again"
          dead_letter {{ type = ParquetSink, config {{ path = "{tmp_path}/dead/{{step}}" }} }}
          steps = [
            {{ name = "src", type = CsvSource, config {{ path = "{tmp_path}/in.csv", schema = "{SCHEMA}" }} }}
            {{ name = "out", type = ParquetSink, config {{ path = "{tmp_path}/out", mode = overwrite }} }}
          ]
        }}
    """)
    first = run_pipeline_text(text, spark=spark, directory=tmp_path)
    second = run_pipeline_text(text, spark=spark, directory=tmp_path)
    assert first.succeeded and second.succeeded, second.to_dict()
    dead = dead_rows(spark, tmp_path / "dead" / "src")
    assert sorted((r["_ppf_run_id"], r["_corrupt_record"]) for r in dead) == sorted(
        (run.run_id, csv_line(i, "garbage")) for run in (first, second) for i in (2, 5)
    )


def test_a_step_without_dead_rows_writes_no_dead_letter_dataset(spark, tmp_path):
    (tmp_path / "in.csv").write_text("\n".join(csv_line(i, "valid") for i in range(1, 6)) + "\n", encoding="utf-8")
    result = run_pipeline_text(
        textwrap.dedent(f"""
        pipeline {{
          name = "clean"
          dead_letter {{ type = ParquetSink, config {{ path = "{tmp_path}/dead/{{step}}", mode = error }} }}
          steps = [
            {{ name = "src", type = CsvSource, config {{ path = "{tmp_path}/in.csv", schema = "{SCHEMA}" }} }}
            {{ name = "dq", type = DataQuality, config {{ checks = [
                {{ type = not_null, columns = [amount], action = quarantine }} ] }} }}
            {{ name = "out", type = ParquetSink, config {{ path = "{tmp_path}/out" }} }}
          ]
        }}
    """),
        spark=spark,
        directory=tmp_path,
    )
    assert result.succeeded, result.to_dict()
    assert not (tmp_path / "dead").exists()  # not even an empty dataset: a re-run with mode = error works
    assert result.step("src").metrics["dead_letter_rows"] == 0 and result.step("dq").metrics["dead_letter_rows"] == 0
    assert len(spark.read.parquet(str(tmp_path / "out")).collect()) == 5


def amounts_pipeline(tmp_path, extra: str = "") -> str:
    return textwrap.dedent(f"""
        pipeline {{
          name = "flaky-dead"
          {extra}
          steps = [
            {{ name = "src", type = ParquetSource, config {{ path = "{tmp_path}/in" }} }}
            {{ name = "negatives", type = "ppf_spark_components.NegativesToDeadLetters",
               config {{ fail_once_marker = "{tmp_path}/failed-once" }}
               dead_letter {{ type = ParquetSink, config {{ path = "{tmp_path}/dead" }} }} }}
            {{ name = "out", type = ParquetSink, config {{ path = "{tmp_path}/out", mode = overwrite }} }}
          ]
        }}
    """)


@pytest.fixture
def amounts(spark, tmp_path):
    rows = [(i, f"name{i}", float(-i if i % 4 == 0 else i)) for i in range(1, 21)]
    spark.createDataFrame(rows, SCHEMA).write.parquet(str(tmp_path / "in"))
    return sorted(i for i, _, amount in rows if amount < 0)


def test_a_retried_step_writes_its_dead_letters_once(spark, tmp_path, amounts):
    text = amounts_pipeline(tmp_path, 'retry { max_attempts = 2, initial_delay = "10ms" }')
    result = run_pipeline_text(text, spark=spark, directory=tmp_path)
    assert result.succeeded and result.step("negatives").attempts == 2, result.to_dict()
    dead = dead_rows(spark, tmp_path / "dead")
    assert sorted(r["id"] for r in dead) == amounts  # the failed attempt's dead letters were never written
    assert {r["_ppf_run_id"] for r in dead} == {result.run_id}
    assert result.step("negatives").metrics["dead_letter_rows"] == len(amounts)


def test_a_resumed_run_writes_the_failed_steps_dead_letters_once(spark, tmp_path, amounts):
    from pyspark_pipeline_framework.runner.config.preflight import validate
    from pyspark_pipeline_framework.runner.config.reading import load_pipeline_file
    from pyspark_pipeline_framework.runtime.resilience.ledger import RunLedger
    from pyspark_pipeline_framework.runtime.run.launch import run_pipeline

    (tmp_path / "pipeline.conf").write_text(amounts_pipeline(tmp_path, "checkpoint = true"), encoding="utf-8")
    ledger = RunLedger(tmp_path / "ledger")
    first = run_pipeline(validate(load_pipeline_file(tmp_path / "pipeline.conf")), spark=spark, ledger=ledger)
    assert first.exit_code == 1 and first.step("negatives").status is StepStatus.FAILED
    assert dead_rows(spark, tmp_path / "dead") == []  # the failed step's dead letters were not committed
    resumed = run_pipeline(
        validate(load_pipeline_file(tmp_path / "pipeline.conf")), spark=spark, ledger=ledger, resume="last"
    )
    assert resumed.succeeded and resumed.ran == ["negatives", "out"], resumed.to_dict()
    assert sorted(r["id"] for r in dead_rows(spark, tmp_path / "dead")) == amounts


def continued_pipeline(tmp_path, query: str, out_mode: str = "overwrite") -> str:
    """``negatives`` runs on the input of ``enrich``, which fails with ``on_failure = continue`` while its query is wrong."""
    return textwrap.dedent(f"""
        pipeline {{
          name = "continued"
          checkpoint = true
          steps = [
            {{ name = "src", type = ParquetSource, config {{ path = "{tmp_path}/in" }} }}
            {{ name = "enrich", type = SqlTransform, on_failure = continue, config {{ query = "{query}" }} }}
            {{ name = "negatives", type = "ppf_spark_components.NegativesToDeadLetters",
               config {{ fail_once_marker = "{tmp_path}/failed-once" }}
               dead_letter {{ type = ParquetSink, config {{ path = "{tmp_path}/dead" }} }} }}
            {{ name = "out", type = ParquetSink, config {{ path = "{tmp_path}/out", mode = {out_mode} }} }}
          ]
        }}
    """)


@pytest.mark.parametrize("out_mode", ["overwrite", "append"])
def test_resuming_a_partial_success_never_appends_dead_letters_or_output_twice(spark, tmp_path, amounts, out_mode):
    from pyspark_pipeline_framework.runner.config.preflight import validate
    from pyspark_pipeline_framework.runner.config.reading import load_pipeline_file
    from pyspark_pipeline_framework.runtime.resilience.ledger import ResumeRefused, RunLedger
    from pyspark_pipeline_framework.runtime.run.launch import run_pipeline

    (tmp_path / "failed-once").touch()  # negatives does not fail: only enrich does
    conf = tmp_path / "pipeline.conf"
    conf.write_text(continued_pipeline(tmp_path, "SELECT no_such_column FROM src", out_mode), encoding="utf-8")
    ledger = RunLedger(tmp_path / "ledger")
    first = run_pipeline(validate(load_pipeline_file(conf)), spark=spark, ledger=ledger)
    assert first.exit_code == 3 and first.step("negatives").status is StepStatus.SUCCEEDED, first.to_dict()
    assert sorted(r["id"] for r in dead_rows(spark, tmp_path / "dead")) == amounts
    assert ledger.load(first.run_id)["steps"]["negatives"]["dead_letters_written"] == len(amounts)

    conf.write_text(continued_pipeline(tmp_path, "SELECT * FROM src", out_mode), encoding="utf-8")  # fixed
    with pytest.raises(ResumeRefused) as refused:
        run_pipeline(validate(load_pipeline_file(conf)), spark=spark, ledger=ledger, resume="last")
    message = str(refused.value)
    assert f"step 'negatives' appended {len(amounts)} dead letters to {tmp_path}/dead" in message
    assert ("step 'out' appended its output" in message) == (out_mode == "append")
    assert first.run_id in refused.value.hint
    # Nothing was written again.
    assert sorted(r["id"] for r in dead_rows(spark, tmp_path / "dead")) == amounts


def test_resuming_a_partial_success_without_appended_rows_reruns_the_continued_branch(spark, tmp_path):
    from pyspark_pipeline_framework.runner.config.preflight import validate
    from pyspark_pipeline_framework.runner.config.reading import load_pipeline_file
    from pyspark_pipeline_framework.runtime.resilience.ledger import RunLedger
    from pyspark_pipeline_framework.runtime.run.launch import run_pipeline

    spark.createDataFrame([(i, f"name{i}", float(i)) for i in range(1, 6)], SCHEMA).write.parquet(str(tmp_path / "in"))
    (tmp_path / "failed-once").touch()
    conf = tmp_path / "pipeline.conf"
    conf.write_text(continued_pipeline(tmp_path, "SELECT no_such_column FROM src"), encoding="utf-8")
    ledger = RunLedger(tmp_path / "ledger")
    first = run_pipeline(validate(load_pipeline_file(conf)), spark=spark, ledger=ledger)
    assert first.exit_code == 3 and "dead_letters_written" not in ledger.load(first.run_id)["steps"]["negatives"]

    conf.write_text(continued_pipeline(tmp_path, "SELECT id, name, amount * 10 AS amount FROM src"), encoding="utf-8")
    resumed = run_pipeline(validate(load_pipeline_file(conf)), spark=spark, ledger=ledger, resume="last")
    assert resumed.succeeded and resumed.ran == ["enrich", "negatives", "out"], resumed.to_dict()
    assert sorted(r["amount"] for r in spark.read.parquet(str(tmp_path / "out")).collect()) == [10, 20, 30, 40, 50]


def test_the_audit_record_of_a_source_has_its_rows_read_and_dead_letter_rows(spark, tmp_path):
    lines = [csv_line(i, "garbage" if i % 3 == 0 else "valid") for i in range(1, 10)]
    (tmp_path / "in.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_pipeline_text(
        textwrap.dedent(f"""
        pipeline {{
          name = "audited"
          dead_letter {{ type = ParquetSink, config {{ path = "{tmp_path}/dead/{{step}}" }} }}
          steps = [
            {{ name = "src", type = CsvSource, config {{ path = "{tmp_path}/in.csv", schema = "{SCHEMA}" }} }}
            {{ name = "out", type = ParquetSink, config {{ path = "{tmp_path}/out" }} }}
          ]
          hooks {{ enable_audit_log = true, audit_log {{ path = "{tmp_path}/audit.jsonl" }} }}
        }}
    """),
        spark=spark,
        directory=tmp_path,
    )
    assert result.succeeded, result.to_dict()
    records = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text(encoding="utf-8").splitlines()]
    source = next(r for r in records if r["event"] == "step" and r["step"] == "src")
    assert (source["rows_read"], source["dead_letter_rows"], source["rows_out"]) == (9, 3, 6)
