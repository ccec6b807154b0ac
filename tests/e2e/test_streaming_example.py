"""examples/streaming_orders run as its header says: files -> checks -> Delta, as a stream that catches up and ends."""

from __future__ import annotations

import shutil

import pytest

from .conftest import REPO, ppf

pytestmark = [pytest.mark.e2e, pytest.mark.spark]

GOOD, UNPARSABLE, QUARANTINED = 107, 7, 6  # of the 120 bundled order lines (see the files)


def _dead_rows(folder) -> int:
    return sum(
        len([line for line in f.read_text().splitlines() if line.strip()])
        for f in folder.rglob("*.json")
        if not any(part.startswith(".") for part in f.parts)
    )


def test_the_streaming_example_catches_up_writes_each_order_once_and_resumes(tmp_path):
    from deltalake import DeltaTable

    project = tmp_path / "streaming_orders"
    shutil.copytree(REPO / "examples" / "streaming_orders", project, ignore=shutil.ignore_patterns("out"))
    later = project / "later"
    later.mkdir()
    shutil.move(project / "incoming" / "orders-3.jsonl", later / "orders-3.jsonl")  # arrives after the first run
    env = {"PPF_LEDGER_DIR": str(tmp_path / "ledger")}
    catch_up = ["--override", "streaming.trigger=available_now"]

    first = ppf("run", "--config", "pipeline.conf", *catch_up, cwd=project, env=env)
    assert first.returncode == 0, first.stderr[-3000:]
    orders = DeltaTable(str(project / "out" / "orders")).to_pyarrow_table(columns=["order_id"]).column("order_id")
    assert sorted(orders.to_pylist()) == sorted(i for i in range(1, 81) if i % 17 and i % 19)

    shutil.move(later / "orders-3.jsonl", project / "incoming" / "orders-3.jsonl")
    second = ppf("run", "--config", "pipeline.conf", *catch_up, cwd=project, env=env)
    assert second.returncode == 0, second.stderr[-3000:]
    ids = (
        DeltaTable(str(project / "out" / "orders"))
        .to_pyarrow_table(columns=["order_id"])
        .column("order_id")
        .to_pylist()
    )
    assert len(ids) == len(set(ids)) == GOOD
    assert _dead_rows(project / "out" / "dead" / "orders") == UNPARSABLE
    assert _dead_rows(project / "out" / "dead" / "check-orders") == QUARANTINED

    shown = ppf("runs", "show", "last", cwd=project, env=env)
    assert "query orders-stream.orders: last committed batch 2" in shown.stdout, shown.stdout
