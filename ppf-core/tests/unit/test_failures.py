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


def test_a_spark_error_quoting_a_python_traceback_is_reduced_to_the_python_exception(user_module):
    """A foreachBatch function that raised: Spark's StreamingQueryException quotes the Python traceback."""
    _, path = user_module

    class CapturedException(Exception):
        pass

    class StreamingQueryException(CapturedException):
        pass

    text = (
        "[STREAM_FAILED] Query [id = 1, runId = 2] terminated with exception: [FOREACH_BATCH_USER_FUNCTION_ERROR] "
        "An error occurred in the user provided function in foreach batch sink. Reason: An exception was raised "
        + "by the Python Proxy. "
        * 20
        + "Return Message: Traceback (most recent call last):\n"
        f'  File "{path}", line 7, in batch\n'
        '    raise ValueError("the batch was refused")\n'
        "ValueError: the batch was refused\n"
        "\n\tat org.apache.spark.sql.execution.streaming.StreamExecution.runStream(StreamExecution.scala:1)\n"
    )
    failure = describe_failure(StreamingQueryException(text))
    assert failure.summary.startswith("StreamingQueryException: [STREAM_FAILED] Query")
    assert failure.summary.endswith("Python raised ValueError: the batch was refused")
    assert failure.user_frames == (f"{path}:7 in batch",)


def test_an_error_whose_text_the_gone_jvm_cannot_give_is_still_described():
    class Py4JJavaError(Exception):
        def __str__(self):
            raise ConnectionRefusedError(111, "Connection refused")

    failure = describe_failure(Py4JJavaError("An error occurred while calling o42.save.\n"))
    assert failure.summary.startswith("Py4JJavaError: An error occurred while calling o42.save.")
    assert "JVM is gone" in failure.summary
