"""docs/performance.md's summary table is generated from the recorded runs in benchmarks/results/.

No test here times anything: these check that the published figures are the recorded ones, and
that the harness's statistics give the figures recorded with the runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def harness():
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks.harness import results, stats, table

        yield results, stats, table
    finally:
        sys.path.remove(str(ROOT))


def test_the_table_in_the_document_is_the_one_generated_from_the_results_files():
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "table", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_the_published_figures_are_what_the_statistics_give_for_the_recorded_runs(harness):
    results, stats, _ = harness
    for case in ("pipeline", "quickstart", "observability"):
        record = results.latest(case)
        seconds = record["raw"]["seconds"]
        names = tuple(seconds)
        computed = stats.compare(seconds[names[0]], seconds[names[1]], names)
        figures = record["figures"]
        # A record's figures agree with its runs (figures copied from a document: to its three places).
        for key in ("ratio", "median_pair_ratio"):
            assert figures[key] == pytest.approx(computed[key], abs=0.0015), (case, key)
        for key in ("ratio_interval_90", "pair_ratio_interval_90"):
            assert figures[key] == pytest.approx(computed[key], abs=0.0015), (case, key)


def test_the_table_shows_the_latest_record_without_a_variant_and_leaves_the_rest_of_the_document(harness, tmp_path):
    results, _, table = harness
    base = {
        "case": "pipeline",
        "commit": "abc1234",
        "pairs": 3,
        "params": {},
        "machine": None,
        "figures": {"ratio": 1.0, "median_pair_ratio": 1.0, "jobs": {"ppf": [2], "hand": [2]}},
    }
    for started, ratio, variant in (
        ("2026-01-01", 1.10, None),
        ("2026-01-02", 1.02, None),
        ("2026-01-03", 0.50, "rows=100"),
    ):
        results.append(
            {
                **base,
                "started": started,
                "figures": {**base["figures"], "ratio": ratio},
                **({"variant": variant} if variant else {}),
            },
            tmp_path,
        )
    figure = table.ratio_figure("ratio", 1.05)
    rendered = table.render([("pipeline", [figure], "python -m benchmarks run pipeline --pairs {pairs}")], tmp_path)
    assert "**1.020** over 3 pairs" in rendered and "2026-01-02" in rendered and "| yes |" in rendered
    assert "0.500" not in rendered and "1.100" not in rendered

    document = tmp_path / "performance.md"
    document.write_text(f"# Title\n\n{table.BEGIN}\nold table\n{table.END}\n\n## Method\n")
    assert table.write_into(document, rendered)
    assert document.read_text() == f"# Title\n\n{table.BEGIN}\n{rendered}\n{table.END}\n\n## Method\n"
    assert json.loads((tmp_path / "pipeline.jsonl").read_text().splitlines()[-1])["variant"] == "rows=100"


def test_pairs_alternate_which_side_runs_first(harness, monkeypatch):
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks.harness import interleave as module
    finally:
        sys.path.remove(str(ROOT))
    monkeypatch.setattr(module, "wait_until_idle", lambda: 0.0)
    order: list[tuple[str, int]] = []

    def side(name):
        return module.Side(lambda index: order.append((name, index)) or module.Run(float(index)))

    runs = module.interleave(3, {"ppf": side("ppf"), "hand": side("hand")})
    assert order == [("ppf", 0), ("hand", 0), ("hand", 1), ("ppf", 1), ("ppf", 2), ("hand", 2)]
    assert runs.seconds("ppf") == runs.seconds("hand") == [0.0, 1.0, 2.0]
