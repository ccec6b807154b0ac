"""Reading a source's rows from its scan metric never waits past the listener-bus bound."""

from __future__ import annotations

from types import SimpleNamespace

from pyspark_pipeline_framework.runtime.figures import scanned_rows


class _Seq(list):
    """A Scala Seq as py4j shows it: size() and apply(i)."""

    def size(self):
        return len(self)

    def apply(self, index):
        return self[index]


def _node(kind, *children, ids=()):
    return SimpleNamespace(
        getClass=lambda: SimpleNamespace(getSimpleName=lambda: kind),
        children=lambda: _Seq(children),
        output=lambda: _Seq(SimpleNamespace(exprId=lambda i=i: SimpleNamespace(id=lambda: i)) for i in ids),
    )


def _dataframe(plan):
    query = SimpleNamespace(optimizedPlan=lambda: plan)
    return SimpleNamespace(isStreaming=False, _jdf=SimpleNamespace(queryExecution=lambda: query))


def _spark():
    store = SimpleNamespace(executionsCount=lambda: 0)
    return SimpleNamespace(
        _jsparkSession=SimpleNamespace(sharedState=lambda: SimpleNamespace(statusStore=lambda: store))
    )


def test_plain_scans_are_tracked_and_anything_that_drops_rows_is_not():
    rows = scanned_rows.ScannedRows(_spark())
    assert rows.track("plain", _dataframe(_node("Project", _node("LogicalRelation", ids=(7, 8)))))
    assert not rows.track("filtered", _dataframe(_node("Filter", _node("LogicalRelation", ids=(9,)))))
    assert not rows.track("in-memory", _dataframe(_node("LocalRelation", ids=(10,))))


def test_a_listener_bus_that_does_not_drain_makes_the_figure_missing(monkeypatch):
    waits = []
    monkeypatch.setattr(scanned_rows, "drain_listener_bus", lambda spark: waits.append(spark) or False)
    rows = scanned_rows.ScannedRows(_spark())
    assert rows.track("src", _dataframe(_node("LogicalRelation", ids=(1, 2))))
    assert rows.rows("src") is None  # missing, never invented
    assert len(waits) == 1


def test_a_sum_metric_is_parsed_with_its_grouping_and_nothing_else_is_invented():
    assert scanned_rows._parse_count("4,000,000") == 4_000_000
    assert scanned_rows._parse_count("n/a") is None
