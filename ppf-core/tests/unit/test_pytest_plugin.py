"""ppf-core's pytest plugin: registered by entry point, lazy to import, its fixtures there for any project."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points

import pytest

from pyspark_pipeline_framework.core.plugins import hook_names
from pyspark_pipeline_framework.testing import HookCalls, InlineRegistry, run_without_spark, validate_pipeline

pytest_plugins = ["pytester"]


def test_installing_ppf_core_registers_the_plugin_with_pytest():
    (plugin,) = [ep for ep in entry_points(group="pytest11") if ep.name == "ppf"]
    assert plugin.value == "pyspark_pipeline_framework.pytest_plugin"
    assert plugin.dist is not None and plugin.dist.name == "ppf-core"


def test_importing_the_plugin_imports_neither_pyspark_nor_the_engine():
    code = (
        "import sys, pyspark_pipeline_framework.pytest_plugin\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('pyspark', 'py4j')\n"
        "    or m.startswith(('pyspark_pipeline_framework.runtime', 'pyspark_pipeline_framework.testing')))\n"
        "print(heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_fixtures_are_there_for_a_project_that_only_has_ppf_core_installed(pytester):
    pytester.makeini("[pytest]\nppf_spark_conf =\n    spark.sql.shuffle.partitions=3\n")
    pytester.makepyfile(
        """
        from pyspark_pipeline_framework.core import Hook, Source, SourceConfig, Sink, SinkConfig
        from pyspark_pipeline_framework.testing import InlineRegistry, run_without_spark, validate_pipeline

        class Numbers(Source[SourceConfig]):
            def read(self):
                self.logger.info("numbers_read", count=3)
                return [1, 2, 3]

        class Drop(Sink[SinkConfig]):
            def write(self, df):
                pass

        def test_hooks_and_logs(ppf_hook_calls, ppf_log_events):
            registry = InlineRegistry({"Numbers": Numbers, "Drop": Drop})
            pipeline = validate_pipeline(
                {"name": "p", "steps": [{"name": "n", "type": "Numbers"}, {"name": "d", "type": "Drop"}]}, registry
            )
            assert run_without_spark(pipeline, plugins=[ppf_hook_calls]).succeeded
            assert ppf_hook_calls.names(step="n") == ["before_step", "after_step"]
            assert ppf_log_events.named("numbers_read")[0]["count"] == 3

        def test_the_spark_conf_option_is_read(pytestconfig):
            assert pytestconfig.getini("ppf_spark_conf") == ["spark.sql.shuffle.partitions=3"]
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    fixtures = pytester.runpytest("--fixtures")
    fixtures.stdout.fnmatch_lines(
        ["ppf_spark ?session scope? -- *pytest_plugin.py*", "ppf_hook_calls -- *", "ppf_log_events -- *"]
    )


def test_a_malformed_spark_conf_line_is_a_usage_error_naming_the_option():
    from pyspark_pipeline_framework.pytest_plugin import spark_conf_from_ini

    assert spark_conf_from_ini(["a.b = 1", "c=x=y"]) == {"a.b": "1", "c": "x=y"}
    with pytest.raises(pytest.UsageError, match=r"ppf_spark_conf: expected key=value, got 'spark.ui.enabled'"):
        spark_conf_from_ini(["spark.ui.enabled"])


def test_hook_calls_implements_every_hook_through_the_plugin_manager():
    from pyspark_pipeline_framework.core.plugins import PluginManager

    calls = HookCalls()
    manager = PluginManager()
    manager.register(calls)
    assert {impl.plugin_name for name in hook_names() for impl in getattr(manager.hook, name).get_hookimpls()} == {
        manager.get_name(calls)
    }
    assert sorted(name for name in hook_names() if getattr(manager.hook, name).get_hookimpls()) == sorted(hook_names())
    manager.hook.on_retry(step_name="s", step=None, context=None, attempt=2, wait=0.5, error=ValueError("x"))
    (call,) = calls.of("on_retry")
    assert call["attempt"] == 2 and call["wait"] == 0.5 and call.arguments["step_name"] == "s"
    with pytest.raises(ValueError, match=r"no hook named 'on_retries'"):
        calls.of("on_retries")


def test_hook_calls_records_a_run_in_order():
    import ppf_test_components as c

    calls = HookCalls()
    registry = InlineRegistry({"Numbers": c.Numbers, "Collect": c.Collect})
    pipeline = validate_pipeline(
        {
            "name": "n",
            "steps": [{"name": "a", "type": "Numbers", "config": {"values": [1]}}, {"name": "b", "type": "Collect"}],
        },
        registry,
    )
    assert run_without_spark(pipeline, plugins=[calls]).succeeded
    assert calls.names() == [
        "ppf_secret_resolvers",
        "pipeline_start",
        "before_step",
        "after_step",
        "before_step",
        "after_step",
        "pipeline_end",
    ]
    assert calls.of("after_step")[0]["result"] == [1]
