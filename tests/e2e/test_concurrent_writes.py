"""Two `ppf run` processes writing the same new target at once: one result, nothing nested."""

from __future__ import annotations

import subprocess
import textwrap

import pytest

from .conftest import BIN

pytestmark = pytest.mark.e2e


def start(tmp_path, tag: str, mode: str) -> subprocess.Popen:
    conf = tmp_path / f"{tag}.conf"
    # Each row sleeps 150 ms inside the JVM: both writes are under way long before either commits,
    # so both find the target missing when they start and meet at the commit.
    conf.write_text(
        textwrap.dedent(f"""
        pipeline {{
          name = "writer-{tag}"
          spark {{ master = "local[1]", conf {{ "spark.ui.enabled" = "false" }} }}
          steps = [
            {{ name = "src", type = CsvSource, config {{ path = "{tmp_path}/in.csv", options {{ header = "true" }}, schema = "id INT" }} }}
            {{ name = "slow", type = SqlTransform, config {{ query =
                "SELECT id, '{tag}' AS tag, reflect('java.lang.Thread', 'sleep', CAST(150 AS BIGINT)) AS slept FROM src" }} }}
            {{ name = "out", type = ParquetSink, config {{ path = "{tmp_path}/target", mode = {mode} }} }}
          ]
        }}
    """),
        encoding="utf-8",
    )
    return subprocess.Popen(
        [str(BIN / "ppf"), "run", "--config", str(conf)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def race(tmp_path, mode: str) -> dict[str, tuple[int, str]]:
    (tmp_path / "in.csv").write_text("id\n" + "\n".join(str(i) for i in range(40)) + "\n", encoding="utf-8")
    processes = {tag: start(tmp_path, tag, mode) for tag in ("a", "b")}
    outcomes = {}
    for tag, process in processes.items():
        output, _ = process.communicate(timeout=400)
        outcomes[tag] = (process.returncode, output)
    return outcomes


def tags_in_target(tmp_path) -> list[str]:
    import pyarrow.parquet as pq

    return sorted(set(pq.read_table(tmp_path / "target").column("tag").to_pylist()))


def assert_nothing_nested_or_left(tmp_path) -> None:
    assert [p.name for p in (tmp_path / "target").rglob(".*") if not p.name.endswith(".crc")] == []
    assert sorted(p.name for p in tmp_path.iterdir() if ".ppf-" in p.name) == []


def test_two_first_writes_with_mode_error_one_wins_the_other_fails_clearly(tmp_path):
    outcomes = race(tmp_path, "error")
    codes = sorted(code for code, _ in outcomes.values())
    assert codes == [0, 1], outcomes
    loser = next(tag for tag, (code, _) in outcomes.items() if code == 1)
    assert "already exists (mode = error)" in outcomes[loser][1]
    assert tags_in_target(tmp_path) == ["b" if loser == "a" else "a"]
    assert_nothing_nested_or_left(tmp_path)


def test_two_first_overwrites_leave_one_complete_result(tmp_path):
    import pyarrow.parquet as pq

    outcomes = race(tmp_path, "overwrite")
    assert [code for code, _ in outcomes.values()] == [0, 0], outcomes
    assert len(tags_in_target(tmp_path)) == 1
    assert sorted(pq.read_table(tmp_path / "target").column("id").to_pylist()) == list(range(40))
    assert_nothing_nested_or_left(tmp_path)
