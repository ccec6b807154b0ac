from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "support"))


@pytest.fixture
def write_conf(tmp_path: Path):
    """Write a HOCON file (dedented) and return its path."""

    def write(text: str, name: str = "pipeline.conf") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


@pytest.fixture(autouse=True)
def _reset_components():
    import ppf_test_components

    ppf_test_components.reset()
    yield
