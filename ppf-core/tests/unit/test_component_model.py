"""Config classes from annotated bodies and the generic component types."""

from __future__ import annotations

import attrs
import pytest

from pyspark_pipeline_framework.core import Sink, Source, Transform, TransformConfig
from pyspark_pipeline_framework.core.structuring import make_converter


class AnonymizerConfig(TransformConfig):
    pii_fields: list[str]
    hash_algorithm: str = "sha256"


class Anonymizer(Transform[AnonymizerConfig]):
    def transform(self, df):
        return df


def test_annotated_body_becomes_a_frozen_attrs_class():
    assert attrs.has(AnonymizerConfig)
    config = AnonymizerConfig(pii_fields=["email"])
    assert config.hash_algorithm == "sha256"
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        config.hash_algorithm = "md5"


def test_generic_argument_names_the_config_class():
    assert Anonymizer.config_class is AnonymizerConfig
    assert Anonymizer.kind == "transform"


def test_subclass_inherits_config_class():
    class Stricter(Anonymizer):
        pass

    assert Stricter.config_class is AnonymizerConfig


def test_strict_structuring_never_splits_a_string_into_a_list():
    converter = make_converter()
    with pytest.raises(Exception):
        converter.structure({"pii_fields": "email"}, AnonymizerConfig)
    with pytest.raises(Exception):
        converter.structure({"pii_fields": ["email"], "unknown": 1}, AnonymizerConfig)


def test_kinds():
    import json

    from pyspark_pipeline_framework.core import ComponentKind, Validator

    assert (Source.kind, Transform.kind, Validator.kind, Sink.kind) == (
        ComponentKind.SOURCE,
        ComponentKind.TRANSFORM,
        ComponentKind.VALIDATOR,
        ComponentKind.SINK,
    )
    # A str enum: JSON output, log lines and messages spell a kind as before.
    assert (Source.kind, Transform.kind, Sink.kind) == ("source", "transform", "sink")
    assert json.dumps({"kind": Validator.kind}) == '{"kind": "validator"}'
    assert f"a {Sink.kind}" == "a sink" and ComponentKind("source") is Source.kind


def test_each_kind_runs_its_step_through_its_own_method():
    from pyspark_pipeline_framework.core import SinkConfig, SourceConfig, Validator, ValidatorConfig

    # Markers instead of DataFrames: each returns what shows which of its methods ran.
    class Read(Source[SourceConfig]):
        def read(self):
            return "read"

    class Upper(Transform[TransformConfig]):
        def transform(self, df):
            return df.upper()

    class Check(Validator[ValidatorConfig]):
        def validate(self, df):
            return f"validated {df}"

    class Keep(Sink[SinkConfig]):
        def write(self, df):
            self.written = df

    def make(cls):
        return cls(cls.config_class(), context=None, logger=object(), step_name="s")

    assert make(Read).run_step({}) == "read"
    assert make(Upper).run_step({"up": "rows"}) == "ROWS"
    assert make(Check).run_step({"up": "rows"}) == "validated rows"
    sink = make(Keep)
    assert sink.run_step({"up": "rows"}) is None and sink.written == "rows"


def test_multi_input_transform_needs_an_override():
    component = Anonymizer(AnonymizerConfig(pii_fields=[]), context=None, logger=object())
    with pytest.raises(TypeError, match="override transform_inputs"):
        component.transform_inputs({"a": 1, "b": 2})
    assert component.transform_inputs({"a": 1}) == 1


def test_component_knows_its_step_and_config_path():
    from pyspark_pipeline_framework.core.spec import PipelineSpec, StepSpec

    context = type(
        "Ctx",
        (),
        {"pipeline": PipelineSpec(name="p", steps=[StepSpec(name="a", type="T"), StepSpec(name="hash", type="T")])},
    )()
    component = Anonymizer(AnonymizerConfig(pii_fields=[]), context=context, logger=object(), step_name="hash")
    assert component.step_name == "hash"
    assert component.config_path("pii_fields") == "pipeline.steps[1].config.pii_fields"
