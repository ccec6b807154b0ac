from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).with_name("support")))


import pytest


@pytest.fixture(autouse=True)
def _default_structlog():
    """Tests read log events with capture_logs; an earlier test's configure_logging (a level
    filter, e.g. from an in-process `ppf run`) would hide them."""
    import structlog

    saved = structlog.get_config()
    structlog.reset_defaults()
    yield
    structlog.configure(**saved)


@pytest.fixture(autouse=True)
def _in_a_fresh_directory(tmp_path, monkeypatch):
    """The metrics hook writes `.ppf/metrics/<pipeline>.prom` under the working directory by default."""
    monkeypatch.chdir(tmp_path)
