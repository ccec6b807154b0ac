"""The component model: Source, Transform, Sink and Validator, each typed by its config class.

A component author writes this and nothing more (the README's ``UserAnonymizer``)::

    class UserAnonymizerConfig(TransformConfig):
        pii_fields: list[str]
        hash_algorithm: str = "sha256"

    class UserAnonymizer(Transform[UserAnonymizerConfig]):
        def transform(self, df): ...

The annotated class body becomes a frozen attrs class (no decorator needed), and the type
argument of ``Transform[...]`` tells the framework which config class to validate ``config { }``
against before any JVM starts.  Nothing here imports pyspark, so validation stays light.
"""

from __future__ import annotations

import enum
import typing
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from pyspark_pipeline_framework.core.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from pyspark_pipeline_framework.core.context import Context


#: attrs field metadata marking a list of data-quality checks (``{ type = <check>, ... }``), so that
#: ``ppf schema`` describes each element by the config class of its check type.
CHECK_LIST = "ppf.check_list"


class ComponentKind(enum.StrEnum):
    """What a step does, which decides where it may stand in the pipeline graph.

    A ``str`` whose value is the lower-case name (``"source"``), as JSON output, logs and
    ``ppf plan`` spell it.
    """

    SOURCE = "source"
    TRANSFORM = "transform"
    VALIDATOR = "validator"
    SINK = "sink"

    def __str__(self) -> str:
        return self.value


class ComponentConfig(Settings):
    """Base of every component config; subclasses are turned into frozen attrs classes (keyword-only)."""


class SourceConfig(ComponentConfig):
    """Base config of sources."""


class TransformConfig(ComponentConfig):
    """Base config of transforms."""


class SinkConfig(ComponentConfig):
    """Base config of sinks."""


class ValidatorConfig(ComponentConfig):
    """Base config of validators."""


ConfigT = TypeVar("ConfigT", bound=ComponentConfig)


class Component(Generic[ConfigT]):
    """Behaviour shared by all components: typed config, logger and runtime context."""

    #: Set by Source, Transform, Validator and Sink: decides where the step may stand in the DAG.
    kind: ClassVar[ComponentKind]
    #: The config class found from ``Component[ConfigClass]``; validated before the run.
    config_class: ClassVar[type[ComponentConfig]] = ComponentConfig
    #: The name of the step this component runs as; set by the executor before the step runs.
    step_name: str = ""
    #: Whether this component can send rows to the dead-letter queue (``context.dead_letters``).
    #: A step's own ``dead_letter`` block on a component that cannot is a configuration error, and
    #: a pipeline-level ``dead_letter`` applies only to the steps whose component can.
    produces_dead_letters: ClassVar[bool] = False

    def __init__(self, config: ConfigT, context: Context, logger: Any = None, *, step_name: str | None = None):
        self.config = config
        self.context = context
        self.logger = logger if logger is not None else context.logger
        #: The pipeline step this instance serves (for transaction ids, messages, metrics).
        self.step_name = step_name or type(self).__name__

    def run_step(self, inputs: Mapping[str, DataFrame]) -> Any:
        """Do this step's work on its inputs (step name -> DataFrame); the runner calls it per attempt.

        Source, Transform, Validator and Sink each implement it by calling the method a component
        author writes (``read``, ``transform_inputs``, ``validate``, ``write``).
        """
        raise NotImplementedError(f"{type(self).__name__} must derive from Source, Transform, Validator or Sink")

    def prepare(self) -> None:
        """Optional look-ahead: driver-side work that needs none of this step's input.

        A component that overrides it is built and prepared on a background thread as the run
        starts, so that slow lookups (a target table's log on S3, say) overlap the steps before
        this one instead of following them; the step then runs on that same instance.  Write
        nothing here and treat what it finds as a hint: an earlier step of the same run may still
        change it (create the table, say), so check again where the answer matters.  Errors
        raised here are ignored; the step's own work meets them again, with its retries.
        """

    def release(self) -> None:
        """Free what this step keeps in Spark for its consumers (persisted rows, say).

        Called once every step that reads this step's output has finished, and when the run ends.
        """

    def config_path(self, key: str) -> str:
        """``pipeline.steps[2].config.<key>`` for this component's step, as config errors print it."""
        pipeline = getattr(self.context, "pipeline", None)
        for index, step in enumerate(getattr(pipeline, "steps", None) or []):
            if step.name == self.step_name:
                return f"pipeline.steps[{index}].config.{key}"
        return f"step {self.step_name!r} config.{key}"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in cls.__dict__.get("__orig_bases__", ()):
            args = typing.get_args(base)
            if args and isinstance(args[0], type) and issubclass(args[0], ComponentConfig):
                cls.config_class = args[0]

    @classmethod
    def produces_dead_letters_with(cls, config: Any) -> bool:
        """Whether this component can send dead letters with this config (decided before the run);
        :attr:`produces_dead_letters` unless a component narrows it (a file source: CSV and JSON only)."""
        return cls.produces_dead_letters

    @classmethod
    def describe(cls) -> str:
        """First paragraph of the class docstring, for ``ppf components``."""
        doc = (cls.__doc__ or "").strip()
        return doc.split("\n\n", 1)[0].replace("\n", " ")


class Source(Component[ConfigT]):
    """Produces a DataFrame (batch or streaming) from an external system; takes no input."""

    kind = ComponentKind.SOURCE
    config_class = SourceConfig

    @classmethod
    def reads_stream(cls, config: Any) -> bool:
        """Whether ``read`` returns a streaming DataFrame for this config (decided before the run).

        A pipeline with such a source is a streaming pipeline: the steps downstream of it run once
        per micro-batch (see ``docs/streaming.md``).
        """
        return False

    @classmethod
    def input_paths(cls, config: Any) -> Iterable[tuple[str, str]]:
        """``(config key, path)`` of the files or folders this source reads (paths, globs, URIs as written).

        ``ppf run`` checks, before Spark starts, that the local ones (no scheme, or ``file:``) exist.
        """
        return ()

    def read(self) -> DataFrame:
        raise NotImplementedError(f"{type(self).__name__} must implement read(self) -> DataFrame")

    def run_step(self, inputs: Mapping[str, DataFrame]) -> DataFrame:
        return self.read()


class Transform(Component[ConfigT]):
    """Turns its input DataFrame(s) into a new DataFrame.

    Implement ``transform(self, df)`` for one input.  A step with several ``inputs`` (joins,
    unions) calls ``transform_inputs(self, inputs)`` with a mapping of step name to DataFrame;
    override it to combine them.
    """

    kind = ComponentKind.TRANSFORM
    config_class = TransformConfig

    def transform(self, df: DataFrame) -> DataFrame:
        raise NotImplementedError(f"{type(self).__name__} must implement transform(self, df)")

    def transform_inputs(self, inputs: Mapping[str, DataFrame]) -> DataFrame:
        if len(inputs) != 1:
            raise TypeError(
                f"{type(self).__name__} takes one input but the step has {len(inputs)} "
                f"({', '.join(inputs)}); override transform_inputs(self, inputs) to combine them"
            )
        (df,) = inputs.values()
        return self.transform(df)

    def run_step(self, inputs: Mapping[str, DataFrame]) -> DataFrame:
        return self.transform_inputs(inputs)


class Sink(Component[ConfigT]):
    """Writes its input DataFrame to an external system; its output feeds no other step.

    ``write`` may start a streaming query and return it; the runner then waits for it.
    """

    kind = ComponentKind.SINK
    config_class = SinkConfig

    @classmethod
    def written_records_are_input_rows(cls, config: Any) -> bool:
        """Whether Spark's count of the records this sink writes equals the rows of its input.

        True for a plain file write; the runner then takes the input's row count from the
        write's own metrics instead of observing it.  False (the default) for merges, upserts
        and writes that run other jobs under the step (table maintenance, checkpoints).
        """
        return False

    def write(self, df: DataFrame) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement write(self, df)")

    def run_step(self, inputs: Mapping[str, DataFrame]) -> None:
        (df,) = inputs.values()  # pre-flight allows a sink exactly one input
        outcome = self.write(df)
        if outcome is not None and hasattr(outcome, "awaitTermination"):
            outcome.awaitTermination()  # a streaming sink runs until its query ends
            failure = outcome.exception()
            if failure is not None:  # Spark's own error of the query: its class decides whether to retry
                raise failure


class Validator(Component[ConfigT]):
    """Checks data quality and passes on the rows that may continue."""

    kind = ComponentKind.VALIDATOR
    config_class = ValidatorConfig

    def validate(self, df: DataFrame) -> DataFrame:
        raise NotImplementedError(f"{type(self).__name__} must implement validate(self, df)")

    def run_step(self, inputs: Mapping[str, DataFrame]) -> DataFrame:
        (df,) = inputs.values()  # pre-flight allows a validator exactly one input
        return self.validate(df)
