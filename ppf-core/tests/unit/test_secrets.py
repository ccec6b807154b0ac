"""Secret references: parsing, the built-in ``env`` resolver, and resolution by the executor at run time."""

from __future__ import annotations

import pickle

import attrs
import pytest

from pyspark_pipeline_framework.core import Source, SourceConfig
from pyspark_pipeline_framework.core.context import RunInfo
from pyspark_pipeline_framework.core.hook import Hook
from pyspark_pipeline_framework.core.plugins import load_hook_plugins
from pyspark_pipeline_framework.core.results import StepStatus
from pyspark_pipeline_framework.core.secrets import (
    EnvSecretResolver,
    Secret,
    SecretError,
    Secrets,
    parse_reference,
)
from pyspark_pipeline_framework.runner.config.preflight import validate_raw
from pyspark_pipeline_framework.runtime.run.context import RunContext
from pyspark_pipeline_framework.runtime.run.executor import PipelineExecutor
from pyspark_pipeline_framework.testing import InlineRegistry


class LoginConfig(SourceConfig):
    user: str
    password: str
    options: dict[str, str] = attrs.field(factory=dict)


class Login(Source[LoginConfig]):
    """Returns its own config, so the test sees what the component was given."""

    def read(self):
        return self.config


def run(config: dict, plugins=()):
    raw = {"name": "secrets", "steps": [{"name": "login", "type": "Login", "config": config}]}
    pipeline = validate_raw(raw, InlineRegistry({"Login": Login}))
    manager = load_hook_plugins(pipeline.spec.hooks, plugins).manager
    return PipelineExecutor(pipeline, RunContext(RunInfo("secrets")), manager).run()


def test_parse_reference_splits_scheme_and_reference():
    assert parse_reference("secret://vault/kv/data/db#password") == ("vault", "kv/data/db#password")
    with pytest.raises(SecretError, match="secret://<scheme>/<reference>"):
        parse_reference("secret://no-reference")


def test_env_resolver_reads_the_variable_and_names_a_missing_one():
    resolver = EnvSecretResolver({"DB_PASSWORD": "hunter2"})
    assert resolver.resolve("DB_PASSWORD") == "hunter2"
    with pytest.raises(SecretError, match="export DB_USER="):
        resolver.resolve("DB_USER")


def test_secret_value_is_a_str_whose_repr_is_masked_and_pickles_plain():
    value = Secret("hunter2")
    assert value == "hunter2" and f"{value}" == "hunter2"
    assert repr(value) == "'***'" and "hunter2" not in repr({"password": value})
    restored = pickle.loads(pickle.dumps(value))
    assert type(restored) is str and restored == "hunter2"


def test_two_resolvers_for_one_scheme_are_an_error_naming_both():
    class OtherEnv:
        scheme = "env"

        def resolve(self, reference):
            return "x"

    with pytest.raises(SecretError, match=r"EnvSecretResolver and .*OtherEnv"):
        Secrets.from_resolvers([EnvSecretResolver({}), OtherEnv()])


def test_unknown_scheme_names_the_installed_ones():
    with pytest.raises(SecretError, match=r"no secret resolver for scheme 'vault' \(installed: env\)"):
        Secrets.from_resolvers([EnvSecretResolver({})]).resolve("secret://vault/kv/data/db#password")


def test_executor_resolves_references_right_before_the_component_is_built(monkeypatch, ppf_hook_calls, ppf_log_events):
    monkeypatch.setenv("PPF_TEST_DB_PASSWORD", "hunter2")
    monkeypatch.setenv("PPF_TEST_TOKEN", "t0ken")
    result = run(
        {
            "user": "etl",
            "password": "secret://env/PPF_TEST_DB_PASSWORD",
            "options": {"token": "secret://env/PPF_TEST_TOKEN", "mode": "plain"},
        },
        [ppf_hook_calls],
    )
    assert result.succeeded
    (after,) = ppf_hook_calls.of("after_step")
    given = after["result"]
    assert given.password == "hunter2" and given.options == {"token": "t0ken", "mode": "plain"}
    assert given.user == "etl"
    assert "hunter2" not in repr(given)
    # Hooks see the pipeline as written, with the reference and not the value.
    assert after["step"].config["password"] == "secret://env/PPF_TEST_DB_PASSWORD"
    assert len(ppf_log_events) > 0
    assert "hunter2" not in repr(list(ppf_log_events)) and "t0ken" not in repr(list(ppf_log_events))


def test_a_secret_that_cannot_be_resolved_fails_its_step_without_crashing_the_run(monkeypatch):
    monkeypatch.delenv("PPF_TEST_MISSING", raising=False)
    result = run({"user": "etl", "password": "secret://env/PPF_TEST_MISSING"})
    step = result.step("login")
    assert step.status is StepStatus.FAILED
    assert "PPF_TEST_MISSING is not set" in step.error


def test_resolvers_from_plugins_join_the_builtin_env_resolver():
    class Constant:
        scheme = "const"

        def resolve(self, reference):
            return reference.upper()

    class ConstantPlugin(Hook):
        def ppf_secret_resolvers(self):
            return [Constant()]

    manager = load_hook_plugins(
        validate_raw(
            {"name": "p", "steps": [{"name": "login", "type": "Login", "config": {"user": "u", "password": "p"}}]},
            InlineRegistry({"Login": Login}),
        ).spec.hooks,
        [ConstantPlugin()],
    ).manager
    secrets = Secrets.from_plugins(manager)
    assert {"const", "env"} <= set(secrets.resolvers)  # installed plugins (vault) may add more
    assert secrets.resolve("secret://const/abc") == "ABC"


def test_validation_keeps_references_unresolved(monkeypatch):
    monkeypatch.delenv("PPF_TEST_MISSING", raising=False)
    pipeline = validate_raw(
        {
            "name": "p",
            "steps": [
                {"name": "login", "type": "Login", "config": {"user": "u", "password": "secret://env/PPF_TEST_MISSING"}}
            ],
        },
        InlineRegistry({"Login": Login}),
    )
    assert pipeline.steps["login"].config.password == "secret://env/PPF_TEST_MISSING"


class Renewer:
    """A resolver with a token renewal to stop at the end of the run."""

    def __init__(self, scheme: str, fails: bool):
        self.scheme, self.fails, self.closed = scheme, fails, False

    def resolve(self, reference):
        return reference

    def close(self):
        self.closed = True
        if self.fails:
            raise ConnectionError("the token could not be revoked")


def test_a_resolver_failing_to_close_stops_neither_the_others_nor_the_runs_clean_up(tmp_path):
    import signal

    from pyspark_pipeline_framework.runtime.resilience.ledger import RunLedger
    from pyspark_pipeline_framework.runtime.run.launch import run_pipeline

    failing, other = Renewer("failing", fails=True), Renewer("other", fails=False)

    class Renewers(Hook):
        def ppf_secret_resolvers(self):
            return [failing, other]

    pipeline = validate_raw(
        {"name": "p", "steps": [{"name": "login", "type": "Login", "config": {"user": "u", "password": "p"}}]},
        InlineRegistry({"Login": Login}),
    )
    ledger = RunLedger(tmp_path / "runs")
    handler_before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(ConnectionError, match="revoked"):
        run_pipeline(pipeline, spark=object(), extra_plugins=[Renewers()], ledger=ledger, handle_signals=True)
    assert failing.closed and other.closed
    assert signal.getsignal(signal.SIGTERM) is handler_before  # the run's handlers were taken back
    [record] = ledger.runs()
    assert record["status"] == "succeeded"  # the run itself ended; only the clean-up failed
    assert not ledger.alive(record["run_id"])


def test_a_reference_that_does_not_resolve_at_run_time_names_its_file_and_line(write_conf, monkeypatch):
    from pyspark_pipeline_framework.runner.config.preflight import validate
    from pyspark_pipeline_framework.runner.config.reading import load_pipeline_file
    from pyspark_pipeline_framework.runtime.run.launch import run_pipeline

    monkeypatch.delenv("PPF_TEST_ABSENT", raising=False)
    path = write_conf("""
    pipeline {
      name = "located"
      steps = [
        { name = "numbers", type = "ppf_test_components.Numbers", config { values = [1] } }
        {
          name = "out"
          type = ParquetSink
          config {
            path = "secret://env/PPF_TEST_ABSENT"
          }
        }
      ]
    }
    """)
    result = run_pipeline(validate(load_pipeline_file(path)), spark=object())
    assert result.step("out").status is StepStatus.FAILED
    assert f"{path}:9: pipeline.steps[1].config.path: " in result.step("out").error, result.step("out").error
