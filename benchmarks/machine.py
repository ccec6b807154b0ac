"""Facts about the machine and software a benchmark ran on, recorded with its figures."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib.metadata import version


def describe() -> dict:
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "pyspark": version("pyspark"),
        "ppf_core": version("ppf-core"),
        "pyhocon": version("pyhocon"),
        "pyparsing": version("pyparsing"),
        "java": java[0] if java else "unknown",
        "load_average": os.getloadavg(),
    }
