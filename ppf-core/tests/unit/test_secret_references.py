"""References wherever credentials go: hook settings, spark.conf, once per run, retried or not, masked."""

from __future__ import annotations

import base64
import json
import logging
import re
from typing import ClassVar
from urllib.parse import quote, quote_plus

import pytest
import structlog
from structlog.testing import capture_logs

from pyspark_pipeline_framework.core import Hook, Source, SourceConfig
from pyspark_pipeline_framework.core.context import RunInfo
from pyspark_pipeline_framework.core.masking import MASK, MaskingFilter, SecretMasker, mask_log_event, secret_masker
from pyspark_pipeline_framework.core.plugins import load_hook_plugins
from pyspark_pipeline_framework.core.results import StepStatus
from pyspark_pipeline_framework.core.secrets import (
    PermanentSecretError,
    SecretNotFound,
    Secrets,
    SecretUnavailable,
    UnknownSecretScheme,
)
from pyspark_pipeline_framework.core.spec import HooksBlock, SparkSettings
from pyspark_pipeline_framework.runner.config.preflight import validate_raw
from pyspark_pipeline_framework.runtime.run.context import RunContext
from pyspark_pipeline_framework.runtime.run.executor import PipelineExecutor
from pyspark_pipeline_framework.runtime.session.builder import SPARK_DEFAULT_REDACTION, with_secrets_resolved
from pyspark_pipeline_framework.testing import InlineRegistry


class Counting:
    """A resolver that counts its calls and can be told to fail the first ones."""

    scheme = "count"

    def __init__(self, failures: list[Exception] | None = None):
        self.calls: list[str] = []
        self.failures = list(failures or [])

    def resolve(self, reference: str) -> str:
        self.calls.append(reference)
        if self.failures:
            raise self.failures.pop(0)
        return f"value-of-{reference}"


class CountingPlugin(Hook):
    def __init__(self, resolver: Counting):
        super().__init__()
        self.resolver = resolver

    def ppf_secret_resolvers(self):
        return [self.resolver]


class TokenHook(Hook):
    """A hook plugin whose settings hold a token, as a metrics exporter's would."""

    name = "token_hook"
    built: ClassVar[list[dict]] = []

    def __init__(self, settings=None):
        super().__init__(settings)
        TokenHook.built.append(dict(self.settings))


class LoginConfig(SourceConfig):
    password: str


class Login(Source[LoginConfig]):
    def read(self):
        return self.config.password


#: ``hooks.plugins`` names a hook class by dotted path: this module's own TokenHook.
TOKEN_HOOK = f"{__name__}.TokenHook"


def test_hook_settings_are_resolved_before_the_plugin_is_built(monkeypatch):
    monkeypatch.setenv("PPF_TEST_HOOK_TOKEN", "hook-t0ken")
    TokenHook.built.clear()
    hooks = HooksBlock(
        settings={TOKEN_HOOK: {"token": "secret://env/PPF_TEST_HOOK_TOKEN", "level": 3}},
        plugins=[TOKEN_HOOK],
    )
    loaded = load_hook_plugins(hooks)
    assert TokenHook.built == [{"token": "hook-t0ken", "level": 3}]
    assert loaded.secrets.resolve("secret://env/PPF_TEST_HOOK_TOKEN") == "hook-t0ken"


def test_a_hook_setting_may_use_the_scheme_of_another_plugin_whatever_their_order(monkeypatch):
    resolver = Counting()
    TokenHook.built.clear()
    hooks = HooksBlock(settings={TOKEN_HOOK: {"token": "secret://count/abc"}}, plugins=[TOKEN_HOOK])
    # The resolver's plugin is registered after the hook plugins (as an extra): still found first.
    load_hook_plugins(hooks, [CountingPlugin(resolver)])
    assert TokenHook.built == [{"token": "value-of-abc"}]


def test_a_hook_setting_that_cannot_be_resolved_names_its_config_path(monkeypatch):
    monkeypatch.delenv("PPF_TEST_MISSING", raising=False)
    hooks = HooksBlock(
        settings={TOKEN_HOOK: {"exporter": {"token": "secret://env/PPF_TEST_MISSING"}}}, plugins=[TOKEN_HOOK]
    )
    path = re.escape(f"pipeline.hooks.{TOKEN_HOOK}.exporter.token")
    with pytest.raises(SecretNotFound, match=rf"^{path}: secret://env/"):
        load_hook_plugins(hooks)
    with pytest.raises(UnknownSecretScheme, match=r"'nope'.*install the plugin that provides it"):
        load_hook_plugins(HooksBlock(settings={TOKEN_HOOK: {"t": "secret://nope/x"}}, plugins=[TOKEN_HOOK]))
    with pytest.raises(UnknownSecretScheme, match=r"pip install 'ppf-plugins-vault'"):
        Secrets.from_resolvers([]).resolve("secret://vault/kv/data/db#password")


def test_spark_conf_references_are_resolved_and_their_keys_redacted_by_spark():
    secrets = Secrets.from_resolvers([Counting()])
    settings = SparkSettings(
        conf={
            "spark.hadoop.fs.s3a.bucket.raw.secret.key": "secret://count/s3",
            "spark.ppf.jdbc.password": "secret://count/jdbc",
            "spark.sql.shuffle.partitions": "4",
        }
    )
    resolved = with_secrets_resolved(settings, secrets)
    conf = resolved.conf
    assert conf["spark.ppf.jdbc.password"] == "value-of-jdbc" and conf["spark.sql.shuffle.partitions"] == "4"
    regex = conf["spark.redaction.regex"]
    assert regex.startswith(SPARK_DEFAULT_REDACTION + "|")
    for name in (
        "spark.ppf.jdbc.password",
        "fs.s3a.bucket.raw.secret.key",
        "spark.hadoop.fs.s3a.bucket.raw.secret.key",
    ):
        assert rf"\Q{name}\E" in regex
    assert "value-of" not in regex
    assert settings.conf["spark.ppf.jdbc.password"] == "secret://count/jdbc"  # the spec keeps the reference
    own = with_secrets_resolved(
        SparkSettings(conf={"spark.redaction.regex": "(?i)mine", "k": "secret://count/x"}), secrets
    )
    assert own.conf["spark.redaction.regex"] == r"(?i)mine|\Qk\E"
    untouched = SparkSettings(conf={"spark.sql.shuffle.partitions": "4"})
    assert with_secrets_resolved(untouched, secrets) is untouched


def run(resolver: Counting, steps: list[dict], retry: dict | None = None):
    raw = {"name": "refs", "steps": steps}
    if retry:
        raw["retry"] = retry
    pipeline = validate_raw(raw, InlineRegistry({"Login": Login}))
    manager = load_hook_plugins(pipeline.spec.hooks, [CountingPlugin(resolver)]).manager
    return PipelineExecutor(pipeline, RunContext(RunInfo("refs")), manager).run()


def login(name: str, reference: str) -> dict:
    return {"name": name, "type": "Login", "config": {"password": reference}, "inputs": []}


def test_each_reference_is_resolved_once_per_run():
    resolver = Counting()
    result = run(
        resolver, [login("a", "secret://count/db"), login("b", "secret://count/db"), login("c", "secret://count/other")]
    )
    assert result.succeeded
    assert sorted(resolver.calls) == ["db", "other"]


def test_a_store_that_is_down_is_retried_by_the_step_policy_and_a_permanent_failure_is_not():
    down_once = Counting([SecretUnavailable("secret://count/db: the store is down")])
    result = run(down_once, [login("a", "secret://count/db")], retry={"max_attempts": 3, "initial_delay": "10ms"})
    assert result.succeeded and result.step("a").attempts == 2
    missing = Counting([PermanentSecretError("secret://count/db: no such secret")] * 3)
    result = run(missing, [login("a", "secret://count/db")], retry={"max_attempts": 3, "initial_delay": "10ms"})
    step = result.step("a")
    assert step.status is StepStatus.FAILED and step.attempts == 1
    assert step.error.startswith("PermanentSecretError: pipeline.steps[0].config.password: secret://count/db")


# -- masking -------------------------------------------------------------------------------------
CANARY = "cAn4ry/s3cr3t+value=="


def every_form(value: str) -> list[str]:
    raw = value.encode()
    return [
        value,
        quote(value, safe=""),
        quote_plus(value),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        raw.hex(),
        raw.hex().upper(),
        json.dumps(value)[1:-1],
    ]


def test_the_masker_masks_a_value_in_its_common_encodings():
    masker = SecretMasker()
    masker.add(CANARY)
    masker.add("ab")  # too short to mask: left alone
    for form in every_form(CANARY):
        text = f"connect failed: user=etl password={form} tab"
        assert masker.mask(text) == f"connect failed: user=etl password={MASK} tab", form
    assert masker.mask("ab cd") == "ab cd"
    assert masker.mask_all({"e": [f"x{CANARY}", 3]}) == {"e": [f"x{MASK}", 3]}


def test_resolved_values_are_masked_in_log_events_and_standard_logging():
    secrets = Secrets.from_resolvers([Counting()])
    value = str(secrets.resolve("secret://count/log-canary-1"))
    event = mask_log_event(
        None,
        "error",
        {
            "event": "step_failed",
            "error": f"bad password {value}",
            "nested": {"url": f"jdbc://u:{quote(value, safe='')}@h"},
        },
    )
    assert value not in json.dumps(event) and quote(value, safe="") not in json.dumps(event)
    record = logging.LogRecord("py4j", logging.ERROR, __file__, 1, "failed with %s", (value,), None)
    MaskingFilter().filter(record)
    assert record.getMessage() == f"failed with {MASK}"
    assert secret_masker().mask(value) == MASK


def test_the_cli_logging_configuration_masks_every_line(capsys):
    from pyspark_pipeline_framework.runtime.session.logs import configure_logging

    value = str(Secrets.from_resolvers([Counting()]).resolve("secret://count/log-canary-2"))
    configure_logging("json", "info")
    try:
        structlog.get_logger("ppf").error("step_failed", error=f"driver said {value}")
        logging.getLogger("some.library").error("oops %s", value)
    finally:
        structlog.reset_defaults()
        logging.basicConfig(force=True)
    err = capsys.readouterr().err
    assert "step_failed" in err and "oops" in err and value not in err and MASK in err


def test_a_step_error_quoting_the_value_is_masked_for_hooks_and_logs():
    class Leaky(Source[LoginConfig]):
        def read(self):
            raise RuntimeError(f"cannot log in with {self.config.password}")

    class Errors(Hook):
        def __init__(self):
            super().__init__()
            self.results = []

        def pipeline_end(self, result):
            self.results.append(result)

    pipeline = validate_raw(
        {
            "name": "leak",
            "steps": [{"name": "a", "type": "Leaky", "config": {"password": "secret://count/leaky-canary"}}],
        },
        InlineRegistry({"Leaky": Leaky}),
    )
    errors = Errors()
    manager = load_hook_plugins(pipeline.spec.hooks, [CountingPlugin(Counting()), errors]).manager
    with capture_logs() as logs:
        result = PipelineExecutor(pipeline, RunContext(RunInfo("leak")), manager).run()
    assert result.step("a").error == f"RuntimeError: cannot log in with {MASK}"
    assert "value-of-leaky-canary" not in repr(logs)
    assert errors.results[0].step("a").error == f"RuntimeError: cannot log in with {MASK}"


def test_parallel_steps_asking_for_one_reference_wait_for_a_single_fetch():
    import time
    from concurrent.futures import ThreadPoolExecutor

    class Slow(Counting):
        def resolve(self, reference):
            time.sleep(0.2)
            return super().resolve(reference)

    resolver = Slow()
    secrets = Secrets.from_resolvers([resolver])
    with ThreadPoolExecutor(4) as pool:
        values = list(pool.map(secrets.resolve, ["secret://count/db"] * 4 + ["secret://count/other"] * 2))
    assert values == ["value-of-db"] * 4 + ["value-of-other"] * 2
    assert sorted(resolver.calls) == ["db", "other"]
