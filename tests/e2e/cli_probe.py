"""Runs the installed ``ppf`` command in this process, then reports whether pyspark was imported or a JVM started.

Used by the end-to-end tests: `python cli_probe.py validate x.conf` behaves like `ppf validate
x.conf` and prints one JSON line on stderr at exit.  The command is found as the ``ppf`` script
is, through its console-script entry point.
"""

import json
import sys
from importlib.metadata import entry_points

(ppf,) = entry_points(group="console_scripts", name="ppf")
sys.argv[0] = "ppf"
code = 0
try:
    ppf.load()()
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
jvm = False
if "pyspark" in sys.modules:
    from pyspark import SparkContext

    jvm = SparkContext._gateway is not None
print(json.dumps({"exit": code, "pyspark_imported": "pyspark" in sys.modules, "jvm_started": jvm}), file=sys.stderr)
sys.exit(code)
