"""Command line and Spark session shared by the hand-written baselines (no ppf import).

    python handwritten_<job>.py ARG... --master local[2] --conf key=value ...

The benchmark passes every Spark setting on the command line, so a baseline builds its session
exactly as a user's script would: ``SparkSession.builder`` with those settings, nothing else.
"""

import argparse

from pyspark.sql import SparkSession


def parse_args(*positional: tuple[str, str]) -> argparse.Namespace:
    """``positional`` are (name, help) pairs; ``--master`` and repeatable ``--conf`` are added."""
    parser = argparse.ArgumentParser()
    for name, help_text in positional:
        parser.add_argument(name, help=help_text)
    parser.add_argument("--master", required=True)
    parser.add_argument("--conf", action="append", default=[], help="key=value, repeatable")
    return parser.parse_args()


def start_session(app_name: str, args: argparse.Namespace) -> SparkSession:
    builder = SparkSession.builder.appName(app_name).master(args.master)
    for pair in args.conf:
        key, _, value = pair.partition("=")
        builder = builder.config(key, value)
    return builder.getOrCreate()
