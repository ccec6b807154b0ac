"""The benchmark suite: what ppf costs against the same jobs written by hand in PySpark.

    python -m benchmarks list                         # the cases and what each measures
    python -m benchmarks run [CASE ...] [--pairs N]   # measure, append to results/, refresh the table
    python -m benchmarks table                        # rewrite the table of docs/performance.md from results/

``cases/`` hold what is measured, ``baselines/`` the hand-written PySpark jobs, ``harness/`` the
interleaving, timing, statistics, machine facts and results files, ``diagnostics/`` the tools
that explain a figure (event logs job by job).  Nothing here is a test: pytest does not collect
this folder, and no test asserts a time.
"""
