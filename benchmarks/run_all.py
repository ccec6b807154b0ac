"""Run every benchmark and print the figures as the Markdown tables of docs/performance.md.

    .venv/bin/python benchmarks/run_all.py

Raw figures are also written to ``benchmarks/.work/results.json``.  The first run generates
the parquet input (a minute or so); later runs reuse it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import (cli_startup, fan_out_reads_once, large_configs, machine, pipeline_vs_handwritten,
                        quickstart_vs_handwritten, time_to_jvm)
from benchmarks.dataset import ensure_dataset
from benchmarks.settings import MASTER, ROWS, WORK, spark_conf
from benchmarks.timing import spread


def run() -> dict:
    ensure_dataset()
    results = {"machine_before": machine.describe()}
    # Cheap, JVM-free figures first; then the Spark runs.
    print("ppf --help ...", file=sys.stderr)
    results["cli_help"] = cli_startup.measure()
    print("ppf validate ...", file=sys.stderr)
    results["validate"] = large_configs.measure()
    print("Python time before the JVM ...", file=sys.stderr)
    results["time_to_jvm"] = time_to_jvm.measure()
    print("ppf run vs hand-written ...", file=sys.stderr)
    results["pipeline_vs_handwritten"] = pipeline_vs_handwritten.measure()
    print("Quick Start (S3, Delta merge) vs hand-written ...", file=sys.stderr)
    results["quickstart_vs_handwritten"] = quickstart_vs_handwritten.measure()
    print("fan-out ...", file=sys.stderr)
    results["fan_out"] = fan_out_reads_once.measure()
    results["machine_after"] = machine.describe()
    return results


def markdown(results: dict) -> str:
    m, run = results["machine_before"], results["pipeline_vs_handwritten"]
    help_, validate, fan = results["cli_help"], results["validate"], results["fan_out"]
    jvm = results["time_to_jvm"]
    lines = [
        f"Machine: {m['cpus']} CPUs, {m['memory_gib']} GiB; Python {m['python']}, PySpark {m['pyspark']}, "
        f"{m['java']}; ppf-core {m['ppf_core']}, pyhocon {m['pyhocon']}, pyparsing {m['pyparsing']}.",
        f"Load average (1/5/15 min) before: {_load(m)}; after: {_load(results['machine_after'])}.",
        f"Spark: master {MASTER}, {ROWS:,} input rows, settings {json.dumps(spark_conf())}.",
        "",
        "| Figure | Median | Range (min-max) | Runs | Target |",
        "|---|---|---|---|---|",
        f"| `ppf run` 3-step pipeline, whole process | {run['ppf_median_s']:.2f} s | {_range(run['ppf_range_s'])} | {run['runs']} | |",
        f"| hand-written PySpark, whole process | {run['hand_median_s']:.2f} s | {_range(run['hand_range_s'])} | {run['runs']} | |",
        f"| ratio ppf / hand-written (medians) | **{run['ratio']:.3f}** | | | <= 1.05 |",
        f"| ratio within interleaved pairs (median) | {run['median_pair_ratio']:.3f} | {_range(spread(run['pair_ratios']), 3)[:-2]} | {run['runs']} | |",
        f"| Python time before the JVM starts, ppf / hand-written | {jvm['ppf_median_s']:.2f} s / {jvm['hand_median_s']:.2f} s | | {jvm['runs']} | |",
        f"| `ppf --help` | {help_['median_s']:.3f} s | {_range(help_['range_s'], 3)} | {help_['runs']} | < 0.5 s |",
        f"| `ppf validate`, 100 steps | {validate['100']['median_s']:.2f} s | {_range(validate['100']['range_s'])} | {validate['100']['runs']} | < 1 s |",
        f"| `ppf validate`, 1,000 steps | {validate['1000']['median_s']:.2f} s | {_range(validate['1000']['range_s'])} | {validate['1000']['runs']} | (reported) |",
        "",
        f"Per-run wall times, in run order (ppf and hand-written interleaved): ppf {_list(run['ppf_s'])}; "
        f"hand {_list(run['hand_s'])}.  CPU busy with other work just before each run: "
        f"ppf {_percent(run['busy_before']['ppf'])}; hand {_percent(run['busy_before']['hand'])}.",
        "",
        "| Spark jobs per run (event log) | ppf | hand-written |",
        "|---|---|---|",
        f"| `SparkListenerJobStart` events | {_jobs(run['ppf_jobs'])} | {_jobs(run['hand_jobs'])} |",
        "",
        "| Fan-out (event log) | jobs | stages | rows scanned from the parquet source | source reads | task input records |",
        "|---|---|---|---|---|---|",
    ]
    for name, label in (("fan_out", "one source -> two sinks"), ("control", "control: two sources of the same files -> one sink each")):
        case = fan[name]
        lines.append(f"| {label} | {case['jobs']} | {case['stages']} | {case['scanned_rows']:,} | "
                     f"{case['source_reads']:.2f} | {case['input_records']:,} |")
    lines += ["", quickstart_markdown(results["quickstart_vs_handwritten"])]
    return "\n".join(lines)


def quickstart_markdown(qs: dict) -> str:
    lines = [
        f"Quick Start: {qs['batch_rows']:,} users merged into a Delta table of {qs['table_rows']:,} on a moto S3 "
        f"server ({qs['rows_after_merge']:,} after the merge); the same Spark settings on both sides.",
        "",
        "| Figure | Median | Range (min-max) | Runs |",
        "|---|---|---|---|",
        f"| `ppf run` of the Quick Start, whole process | {qs['ppf_median_s']:.2f} s | {_range(qs['ppf_range_s'])} | {qs['runs']} |",
        f"| hand-written PySpark + delta-spark, whole process | {qs['hand_median_s']:.2f} s | {_range(qs['hand_range_s'])} | {qs['runs']} |",
        f"| ratio ppf / hand-written (medians) | **{qs['ratio']:.3f}** | | |",
        f"| ratio within interleaved pairs (median) | {qs['median_pair_ratio']:.3f} | {_range(spread(qs['pair_ratios']), 3)[:-2]} | {qs['runs']} |",
        f"| Spark jobs per run, ppf / hand-written | {_jobs(qs['ppf_jobs'])} / {_jobs(qs['hand_jobs'])} | | |",
        "",
        f"Per-run wall times: ppf {_list(qs['ppf_s'])}; hand {_list(qs['hand_s'])}.  CPUs busy with other work "
        f"before each run: ppf {_percent(qs['busy_before']['ppf'])}; hand {_percent(qs['busy_before']['hand'])}.",
    ]
    return "\n".join(lines)


def _range(bounds, digits: int = 2) -> str:
    return f"{bounds[0]:.{digits}f}-{bounds[1]:.{digits}f} s"


def _list(values) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def _percent(values) -> str:
    return ", ".join(f"{v:.0%}" for v in values)


def _jobs(counts) -> str:
    return " or ".join(str(c) for c in counts)  # several values would mean runs differed


def _load(m: dict) -> str:
    return "/".join(f"{v:.1f}" for v in m["load_average"])


if __name__ == "__main__":
    results = run()
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "results.json").write_text(json.dumps(results, indent=2))
    print(markdown(results))
