"""Validation of large configs: ``ppf validate`` on generated pipelines of 100 and 1,000 steps, no JVM.

A pipeline of N steps: a parquet source, N-2 built-in transforms (``Filter`` and
``SelectColumns`` alternating), a parquet sink.  Whole-process wall time: HOCON parsing,
structuring and pre-flight checks.  Interleaved with the same command reading the file with
pyhocon alone (how ``ppf validate`` read every file before its plain-HOCON reader), both through
``validate_with.py`` so that both start alike.  The same comparison in one warm process (reading
and checking only, as an editor integration or ``ppf validate`` of many files sees it) is reported
beside it: a whole process of 100 steps is mostly Python's and the CLI's start-up.

Pyhocon alone shares today's start-up, so it cannot show what a faster start-up gains.  The
issue's own yardstick is ``ppf validate`` as it was when the work on its speed began (commit
``AS_FILED``, the last before the plain reader): its sources are exported from git and run with
the same interpreter and installed dependencies, interleaved with today's, both through
``validate_cli.py``.  Beside them, the floor of any ``ppf`` command: a process that only imports
the libraries the design names for the CLI, the model and the hooks (Typer, attrs, cattrs,
pluggy), against the same earlier code.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

from benchmarks.harness.idle import wait_until_idle
from benchmarks.harness.settings import PYTHON, WORK
from benchmarks.harness.stats import compare, median, spread
from benchmarks.harness.table import Figure, seconds_figure
from benchmarks.harness.timing import wall_time

DRIVER = str(Path(__file__).with_name("validate_with.py"))
CLI_DRIVER = str(Path(__file__).with_name("validate_cli.py"))
ROOT = Path(__file__).resolve().parents[2]
#: The last commit before the work on validation speed: ``ppf validate`` "as filed".
AS_FILED = "cab655b"
#: As an installed package runs: bytecode cached (pip compiles it at install; the development
#: environment may set PYTHONDONTWRITEBYTECODE, which would make every run compile every module).
INSTALLED = {"PYTHONDONTWRITEBYTECODE": ""}
DISTRIBUTIONS = ("ppf-core", "ppf-plugins-aws", "ppf-plugins-delta", "ppf-plugins-metrics", "ppf-plugins-vault")

STEP_COUNTS = (100, 1000)
DEFAULT_PAIRS = 5  # pairs of each size: ppf's reader, then pyhocon alone


def _quarter_of(key: str, label: str, shown_as, reported: bool = False) -> Figure:
    """A ratio of medians whose target is a quarter of the other side's time (``reported``: no target);
    ``shown_as`` formats a median."""

    def cell(record: dict) -> str:
        f = record["figures"].get(key)
        if f is None:
            return "not measured (a record from before the comparison)"
        shown = " / ".join(shown_as(v) for v in f["medians_s"].values())
        interval = f["ratio_interval_90"]
        spread90 = f"; 90 % interval {interval[0]:.3f}-{interval[1]:.3f}" if interval else ""
        return f"**{f['ratio']:.3f}** over {len(f['pair_ratios'])} pairs (medians {shown}{spread90})"

    def met(record: dict) -> bool | None:
        f = record["figures"].get(key)
        return None if f is None or reported else f["ratio"] <= 0.25

    return Figure(label, "(reported)" if reported else "<= 0.25", cell, met)


def _versus_as_filed(steps: int) -> Figure:
    return _quarter_of(
        f"{steps}_steps_vs_as_filed",
        f"`ppf validate`, {steps:,} steps: today / as it was before the work on its speed (`{AS_FILED}`), whole process",
        lambda v: f"{v:.3f} s",
    )


def _versus_pyhocon(steps: int, in_process: bool = False) -> Figure:
    where = "in one warm process, reading and checking" if in_process else "whole process"
    return _quarter_of(
        f"{steps}_steps_{'in_process' if in_process else 'vs_pyhocon'}",
        f"`ppf validate`, {steps:,} steps: ppf's reader / pyhocon alone, {where}",
        (lambda v: f"{v * 1000:.0f} ms") if in_process else (lambda v: f"{v:.2f} s"),
    )


#: The floor of a ``ppf`` process: Python and the libraries every command imports, nothing of ppf.
FLOOR_COMMAND = [PYTHON, "-c", "import attrs, cattrs, pluggy, typer"]
FLOOR = _quarter_of(
    "floor_vs_as_filed",
    f"Floor of any `ppf` command: importing Typer, attrs, cattrs and pluggy alone / `ppf validate` of 100 steps "
    f"as it was (`{AS_FILED}`), whole process",
    lambda v: f"{v:.3f} s",
    reported=True,
)

FIGURES = [
    seconds_figure(
        "[`ppf validate`](../benchmarks/cases/validate.py), 100 steps, whole process", "< 1 s", "100_steps", 1.0
    ),
    seconds_figure("`ppf validate`, 1,000 steps, whole process", "(reported)", "1000_steps"),
    _versus_as_filed(100),
    _versus_as_filed(1000),
    FLOOR,
    _versus_pyhocon(100),
    _versus_pyhocon(1000),
    _versus_pyhocon(100, in_process=True),
    _versus_pyhocon(1000, in_process=True),
]
IN_PROCESS_RUNS = 20  # alternating pairs in one process, after one warm-up run of each reader


def chain_config(steps: int) -> str:
    lines = [
        "pipeline {",
        f'  name = "chain-of-{steps}"',
        '  spark { master = "local[2]", conf { "spark.sql.shuffle.partitions" = "4" } }',
        "  steps = [",
        '    { name = "step-0", type = "ParquetSource", config { path = "data/in" } }',
    ]
    for index in range(1, steps - 1):
        if index % 2:
            body = f'type = "Filter", config {{ condition = "id > {index}" }}'
        else:
            body = 'type = "SelectColumns", config { columns = ["id", "name", "email"] }'
        lines.append(f'    {{ name = "step-{index}", {body} }}')
    lines += [
        f'    {{ name = "step-{steps - 1}", type = "ParquetSink", config {{ path = "out/chain", mode = "overwrite" }} }}',
        "  ]",
        "}",
    ]
    return "\n".join(lines) + "\n"


def _output(command: list[str]) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def write_chain_config(steps: int) -> Path:
    path = WORK / "configs" / f"chain-{steps}.conf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(chain_config(steps))
    return path


def export_as_filed() -> dict[str, str]:
    """The sources of every distribution at ``AS_FILED``, and the environment that puts them first."""
    target = WORK / f"as-filed-{AS_FILED}"
    if not target.is_dir():
        archive = subprocess.run(
            ["git", "archive", AS_FILED, *(f"{d}/src" for d in DISTRIBUTIONS)],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(partial, filter="data")
        partial.rename(target)
    return {"PYTHONPATH": ":".join(str(target / d / "src") for d in DISTRIBUTIONS)}


def measure(pairs: int = DEFAULT_PAIRS) -> dict:
    figures, raw = {}, {}
    as_filed_env = {**export_as_filed(), **INSTALLED}
    for steps in STEP_COUNTS:
        config = write_chain_config(steps)
        plain, pyhocon, today, as_filed, floor, busy = [], [], [], [], [], []
        # The floor does not depend on the file: measured beside the smaller one.
        sides = ("today", "as_filed", "floor") if steps == STEP_COUNTS[0] else ("today", "as_filed")
        # Untimed: each side's bytecode is written, and today's entry-point cache, as a user's first run does.
        wall_time([PYTHON, CLI_DRIVER, str(config)], env=INSTALLED)
        wall_time([PYTHON, CLI_DRIVER, str(config)], env=as_filed_env)
        wall_time([PYTHON, DRIVER, "pyhocon", str(config)], env=INSTALLED)
        wall_time(FLOOR_COMMAND, env=INSTALLED)
        for index in range(pairs):
            # Today's and the earlier code alternate which goes first; so do the two readers.
            for side in sides if index % 2 == 0 else sides[::-1]:
                busy.append(round(wait_until_idle(), 3))
                if side == "today":
                    today.append(wall_time([PYTHON, CLI_DRIVER, str(config)], env=INSTALLED))
                elif side == "as_filed":
                    as_filed.append(wall_time([PYTHON, CLI_DRIVER, str(config)], env=as_filed_env))
                else:
                    floor.append(wall_time(FLOOR_COMMAND, env=INSTALLED))
            for reader in ("plain", "pyhocon") if index % 2 == 0 else ("pyhocon", "plain"):
                busy.append(round(wait_until_idle(), 3))
                timed = wall_time([PYTHON, DRIVER, reader, str(config)], env=INSTALLED)
                (plain if reader == "plain" else pyhocon).append(timed)
        figures[f"{steps}_steps"] = {
            "runs": pairs,
            "median_s": round(median(today), 3),
            "range_s": [round(v, 3) for v in spread(today)],
        }
        figures[f"{steps}_steps_vs_pyhocon"] = compare(plain, pyhocon, ("plain", "pyhocon"))
        figures[f"{steps}_steps_vs_as_filed"] = compare(today, as_filed, ("today", AS_FILED))
        if floor:
            figures["floor_vs_as_filed"] = compare(floor, as_filed, ("floor", AS_FILED))
        busy.append(round(wait_until_idle(), 3))
        warm = json.loads(_output([PYTHON, DRIVER, "in-process", str(config), str(IN_PROCESS_RUNS)]))
        figures[f"{steps}_steps_in_process"] = compare(warm["plain"], warm["pyhocon"], ("plain", "pyhocon"))
        raw[f"{steps}_steps"] = {
            "seconds": [round(t, 3) for t in plain],
            "pyhocon_seconds": [round(t, 3) for t in pyhocon],
            "today_seconds": [round(t, 3) for t in today],
            "as_filed_seconds": [round(t, 3) for t in as_filed],
            **({"floor_seconds": [round(t, 3) for t in floor]} if floor else {}),
            "in_process_seconds": {side: [round(t, 4) for t in values] for side, values in warm.items()},
            "busy_before": busy,
        }
        print(
            f"  validate {steps:>5} steps: median {median(plain):.2f} s, with pyhocon alone {median(pyhocon):.2f} s; "
            f"today {median(today):.3f} s, as it was ({AS_FILED}) {median(as_filed):.3f} s; "
            f"in one process {median(warm['plain']):.3f} s and {median(warm['pyhocon']):.3f} s",
            file=sys.stderr,
        )
    return {"pairs": pairs, "params": {"steps": list(STEP_COUNTS)}, "figures": figures, "raw": raw}
