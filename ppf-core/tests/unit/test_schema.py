"""``ppf schema``: a JSON Schema of the pipeline file that accepts what pre-flight accepts and rejects typos.

The example pipelines are read with pyhocon (the oracle of what a file means), turned into JSON and
validated with ``jsonschema``; a misspelled key of a component, a check or a hook plugin is rejected.
"""

from __future__ import annotations

import copy
import json
import textwrap
from pathlib import Path

import jsonschema
import pytest
from pyhocon import ConfigFactory

from pyspark_pipeline_framework.core.entry_points import InstalledEntryPoint
from pyspark_pipeline_framework.core.registry import ComponentRegistry
from pyspark_pipeline_framework.runner.reference import BEGIN, END, component_reference, generated_part, write_into
from pyspark_pipeline_framework.runner.schema import pipeline_schema

REPOSITORY = Path(__file__).resolve().parents[3]
EXAMPLES = sorted([*REPOSITORY.glob("examples/**/*.conf"), *REPOSITORY.glob("tests/e2e/quickstart/**/*.conf")])


@pytest.fixture(scope="module")
def schema():
    built = pipeline_schema()
    jsonschema.Draft202012Validator.check_schema(built)
    return built


def _errors(schema, document) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def _as_json(path: Path) -> dict:
    return json.loads(json.dumps(ConfigFactory.parse_file(str(path)).as_plain_ordered_dict()))


def test_there_are_examples_to_validate():
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: str(p.relative_to(REPOSITORY)))
def test_every_example_pipeline_is_valid(schema, path):
    assert _errors(schema, _as_json(path)) == []


def _user_etl() -> dict:
    return _as_json(REPOSITORY / "examples" / "user_etl" / "pipelines" / "user_etl.conf")


def test_a_misspelled_component_option_is_rejected(schema):
    document = _user_etl()
    step = next(s for s in document["pipeline"]["steps"] if s["type"] == "ParquetSink")
    step["config"]["mdoe"] = step["config"].pop("mode", "overwrite")
    errors = _errors(schema, document)
    assert any("'mdoe' was unexpected" in e for e in errors), errors


def test_a_wrong_value_of_a_component_option_is_rejected(schema):
    document = _user_etl()
    step = next(s for s in document["pipeline"]["steps"] if s["type"] == "ParquetSink")
    step["config"]["mode"] = "sometimes"
    assert any("'sometimes' is not one of" in e for e in _errors(schema, document))


def test_a_misspelled_check_option_and_hook_setting_are_rejected(schema):
    document = _user_etl()
    document["pipeline"]["steps"].insert(
        1,
        {"name": "dq", "type": "DataQuality", "config": {"checks": [{"type": "range", "column": "age", "mni": 0}]}},
    )
    document["pipeline"]["hooks"] = {"enable_audit_log": True, "audit_log": {"pth": "audit.jsonl"}}
    errors = _errors(schema, document)
    assert any("'mni' was unexpected" in e for e in errors), errors
    assert any("'pth' was unexpected" in e for e in errors), errors


def test_values_the_converter_accepts_are_accepted(schema):
    document = _user_etl()
    document["pipeline"]["max_parallel_steps"] = "3"  # HOCON strings that pre-flight structures
    document["pipeline"]["observe_rows"] = "yes"
    document["pipeline"]["retry"] = {"max_attempts": 2, "initial_delay": "500ms", "max_delay": 10}
    document["pipeline"]["spark"]["conf"] = {"spark": {"sql": {"shuffle": {"partitions": 4}}}}
    document["pipeline"]["steps"][0]["type"] = "pyspark_pipeline_framework.components.ParquetSource"
    assert _errors(schema, document) == []


def test_a_step_of_an_unknown_type_is_rejected_but_a_dotted_class_path_is_open(schema):
    document = _user_etl()
    open_document = copy.deepcopy(document)
    document["pipeline"]["steps"][0]["type"] = "ParquetSorce"
    assert _errors(schema, document)
    open_document["pipeline"]["steps"][0]["type"] = "my_pkg.MySource"
    open_document["pipeline"]["steps"][0]["config"] = {"anything": 1}
    assert _errors(schema, open_document) == []


def test_fields_carry_types_defaults_required_keys_and_descriptions(schema):
    sink = schema["$defs"]["component.ParquetSink"]
    assert sink["required"] == ["path"]
    assert sink["properties"]["mode"]["default"] == "error"
    assert sink["properties"]["path"]["description"] == "Target directory."
    retry = schema["$defs"]["RetryPolicy"]["properties"]
    assert "Random extra wait" in retry["jitter"]["description"] and retry["jitter"]["default"] == 0.0


def test_a_component_whose_module_needs_a_session_is_an_open_object(tmp_path, monkeypatch):
    (tmp_path / "needs_session_for_schema.py").write_text(
        textwrap.dedent(
            """
            from pyspark.errors import PySparkRuntimeError
            raise PySparkRuntimeError(errorClass="SESSION_OR_CONTEXT_NOT_EXISTS", messageParameters={})
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = ComponentRegistry(
        [
            InstalledEntryPoint("Later", "needs_session_for_schema:Later", "ppf.components", "test", "0"),
            InstalledEntryPoint(
                "Filter", "pyspark_pipeline_framework.components.rows:Filter", "ppf.components", "ppf-core", "0"
            ),
        ]
    )
    built = pipeline_schema(registry)
    later = built["$defs"]["component.Later"]
    assert "additionalProperties" not in later and "Spark session" in later["description"]
    document = {"pipeline": {"name": "p", "steps": [{"name": "a", "type": "Later", "config": {"any": 1}}]}}
    assert _errors(built, document) == []


def test_ppf_schema_imports_no_pyspark(tmp_path):
    import subprocess
    import sys

    probe = Path(__file__).resolve().parents[3] / "tests" / "e2e" / "cli_probe.py"
    done = subprocess.run(
        [sys.executable, str(probe), "schema"], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    facts = json.loads(done.stderr.strip().splitlines()[-1])
    assert facts == {"exit": 0, "pyspark_imported": False, "jvm_started": False}
    jsonschema.Draft202012Validator.check_schema(json.loads(done.stdout))


def test_the_component_reference_in_the_docs_is_generated_from_the_code():
    generated = generated_part(REPOSITORY / "docs" / "configuration.md")
    assert generated is not None, "docs/configuration.md has no generated component reference between the markers"
    assert generated == component_reference(distributions=["ppf-core"]), (
        "docs/configuration.md's component reference differs from the code: regenerate it with "
        "`ppf schema --format markdown -d ppf-core --into docs/configuration.md`"
    )


def test_into_rewrites_only_the_part_between_the_markers(tmp_path):
    document = tmp_path / "README.md"
    document.write_text(f"# My plugin\n\n{BEGIN}\nstale\n{END}\n\nMore text.\n", encoding="utf-8")
    assert write_into(document, "#### `Filter`\n") is True
    assert document.read_text(encoding="utf-8") == f"# My plugin\n\n{BEGIN}\n#### `Filter`\n{END}\n\nMore text.\n"
    assert write_into(document, "#### `Filter`\n") is False
    assert generated_part(document) == "#### `Filter`\n"
    unmarked = tmp_path / "unmarked.md"
    unmarked.write_text("# No markers here\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no component-reference markers"):
        write_into(unmarked, "")
