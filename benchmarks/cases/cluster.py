"""3-step pipeline on a Spark standalone cluster: ``ppf run`` against the same job written by hand, both on the cluster.

The :mod:`~benchmarks.cases.pipeline` case's pipeline and hand-written baseline, with
``spark://`` instead of ``local[2]``: a master and one worker (2 cores, 2 GB) started from the
installed pyspark on 127.0.0.1 for the whole measurement (the test suite's cluster,
``tests/cluster/standalone.py``), each run a new application on it.  The ppf side includes what a
cluster run adds: zipping and shipping the project's own code (``benchmarks``, the transform's
package) to the executors; the zip is built once and reused, as for a user's repeated runs.
"""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path
from types import ModuleType

from benchmarks.cases.pipeline import run_handwritten, run_ppf
from benchmarks.harness.dataset import ensure_dataset
from benchmarks.harness.interleave import Side, interleave
from benchmarks.harness.settings import PYTHON, ROOT, ROWS, WORK
from benchmarks.harness.table import jobs_figure, ratio_figure

DEFAULT_PAIRS = 11
WORKER_CORES = 2
WORKER_MEMORY = "2g"

FIGURES = [
    ratio_figure(
        "[3-step pipeline on a standalone cluster](../benchmarks/cases/cluster.py): `ppf run` / hand-written", 1.03
    ),
    jobs_figure(
        "3-step pipeline on a standalone cluster: Spark jobs, ppf / hand-written",
        "no extra",
        lambda ppf, hand: max(ppf) <= min(hand),
    ),
]


def standalone_module() -> ModuleType:
    """tests/cluster/standalone.py, loaded by file (tests/ is not a package)."""
    spec = importlib.util.spec_from_file_location("ppf_bench_standalone", ROOT / "tests" / "cluster" / "standalone.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measure(pairs: int = DEFAULT_PAIRS) -> dict:
    source = ensure_dataset()
    work = WORK / "cluster"
    work.mkdir(parents=True, exist_ok=True)
    cluster = (
        standalone_module()
        .StandaloneCluster(
            Path(tempfile.mkdtemp(prefix="cluster-", dir=work)), cores=WORKER_CORES, memory=WORKER_MEMORY, python=PYTHON
        )
        .start()
    )
    try:
        env = cluster.env
        runs = interleave(
            pairs,
            {
                "ppf": Side(lambda _: run_ppf(source, work / "ppf", cluster.master_url, env)),
                "hand": Side(lambda _: run_handwritten(source, work / "hand", cluster.master_url, env)),
            },
        )
    finally:
        cluster.stop()
    return runs.record(
        "ppf", "hand", {"rows": ROWS, "workers": 1, "worker_cores": WORKER_CORES, "worker_memory": WORKER_MEMORY}
    )
