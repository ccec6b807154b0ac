"""``ppf validate FILE...`` as the installed command runs it, started like ``validate_with.py``.

Runs whichever ``pyspark_pipeline_framework`` comes first on ``sys.path``: the validate case runs it
with today's code and with the code as it was before the work on validation speed (``PYTHONPATH``
pointing at that commit's sources), side by side.
"""

import sys

from pyspark_pipeline_framework.runner.cli import app

app(["validate", *sys.argv[1:]], prog_name="ppf")
