"""Running a pipeline as a ``spark-submit`` application.

This file is the application spark-submit starts; it takes the arguments of ``ppf run``::

    spark-submit --master yarn --deploy-mode cluster \\
        --files pipelines/user_etl.conf --py-files my_pipelines.zip \\
        "$(ppf-submit-path)" run user_etl.conf --override spark.app_name=nightly

(``ppf-submit-path`` prints this file's path; the leading ``run`` may be left out.)  The Spark
session is the one spark-submit prepared: its master, deploy mode, ``--conf`` and ``--jars`` stay
as submitted, whatever the pipeline file's ``spark.master`` says; the file's ``spark.conf`` and the
plugins' settings are added as in ``ppf run``.  Exit codes are those of ``ppf run``.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    """Run ``ppf run --submitted <argv>`` (``argv`` without its program name)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["run"]:
        args = args[1:]
    from pyspark_pipeline_framework.runner.cli import app

    app(["run", "--submitted", *args], prog_name="ppf-submit")


def print_path() -> None:
    """``ppf-submit-path``: the file to give spark-submit as the application."""
    print(Path(__file__).resolve())


if __name__ == "__main__":
    # Run as a script, this file's folder came first on sys.path, where its sibling modules
    # (config, plan, jars...) would hide the project's own modules of the same names.
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [entry for entry in sys.path if entry and str(Path(entry).resolve()) != here]
    main()
