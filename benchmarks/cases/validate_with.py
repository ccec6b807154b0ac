"""``ppf validate FILE``, reading the file with the given reader: ``plain`` (ppf's) or ``pyhocon`` (alone).

``python benchmarks/cases/validate_with.py pyhocon FILE`` is ``ppf validate FILE`` as it was before the
plain reader existed; both sides of the validate case run through this script, so they start alike.

``python benchmarks/cases/validate_with.py in-process FILE RUNS`` times reading and checking the file
in one warm process (as an editor integration or ``ppf validate`` of many files does), the two readers
alternating, and prints ``{"plain": [...], "pyhocon": [...]}`` (seconds).
"""

import functools
import json
import sys
import time

from pyspark_pipeline_framework.core.registry import ComponentRegistry
from pyspark_pipeline_framework.runner.cli import app
from pyspark_pipeline_framework.runner.config import reading
from pyspark_pipeline_framework.runner.config.preflight import validate


def _check(path: str, plain_reader: bool) -> float:
    started = time.perf_counter()
    validate(reading.load_pipeline_file(path, plain_reader=plain_reader), ComponentRegistry())
    return time.perf_counter() - started


reader, *arguments = sys.argv[1:]
if reader == "in-process":
    path, runs = arguments[0], int(arguments[1])
    _check(path, True), _check(path, False)  # warm: every module imported, pyhocon's grammar module too
    times: dict[str, list[float]] = {"plain": [], "pyhocon": []}
    for _ in range(runs):
        times["plain"].append(_check(path, True))
        times["pyhocon"].append(_check(path, False))
    print(json.dumps(times))
elif reader in ("plain", "pyhocon"):
    # The CLI imports load_pipeline_file when the command runs, so it picks up this one.
    reading.load_pipeline_file = functools.partial(reading.load_pipeline_file, plain_reader=reader == "plain")
    app(["validate", *arguments], prog_name="ppf")
else:
    sys.exit(f"usage: validate_with.py plain|pyhocon FILE... or validate_with.py in-process FILE RUNS; got {reader!r}")
