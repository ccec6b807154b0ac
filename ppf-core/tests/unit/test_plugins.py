"""Hook plugin loading: broken plugins, enabling, blocking, progress display."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import pytest

from pyspark_pipeline_framework.core import Hook, HookSettings, plugins
from pyspark_pipeline_framework.core.errors import ConfigError
from pyspark_pipeline_framework.core.spec import HooksBlock


class Quiet(Hook):
    name = "quiet"


def broken_ep(name):
    def load():
        raise ImportError("missing dependency 'nonexistent_lib'")

    return SimpleNamespace(name=name, load=load)


def test_plugin_that_fails_to_import_is_reported_and_skipped(monkeypatch):
    monkeypatch.setattr(plugins, "hook_entry_points", lambda: {"broken": broken_ep("broken")})
    loaded = plugins.load_hook_plugins(HooksBlock())
    assert [(p.name, "nonexistent_lib" in p.error) for p in loaded.problems] == [("broken", True)]


def test_plugin_that_the_pipeline_needs_fails_loudly(monkeypatch):
    monkeypatch.setattr(plugins, "hook_entry_points", lambda: {"broken": broken_ep("broken")})
    with pytest.raises(
        ConfigError, match=r"pipeline.hooks.enable_broken: cannot import hook plugin 'broken'.*nonexistent_lib"
    ):
        plugins.load_hook_plugins(HooksBlock(enabled={"broken": True}))


def test_blocked_plugin_is_never_imported(monkeypatch):
    monkeypatch.setattr(plugins, "hook_entry_points", lambda: {"broken": broken_ep("broken")})
    monkeypatch.setenv("PPF_DISABLE_PLUGINS", "broken")
    loaded = plugins.load_hook_plugins(HooksBlock(enabled={"broken": True}))
    assert loaded.problems == []


def test_entry_point_plugins_load_only_when_enabled_or_autoload(monkeypatch):
    class Auto(Hook):
        autoload = True

    eps = {
        "quiet": SimpleNamespace(name="quiet", load=lambda: Quiet),
        "auto": SimpleNamespace(name="auto", load=lambda: Auto),
    }
    monkeypatch.setattr(plugins, "hook_entry_points", lambda: eps)
    names = lambda hooks: sorted(n for n, _ in plugins.load_hook_plugins(hooks).manager.list_name_plugin())  # noqa: E731
    assert names(HooksBlock()) == ["auto"]
    assert names(HooksBlock(enabled={"quiet": True})) == ["auto", "quiet"]
    assert names(HooksBlock(enabled={"auto": False})) == []


def test_settings_reach_the_plugin(monkeypatch):
    monkeypatch.setattr(
        plugins, "hook_entry_points", lambda: {"quiet": SimpleNamespace(name="quiet", load=lambda: Quiet)}
    )
    manager = plugins.load_hook_plugins(HooksBlock(enabled={"quiet": True}, settings={"quiet": {"level": 3}})).manager
    assert manager.get_plugin("quiet").settings == {"level": 3}


def test_settings_for_a_plugin_that_takes_none_are_a_config_error(monkeypatch):
    from pyspark_pipeline_framework.core import ConfigError

    class Settingless:  # a plain plugin object: no Hook base, no settings argument
        pass

    monkeypatch.setattr(
        plugins, "hook_entry_points", lambda: {"plain": SimpleNamespace(name="plain", load=lambda: Settingless)}
    )
    with pytest.raises(ConfigError, match="takes no settings") as caught:
        plugins.load_hook_plugins(HooksBlock(enabled={"plain": True}, settings={"plain": {"level": 3}}))
    assert caught.value.issues[0].path == "pipeline.hooks.plain" and caught.value.issues[0].hint


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_display_only_on_a_terminal(write_conf):
    from pyspark_pipeline_framework.runner.config.preflight import validate
    from pyspark_pipeline_framework.runner.config.reading import load_pipeline_file
    from pyspark_pipeline_framework.runner.progress import progress_plugins
    from pyspark_pipeline_framework.runtime.run.launch import run_pipeline

    assert progress_plugins(io.StringIO()) == []
    terminal = FakeTerminal()
    pipeline = validate(
        load_pipeline_file(
            write_conf("""
        pipeline {
          name = "shown"
          steps = [
            { name = "numbers", type = "ppf_test_components.Numbers", config { values = [1] } }
            { name = "boom", type = "ppf_test_components.Boom" }
          ]
        }
    """)
        )
    )
    run_pipeline(pipeline, spark=object(), extra_plugins=progress_plugins(terminal))
    shown = re.sub(r"\x1b\[[0-9;]*m", "", terminal.getvalue())
    assert "shown: 2 steps" in shown
    assert "✔ numbers" in shown and "[1/2]" in shown
    assert "✘ boom (RuntimeError: boom) [2/2]" in shown
    assert "failed" in shown.splitlines()[-1]


def test_components_show_lists_fields_with_types_defaults_and_docs():
    from pyspark_pipeline_framework.core.registry import ComponentRegistry
    from pyspark_pipeline_framework.runner.describe import describe_component

    text = describe_component(ComponentRegistry(), "FileSink")
    assert "FileSink  (sink)" in text and "provided by ppf-core" in text
    assert "path: str  (required)  Target directory." in text
    assert "mode: Literal['append', 'overwrite', 'error', 'errorifexists', 'ignore']  (default 'error')" in text
    assert "partition_by: list[str]  (default [])" in text


def test_progress_display_shows_rows_and_durations_as_steps_finish():
    from pyspark_pipeline_framework.core.results import RunResult, StepResult, StepStatus
    from pyspark_pipeline_framework.runner.progress import TerminalProgress

    terminal = FakeTerminal()
    progress = TerminalProgress(terminal)
    progress.pipeline_start("orders", SimpleNamespace(steps=[1, 2]))
    source = StepResult("read", StepStatus.SUCCEEDED, attempts=1, duration_s=0.4)
    sink = StepResult(
        "write",
        StepStatus.SUCCEEDED,
        attempts=2,
        duration_s=3.25,
        metrics={"rows_in": 1200, "rows_written": 1200, "rows_out": 1200, "bytes_written": 5 * 1024 * 1024},
    )
    progress.after_step("read", source)  # a lazy source: its rows are not known yet
    progress.after_step("write", sink)
    source.metrics["rows_out"] = 1500  # settled at the end of the run
    progress.pipeline_end(RunResult("r1", "orders", [source, sink], 3.7))
    shown = re.sub(r"\x1b\[[0-9;]*m", "", terminal.getvalue()).splitlines()
    assert "✔ read (0.4s, 1 attempt(s)) [1/2]" in shown[1]
    assert "✔ write (3.2s, 2 attempt(s), 1,200 rows written, 5.0 MiB) [2/2]" in shown[2]
    assert shown[3].strip() == "rows: read 1,500, write 1,200"
    assert "succeeded" in shown[-1]


class CollectorSettings(HookSettings):
    url: str
    timeout: float = 5.0


class Collector(Hook[CollectorSettings]):
    """Loads by itself, but cannot work without the collector's address."""

    autoload = True

    def pipeline_start(self, pipeline_name):
        pass


def test_an_autoloaded_plugin_whose_settings_need_a_value_is_a_config_error_before_the_run(monkeypatch):
    from pyspark_pipeline_framework.core import ConfigError

    ep = SimpleNamespace(name="collector", load=lambda: Collector)
    monkeypatch.setattr(plugins, "hook_entry_points", lambda: {"collector": ep})
    _, issues = plugins.check_hook_plugins(HooksBlock())  # what `ppf validate` runs
    [issue] = issues
    assert issue.path == "pipeline.hooks.collector"
    assert "loads by itself (autoload)" in issue.message and "need url" in issue.message
    assert (
        issue.hint == "add hooks { collector { url = ... } }, or switch it off with hooks { enable_collector = false }"
    )
    # The run, given no pre-flight (code that builds its own HooksBlock), says the same instead of a TypeError.
    with pytest.raises(ConfigError) as caught:
        plugins.load_hook_plugins(HooksBlock())
    assert caught.value.issues == [issue]
    # Switched off, or given its settings, it is fine.
    assert plugins.check_hook_plugins(HooksBlock(enabled={"collector": False}))[1] == []
    found, issues = plugins.check_hook_plugins(HooksBlock(settings={"collector": {"url": "http://c:4318"}}))
    assert issues == [] and [plugin.key for plugin in found] == ["collector"]


def test_preflight_checks_autoloaded_plugins_but_skips_those_that_fail_to_import(monkeypatch):
    class Typo(Hook):
        autoload = True

        def befor_step(self, step_name):
            pass

    class NotAutoloaded(Hook):
        def befor_step(self, step_name):
            pass

    eps = {
        "typo": SimpleNamespace(name="typo", load=lambda: Typo),
        "quiet_typo": SimpleNamespace(name="quiet_typo", load=lambda: NotAutoloaded),
        "broken": broken_ep("broken"),
    }
    monkeypatch.setattr(plugins, "hook_entry_points", lambda: eps)
    _, issues = plugins.check_hook_plugins(HooksBlock())
    assert [(issue.path, "'befor_step' is not a ppf hook" in issue.message) for issue in issues] == [
        ("pipeline.hooks", True)
    ]
    monkeypatch.setenv("PPF_DISABLE_PLUGINS", "typo")
    assert plugins.check_hook_plugins(HooksBlock())[1] == []
