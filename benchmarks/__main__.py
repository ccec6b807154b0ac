"""``python -m benchmarks``: run cases, record their results, and keep docs/performance.md's table current.

    python -m benchmarks list
    python -m benchmarks run [CASE ...] [--pairs N] [--rows N] [--users N] [--idle-wait S] [--results DIR] [--note TEXT]
    python -m benchmarks table [--check]

``run`` appends one record per case to ``benchmarks/results/<case>.jsonl`` and rewrites the
summary table of docs/performance.md.  With ``--results DIR`` (a trial run, say) the records go
to DIR and the table is printed instead; the document is left alone.  A run on a smaller input
than the documented one (``--rows``, ``--users``) is recorded as a variant, which the table
never shows.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0].strip('`" '))
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="the cases and what each measures")
    run = commands.add_parser("run", help="measure cases (all when none is named), record and tabulate them")
    run.add_argument("cases", nargs="*", metavar="CASE")
    run.add_argument(
        "--pairs", type=int, help="interleaved pairs (runs, for cases without a baseline); default: each case's own"
    )
    run.add_argument("--rows", type=int, help="rows of the parquet input (default 4,000,000)")
    run.add_argument("--users", type=int, help="users in the Quick Start's Delta table (default 200,000)")
    run.add_argument(
        "--idle-wait",
        type=float,
        metavar="SECONDS",
        help="longest wait for idle CPUs before a run (default 45; the busy fraction is recorded)",
    )
    run.add_argument("--results", type=Path, help="write records here and print the table (docs untouched)")
    run.add_argument("--note", help="a note kept with each record")
    table = commands.add_parser("table", help="rewrite docs/performance.md's summary table from the results files")
    table.add_argument("--check", action="store_true", help="exit 1 if the table is out of date; change nothing")
    args = parser.parse_args(argv)

    # Input sizes are read by benchmarks.harness.settings on import, and by the processes it starts.
    if getattr(args, "rows", None):
        os.environ["PPF_BENCH_ROWS"] = str(args.rows)
    if getattr(args, "users", None):
        os.environ["PPF_BENCH_QS_ROWS"] = str(args.users)
    if getattr(args, "idle_wait", None) is not None:
        os.environ["PPF_BENCH_IDLE_WAIT_S"] = str(args.idle_wait)

    from benchmarks.cases import CASES, RUN_ORDER, load

    if args.command == "list":
        for name in CASES:
            print(f"{name:<14} {(load(name).__doc__ or '').strip().splitlines()[0]}")
        return 0
    if args.command == "table":
        return _table(check=args.check)
    unknown = [name for name in args.cases if name not in CASES]
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}; the cases are {', '.join(CASES)}")
    for name in args.cases or RUN_ORDER:
        _run(name, load(name), args.pairs, args.results, args.note)
    if args.results is None:
        return _table(check=False)
    from benchmarks.harness.table import render

    print(render(_table_cases(), args.results))
    return 0


def _run(name: str, case, pairs: int | None, results: Path | None, note: str | None) -> None:
    from benchmarks.harness import results as results_files
    from benchmarks.harness.machine import describe
    from benchmarks.harness.settings import DOCUMENTED_QS_ROWS, DOCUMENTED_ROWS, RESULTS

    pairs = pairs or case.DEFAULT_PAIRS
    print(f"{name}: {pairs} pair(s)", file=sys.stderr, flush=True)
    started, machine, version = results_files.now(), describe(), results_files.code_version()
    measured = case.measure(pairs)
    params = measured.get("params", {})
    documented = {"rows": DOCUMENTED_ROWS, "table_rows": DOCUMENTED_QS_ROWS}
    resized = [f"{key}={params[key]}" for key in documented if key in params and params[key] != documented[key]]
    variant = ", ".join(filter(None, [measured.pop("variant", None), *resized])) or None
    record = {
        "case": name,
        "started": started,
        "ended": results_files.now(),
        **version,
        **({"variant": variant} if variant else {}),
        **measured,
        "machine": machine,
        "source": "measured",
        **({"note": note} if note else {}),
    }
    path = results_files.append(record, results or RESULTS)
    print(f"{name}: recorded in {path}", file=sys.stderr)


def _table_cases():
    from benchmarks.cases import CASES, command, load

    return [(name, load(name).FIGURES, command(name)) for name in CASES]


def _table(check: bool) -> int:
    from benchmarks.harness.settings import PERFORMANCE_DOC
    from benchmarks.harness.table import generated_part, render, write_into

    table = render(_table_cases())
    if check:
        if generated_part(PERFORMANCE_DOC) != table:
            print(
                f"{PERFORMANCE_DOC}: the summary table is out of date: run `python -m benchmarks table`",
                file=sys.stderr,
            )
            return 1
        return 0
    changed = write_into(PERFORMANCE_DOC, table)
    print(f"{PERFORMANCE_DOC}: summary table {'rewritten' if changed else 'already up to date'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
