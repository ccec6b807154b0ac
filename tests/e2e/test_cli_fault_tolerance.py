"""`ppf run` with a tolerated failure: partial success exit code 3, recorded in the run ledger."""

from __future__ import annotations

import json
import textwrap

import pytest

from .conftest import ppf

pytestmark = pytest.mark.e2e


def test_optional_enrichment_skipped_is_partial_success_and_recorded(tmp_path):
    (tmp_path / "in.csv").write_text("id,name\n1,a\n2,b\n", encoding="utf-8")
    (tmp_path / "p.conf").write_text(
        textwrap.dedent(f"""
        pipeline {{
          name = "enrich"
          spark {{ master = "local[1]", conf {{ "spark.ui.enabled" = "false" }} }}
          steps = [
            {{ name = "users", type = CsvSource, config {{ path = "{tmp_path}/in.csv", options {{ header = "true" }} }} }}
            {{ name = "enrich", type = SqlTransform, on_failure = skip,
               config {{ query = "SELECT id, no_such_api_column FROM users" }} }}
            {{ name = "enriched-out", type = ParquetSink, config {{ path = "{tmp_path}/enriched" }} }}
            {{ name = "plain-out", type = ParquetSink, inputs = [users], config {{ path = "{tmp_path}/plain" }} }}
          ]
        }}
    """),
        encoding="utf-8",
    )
    done = ppf("run", "--config", "p.conf", "--log-format", "json", cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert (tmp_path / "plain").is_dir() and not (tmp_path / "enriched").exists()
    shown = ppf("runs", "show", "last", "--format", "json", cwd=tmp_path)
    record = json.loads(shown.stdout)
    assert record["status"] == "partial" and record["exit_code"] == 3
    assert {n: s["status"] for n, s in record["steps"].items()} == {
        "users": "succeeded",
        "enrich": "skipped",
        "enriched-out": "skipped",
        "plain-out": "succeeded",
    }
    assert "no_such_api_column" in record["steps"]["enrich"]["error"]
