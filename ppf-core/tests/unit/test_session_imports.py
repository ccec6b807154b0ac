"""Component modules that can be imported only once a Spark session exists: deferred, noted, resolved later.

A module-level ``@udf("long")`` raises pyspark's ``SESSION_OR_CONTEXT_NOT_EXISTS`` while no session
exists.  The modules written here raise that same pyspark error until a marker file exists, so these
tests do not depend on whether another test of the process started a session; the end-to-end tests
run the real ``@udf("long")`` through ``ppf validate`` and ``ppf run``.
"""

from __future__ import annotations

import textwrap

import pytest
from pyspark.errors import PySparkRuntimeError, PySparkValueError

from pyspark_pipeline_framework.core.errors import ConfigError
from pyspark_pipeline_framework.core.session_imports import session_needed_condition
from pyspark_pipeline_framework.runner.config.preflight import validate
from pyspark_pipeline_framework.runner.config.reading import load_pipeline_file

T = "ppf_test_components"

MODULE = '''
import os

from pyspark.errors import PySparkRuntimeError

from pyspark_pipeline_framework.core import Transform, TransformConfig

if not os.path.exists({ready!r}):  # what @udf("long") raises at import while no session exists
    raise PySparkRuntimeError(errorClass="SESSION_OR_CONTEXT_NOT_EXISTS", messageParameters={{}})


class ScaleConfig(TransformConfig):
    factor: int


class Scale(Transform[ScaleConfig]):
    """Multiplies a column (never run here)."""
'''

PIPELINE = f"""
pipeline {{
  name = "deferred"
  steps = [
    {{ name = "numbers", type = "{T}.Numbers", config {{ values = [1, 2] }} }}
    {{
      name = "scale"
      type = "{{module}}.Scale"
      config {{ factor = 3 }}
    }}
    {{ name = "out", type = "{T}.Collect" }}
  ]
}}
"""


@pytest.fixture
def session_module(tmp_path, monkeypatch, request):
    """A fresh module name per test (imports are cached per name) and the marker that lets it import."""
    name = f"needs_session_{request.node.name.replace('[', '_').replace(']', '_').replace('-', '_')}"
    ready = tmp_path / "session-ready"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(MODULE.format(ready=str(ready))))
    monkeypatch.syspath_prepend(str(tmp_path))
    return name, ready


def test_pyspark_session_errors_are_recognised_by_their_condition():
    error = PySparkRuntimeError(errorClass="SESSION_OR_CONTEXT_NOT_EXISTS", messageParameters={})
    assert session_needed_condition(error) == "SESSION_OR_CONTEXT_NOT_EXISTS"
    try:
        try:
            raise error
        except PySparkRuntimeError as inner:
            raise ImportError("while importing the module") from inner
    except ImportError as outer:
        assert session_needed_condition(outer) == "SESSION_OR_CONTEXT_NOT_EXISTS"


def test_other_errors_are_not_taken_for_a_missing_session():
    assert (
        session_needed_condition(PySparkValueError(errorClass="CANNOT_BE_NONE", messageParameters={"arg_name": "x"}))
        is None
    )
    assert session_needed_condition(RuntimeError("SparkContext or SparkSession should be created first.")) is None

    class LookAlike(RuntimeError):  # not pyspark's, whatever it claims
        def getCondition(self):
            return "SESSION_OR_CONTEXT_NOT_EXISTS"

    assert session_needed_condition(LookAlike()) is None


def test_a_step_whose_module_needs_a_session_is_deferred_with_a_located_note(session_module, write_conf):
    module, _ = session_module
    path = write_conf(PIPELINE.replace("{module}", module))
    pipeline = validate(load_pipeline_file(path))
    assert set(pipeline.steps) == {"numbers", "out"}
    (deferred,) = pipeline.deferred.values()
    assert (deferred.name, deferred.type) == ("scale", f"{module}.Scale")
    assert "SESSION_OR_CONTEXT_NOT_EXISTS" in deferred.reason
    note = deferred.note
    assert (note.path, note.file, note.line) == ("pipeline.steps[1].type", str(path), 7)
    assert (
        "not checked without Spark" in note.message and "`ppf run` imports it once the session exists" in note.message
    )
    assert "LongType()" in note.hint
    assert pipeline.graph.inputs["scale"] == ("numbers",) and pipeline.graph.inputs["out"] == ("scale",)


def test_once_the_module_imports_the_pipeline_is_checked_again_and_complete(session_module, write_conf):
    module, ready = session_module
    pipeline = validate(load_pipeline_file(write_conf(PIPELINE.replace("{module}", module))))
    ready.touch()
    complete = pipeline.resolve_in_session()
    assert complete.deferred == {} and complete.resolve_in_session is None
    assert complete.steps["scale"].config.factor == 3
    assert complete.graph.kinds["scale"] == "transform"
    assert complete.spec == pipeline.spec


def test_a_config_error_in_a_deferred_step_is_reported_in_the_session_with_its_line(session_module, write_conf):
    module, ready = session_module
    path = write_conf(PIPELINE.replace("{module}", module).replace("factor = 3", "factr = 3"))
    pipeline = validate(load_pipeline_file(path))  # the step's config cannot be checked yet
    ready.touch()
    with pytest.raises(ConfigError) as caught:
        pipeline.resolve_in_session()
    issues = {i.path: i for i in caught.value.issues}
    assert set(issues) == {"pipeline.steps[1].config.factr", "pipeline.steps[1].config.factor"}
    typo = issues["pipeline.steps[1].config.factr"]
    assert (typo.message, typo.file, typo.line, typo.hint) == ("unknown key", str(path), 8, "did you mean 'factor'?")


def test_a_module_that_still_needs_a_session_in_the_session_is_an_error(session_module, write_conf):
    module, _ = session_module
    pipeline = validate(load_pipeline_file(write_conf(PIPELINE.replace("{module}", module))))
    with pytest.raises(ConfigError) as caught:
        pipeline.resolve_in_session()
    (issue,) = caught.value.issues
    assert issue.path == "pipeline.steps[1].type" and "SESSION_OR_CONTEXT_NOT_EXISTS" in issue.message
    assert "inside the component's methods" in issue.hint


def test_other_problems_are_still_reported_next_to_a_deferred_step(session_module, write_conf):
    module, _ = session_module
    path = write_conf(PIPELINE.replace("{module}", module).replace("values = [1, 2]", 'values = "1,2"'))
    with pytest.raises(ConfigError) as caught:
        validate(load_pipeline_file(path))
    assert [i.path for i in caught.value.issues] == ["pipeline.steps[0].config.values"]


def test_a_module_broken_otherwise_is_still_an_error_to_fix(tmp_path, monkeypatch, write_conf):
    (tmp_path / "broken_udf_module.py").write_text(
        "from pyspark.errors import PySparkValueError\n"
        "raise PySparkValueError(errorClass='CANNOT_BE_NONE', messageParameters={'arg_name': 'col'})\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConfigError) as caught:
        validate(load_pipeline_file(write_conf(PIPELINE.replace("{module}", "broken_udf_module"))))
    (issue,) = caught.value.issues
    assert issue.path == "pipeline.steps[1].type" and "PySparkValueError" in issue.message
    assert issue.hint == "fix the error in that module"
