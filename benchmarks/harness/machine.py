"""Facts about the machine and software a benchmark ran on, recorded with its figures."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib.metadata import version


def describe() -> dict:
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()
    # 'openjdk version "17.0.15" 2025-04-15': the vendor and the quoted version.
    java_version = java[0].split('"')[1] if java and '"' in java[0] else "unknown"
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "pyspark": version("pyspark"),
        "ppf_core": version("ppf-core"),
        "pyhocon": version("pyhocon"),
        "pyparsing": version("pyparsing"),
        "java": f"{java[0].split()[0].replace('openjdk', 'OpenJDK')} {java_version}" if java else "unknown",
        "load_average": [round(v, 2) for v in os.getloadavg()],
    }
