"""A failed step's error: the user's own frames named, file and line; Spark's errors reduced elsewhere (tests/spark)."""

from __future__ import annotations

import importlib
import sys

import pytest

from pyspark_pipeline_framework.runtime.run.failures import describe_failure, user_frames

USER_MODULE = """
import json


def parse(text):
    return json.loads(text)


def enrich(row):
    return parse(row)
"""


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    (tmp_path / "my_enrichment.py").write_text(USER_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module("my_enrichment"), tmp_path / "my_enrichment.py"
    sys.modules.pop("my_enrichment", None)


def test_the_users_frames_are_named_and_python_s_own_are_not(user_module):
    module, path = user_module
    with pytest.raises(ValueError) as raised:
        module.enrich("{not json")
    failure = describe_failure(raised.value)
    # json's own frames (the standard library) are left out; the user's two frames remain, innermost last.
    assert failure.user_frames[-2:] == (f"{path}:10 in enrich", f"{path}:6 in parse")
    assert not any("json" in frame for frame in failure.user_frames)
    assert failure.summary.startswith("JSONDecodeError: Expecting property name")
    assert f'File "{path}", line 6, in parse' in failure.traceback and "json/decoder.py" in failure.traceback
    assert failure.traceback.endswith(failure.summary) and failure.java_stack == ""


def test_frames_of_installed_libraries_count_only_when_nothing_else_is_left():
    import attrs

    installed = (attrs.__file__, 3, "f")
    assert user_frames([installed]) == [f"{attrs.__file__}:3 in f"]
    assert user_frames([installed, ("/project/my_pipelines/t.py", 7, "run")]) == ["/project/my_pipelines/t.py:7 in run"]
    assert (
        user_frames(
            [("<frozen runpy>", 1, "x"), (importlib.__file__, 1, "y"), (user_frames.__code__.co_filename, 1, "z")]
        )
        == []
    )
