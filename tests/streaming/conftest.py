from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import pytest
from streaming_support import delta_ids, delta_rows  # noqa: F401  (fixtures)


@pytest.fixture(scope="session")
def local_jar_cache(tmp_path_factory):
    """A jar cache filled by `ppf jars fetch`: `ppf run` processes start without resolving packages (PPF_JARS_DIR)."""
    import subprocess

    target = tmp_path_factory.mktemp("jars")
    done = subprocess.run(
        [str(Path(sys.executable).parent / "ppf"), "jars", "fetch", "--dir", str(target)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return target
