"""Hooks are called through pluggy: wrappers run, a failing observer stops nobody, misspelled hooks are errors."""

from __future__ import annotations

import pluggy
import pytest
from structlog.testing import capture_logs

from pyspark_pipeline_framework.core import ConfigError, Hook, HookSettings, hookimpl, plugins
from pyspark_pipeline_framework.core.plugins import PluginManager, load_hook_plugins, misnamed_hooks
from pyspark_pipeline_framework.core.spec import HooksBlock
from pyspark_pipeline_framework.runner.config.preflight import validate
from pyspark_pipeline_framework.runner.config.reading import load_pipeline_file
from pyspark_pipeline_framework.runtime.run.launch import run_pipeline

T = "ppf_test_components"
NO_SPARK = object()  # these components never touch Spark

TWO_STEPS = f"""
pipeline {{
  name = "hooked"
  steps = [
    {{ name = "numbers", type = "{T}.Numbers", config {{ values = [1, 2] }} }}
    {{ name = "out", type = "{T}.Collect" }}
  ]
}}
"""


def run(write_conf, plugins=(), text=TWO_STEPS):
    with capture_logs() as logs:
        result = run_pipeline(validate(load_pipeline_file(write_conf(text))), spark=NO_SPARK, extra_plugins=plugins)
    return result, [entry for entry in logs if entry["event"] == "hook_failed"]


class Plain(Hook):
    def __init__(self, events, label="plain"):
        super().__init__()
        self.events, self.label = events, label

    def before_step(self, step_name):
        self.events.append((self.label, step_name))


class Wrapper(Hook):
    def __init__(self, events, fail_before=False, fail_after=False):
        super().__init__()
        self.events, self.fail_before, self.fail_after = events, fail_before, fail_after

    @hookimpl(wrapper=True)
    def before_step(self, step_name):
        self.events.append(("wrapper before", step_name))
        if self.fail_before:
            raise RuntimeError("wrapper bug before")
        results = yield
        self.events.append(("wrapper after", step_name, results))
        if self.fail_after:
            raise RuntimeError("wrapper bug after")
        return results


class OldStyleWrapper(Hook):
    def __init__(self, events):
        super().__init__()
        self.events = events

    @hookimpl(hookwrapper=True)
    def before_step(self, step_name):
        self.events.append(("old wrapper before", step_name))
        outcome = yield
        self.events.append(("old wrapper after", step_name, outcome.exception is None))


class Broken(Hook):
    def before_step(self, step_name):
        raise RuntimeError("observer bug")


def test_a_wrapper_runs_around_the_plain_implementations_of_a_real_run(write_conf):
    events: list = []
    result, failures = run(write_conf, [Plain(events), Wrapper(events)])
    assert result.succeeded and failures == []
    assert events == [
        ("wrapper before", "numbers"),
        ("plain", "numbers"),
        ("wrapper after", "numbers", []),
        ("wrapper before", "out"),
        ("plain", "out"),
        ("wrapper after", "out", []),
    ]


def test_an_old_style_hookwrapper_runs_too(write_conf):
    events: list = []
    run(write_conf, [Plain(events), OldStyleWrapper(events)])
    assert events[:3] == [
        ("old wrapper before", "numbers"),
        ("plain", "numbers"),
        ("old wrapper after", "numbers", True),
    ]


def test_a_failing_implementation_is_reported_and_the_others_still_run(write_conf):
    events: list = []
    result, failures = run(write_conf, [Plain(events, "first"), Broken(), Plain(events, "last"), Wrapper(events)])
    assert result.succeeded
    assert [(f["hook"], f["error"]) for f in failures] == [("before_step", "RuntimeError: observer bug")] * 2
    assert all("Broken" in f["plugin"] for f in failures)
    # Both other plain implementations ran inside the wrapper, which saw the call complete.
    assert events[:4] == [
        ("wrapper before", "numbers"),
        ("last", "numbers"),
        ("first", "numbers"),
        ("wrapper after", "numbers", []),
    ]


def test_a_wrapper_failing_before_its_yield_is_reported_and_the_implementations_still_run(write_conf):
    events: list = []
    result, failures = run(write_conf, [Plain(events), Wrapper(events, fail_before=True)])
    assert result.succeeded
    assert [f["error"] for f in failures] == ["RuntimeError: wrapper bug before"] * 2
    assert all("Wrapper" in f["plugin"] for f in failures)  # the failing wrapper is named
    assert events == [("wrapper before", "numbers"), ("plain", "numbers"), ("wrapper before", "out"), ("plain", "out")]


def test_a_wrapper_failing_after_its_yield_is_reported_once_and_nothing_runs_twice(write_conf):
    events: list = []
    result, failures = run(write_conf, [Plain(events), Wrapper(events, fail_after=True)])
    assert result.succeeded
    assert [f["error"] for f in failures] == ["RuntimeError: wrapper bug after"] * 2
    assert [e for e in events if e[0] == "plain"] == [("plain", "numbers"), ("plain", "out")]


def test_implementations_are_called_in_pluggys_own_order():
    class Ordered(Hook):
        def __init__(self, label, calls):
            super().__init__()
            self.label, self.calls = label, calls

    def plugin(label, calls, **opts):
        def before_step(self, step_name):
            self.calls.append(self.label)

        cls = type(f"P{label}", (Ordered,), {"before_step": hookimpl(**opts)(before_step) if opts else before_step})
        return cls(label, calls)

    def called(notify):
        calls: list = []
        manager = PluginManager()
        order = [("a", {}), ("first", {"tryfirst": True}), ("b", {}), ("last", {"trylast": True}), ("c", {})]
        for label, opts in order:
            manager.register(plugin(label, calls, **opts))
        if notify:
            manager.notify("before_step", lambda *_: None, step_name="s", step=None, context=None)
        else:
            manager.hook.before_step(step_name="s", step=None, context=None)
        return calls

    assert called(notify=True) == called(notify=False) == ["first", "c", "b", "a", "last"]


# -- misspelled hooks --------------------------------------------------------------------------


class MarkedTypo(Hook):
    @hookimpl
    def befor_step(self, step_name):
        pass


class UnmarkedTypo(Hook):
    def after_steps(self, step_name):
        pass


class WrongArgument(Hook):
    def before_step(self, step_nme):
        pass


class Helpers(Hook):
    """Public helpers far from any hook name, and a private one close to one, are fine."""

    def before_step(self, step_name):
        self._before_steps()

    def flush(self):
        pass

    def _before_steps(self):
        pass


class MarkedModule:
    """A plain pluggy plugin (no Hook base) with a misspelled marked function."""

    @staticmethod
    @hookimpl
    def pipeline_ended(pipeline_name):
        pass


def test_pluggy_alone_would_register_a_misspelled_marked_hook_and_never_call_it():
    # Why the check exists: pluggy reports this only if check_pending() is called.
    manager = pluggy.PluginManager("ppf")
    from pyspark_pipeline_framework.core import hookspecs

    manager.add_hookspecs(hookspecs)
    manager.register(MarkedTypo())
    with pytest.raises(pluggy.PluginValidationError, match="befor_step"):
        manager.check_pending()


@pytest.mark.parametrize(
    ("plugin", "attribute", "suggestion"),
    [
        (MarkedTypo, "befor_step", "before_step"),
        (UnmarkedTypo, "after_steps", "after_step"),
        (MarkedModule, "pipeline_ended", "pipeline_end"),
    ],
)
def test_a_misspelled_hook_is_named_with_a_suggestion(plugin, attribute, suggestion):
    for target in (plugin, plugin()):  # the class (ppf validate) and the instance (the run)
        [problem] = misnamed_hooks(target)
        assert problem.attribute == attribute and f"did you mean {suggestion!r}?" in problem.hint


def test_helpers_far_from_hook_names_and_private_methods_are_not_problems():
    assert misnamed_hooks(Helpers) == misnamed_hooks(Helpers()) == []


@pytest.mark.parametrize("plugin", [MarkedTypo, UnmarkedTypo, MarkedModule])
def test_loading_a_plugin_with_a_misspelled_hook_is_a_config_error(plugin):
    with pytest.raises(ConfigError) as failure:
        load_hook_plugins(HooksBlock(), extra=[plugin()])
    [issue] = failure.value.issues
    assert "is not a ppf hook" in issue.message or "has no hook" in issue.message
    assert issue.hint.startswith("did you mean")


def test_an_argument_the_hook_does_not_have_is_a_config_error():
    with pytest.raises(ConfigError, match="step_nme"):
        load_hook_plugins(HooksBlock(), extra=[WrongArgument()])
    [issue] = plugins.plugin_issues(WrongArgument, "wrong", "pipeline.hooks.plugins[0]")  # ppf validate: the class
    assert issue.path == "pipeline.hooks.plugins[0]" and "hook plugin 'wrong' is invalid" in issue.message
    assert "step_nme" in issue.message


def test_check_pending_is_called_after_registering(monkeypatch):
    # A marked function pluggy cannot match, even if the name check above missed it (an optional
    # hook of another project's marker style, say), is still reported through check_pending.
    monkeypatch.setattr(plugins, "misnamed_hooks", lambda plugin: [])
    with pytest.raises(ConfigError, match="unknown hook 'befor_step'"):
        load_hook_plugins(HooksBlock(), extra=[MarkedTypo()])


def test_validate_reports_a_misspelled_hook_with_file_and_line(write_conf):
    hooks = f'name = "hooked"\n  hooks {{ plugins = ["{__name__}.UnmarkedTypo"] }}'
    path = write_conf(TWO_STEPS.replace('name = "hooked"', hooks))
    with pytest.raises(ConfigError) as failure:
        validate(load_pipeline_file(path))
    [issue] = failure.value.issues
    assert issue.path == "pipeline.hooks.plugins[0]" and issue.line == 3
    assert f"hook plugin '{__name__}.UnmarkedTypo'" in issue.message and "'after_steps'" in issue.message


def test_the_plugins_shipped_with_ppf_implement_only_real_hooks():
    from pyspark_pipeline_framework.runner.progress import TerminalProgress

    shipped = [ep.load() for ep in plugins.hook_entry_points().values()] + [TerminalProgress]
    assert len(shipped) >= 5  # audit_log, metrics, lineage, vault, the Delta and AWS settings, the progress display
    for plugin in shipped:
        assert plugins.plugin_issues(plugin, repr(plugin), "pipeline.hooks") == [], plugin


# -- typed settings ------------------------------------------------------------------------------


class TimingSettings(HookSettings):
    label: str = "step"
    slow_after: float = 10.0

    def check(self):
        if self.slow_after <= 0:
            yield "slow_after", "must be positive"


class TimingHook(Hook[TimingSettings]):
    def before_step(self, step_name):
        pass


class DictHook(Hook):
    def before_step(self, step_name):
        pass


def with_hooks(write_conf, block):
    return load_pipeline_file(write_conf(TWO_STEPS.replace('name = "hooked"', f'name = "hooked"\n  hooks {block}')))


def test_the_settings_class_is_inferred_from_the_type_argument():
    assert TimingHook.settings_class is TimingSettings and DictHook.settings_class is None
    assert TimingHook().settings == TimingSettings()  # no block: the defaults
    with pytest.raises(TypeError, match="takes a TimingSettings, not dict"):
        TimingHook({"label": "x"})


def test_typed_settings_are_structured_before_the_run_and_reach_the_plugin(write_conf):
    key = f"{__name__}.TimingHook"
    pipeline = validate(with_hooks(write_conf, f'{{ plugins = ["{key}"], "{key}" {{ label = "t", slow_after = 2 }} }}'))
    assert pipeline.hook_settings[key] == TimingSettings(label="t", slow_after=2.0)
    hook = load_hook_plugins(pipeline.spec.hooks, settings=pipeline.hook_settings).manager.get_plugin(key)
    assert hook.settings == TimingSettings(label="t", slow_after=2.0)


def test_plugins_without_a_settings_class_keep_receiving_a_dict(write_conf):
    key = f"{__name__}.DictHook"
    pipeline = validate(with_hooks(write_conf, f'{{ plugins = ["{key}"], "{key}" {{ anything = 1 }} }}'))
    hook = load_hook_plugins(pipeline.spec.hooks, settings=pipeline.hook_settings).manager.get_plugin(key)
    assert hook.settings == {"anything": 1}


def test_hook_settings_are_checked_like_a_steps_config(write_conf, monkeypatch):
    from types import SimpleNamespace

    monkeypatch.setattr(
        plugins, "hook_entry_points", lambda: {"timing": SimpleNamespace(name="timing", load=lambda: TimingHook)}
    )
    file = with_hooks(
        write_conf, '{\n    enable_timing = true\n    timing {\n      lable = "x"\n      slow_after = -1\n    }\n  }'
    )
    with pytest.raises(ConfigError) as failure:
        validate(file)
    assert [(i.path, i.message, i.hint, i.line) for i in failure.value.issues] == [
        ("pipeline.hooks.timing.lable", "unknown key", "did you mean 'label'?", 6)
    ]
    file = with_hooks(write_conf, "{\n    enable_timing = true\n    timing {\n      slow_after = -1\n    }\n  }")
    with pytest.raises(ConfigError) as failure:
        validate(file)
    assert [(i.path, i.message, i.line) for i in failure.value.issues] == [
        ("pipeline.hooks.timing.slow_after", "must be positive", 6)
    ]


def test_settings_of_a_plugin_named_by_its_path_are_located_under_the_quoted_key(write_conf):
    key = f"{__name__}.TimingHook"
    file = with_hooks(
        write_conf,
        f'{{\n    plugins = ["{key}"]\n    "{key}" {{\n      slow_after = 1\n      lable = "x"\n    }}\n  }}',
    )
    with pytest.raises(ConfigError) as failure:
        validate(file)
    [issue] = failure.value.issues
    assert (issue.path, issue.line) == (f'pipeline.hooks."{key}".lable', 7)
