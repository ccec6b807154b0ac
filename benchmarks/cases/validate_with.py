"""``ppf validate FILE``, reading the file with the given reader: ``plain`` (ppf's) or ``pyhocon`` (alone).

``python benchmarks/cases/validate_with.py pyhocon FILE`` is ``ppf validate FILE`` as it was before the
plain reader existed; both sides of the validate case run through this script, so they start alike.
"""

import functools
import sys

from pyspark_pipeline_framework.runner.cli import app
from pyspark_pipeline_framework.runner.config import reading

reader, *arguments = sys.argv[1:]
if reader not in ("plain", "pyhocon"):
    sys.exit(f"usage: validate_with.py plain|pyhocon FILE...; got {reader!r}")
# The CLI imports load_pipeline_file when the command runs, so it picks up this one.
reading.load_pipeline_file = functools.partial(reading.load_pipeline_file, plain_reader=reader == "plain")
app(["validate", *arguments], prog_name="ppf")
