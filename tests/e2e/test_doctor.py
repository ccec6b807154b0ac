"""`ppf doctor` and `ppf --version`: the installation as it is, broken plugins named, no Spark started."""

from __future__ import annotations

import json
from importlib.metadata import version

import pytest

from .conftest import probe

pytestmark = pytest.mark.e2e


def install_plugin(site, module, source, requires, entry_points):
    """A throwaway installed distribution: a module and its .dist-info in ``site`` (put on PYTHONPATH)."""
    (site / f"{module}.py").write_text(source)
    dist = site / f"{module}-0.1.dist-info"
    dist.mkdir()
    name = module.replace("_", "-")
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\nRequires-Dist: {requires}\n")
    (dist / "entry_points.txt").write_text(entry_points)
    return {"PYTHONPATH": str(site)}


def test_doctor_lists_versions_plugins_and_their_parts_without_spark(tmp_path):
    done, facts = probe("doctor", cwd=tmp_path)
    assert facts == {"exit": 0, "pyspark_imported": False, "jvm_started": False}, done.stdout + done.stderr
    out = done.stdout
    assert f"ppf {version('ppf-core')}" in out and f"pyspark {version('pyspark')}" in out
    assert "Python 3." in out and "Java " in out and "JAVA_HOME=" in out
    delta = out[out.index("  ppf-plugins-delta ") :]
    assert delta.startswith(f"  ppf-plugins-delta {version('ppf-plugins-delta')} (requires ppf-core")
    assert "components: DeltaSink, DeltaSource" in delta.splitlines()[1]
    assert "hook plugin vault (autoload): ppf_secret_resolvers" in out and "secret://vault/" in out
    assert "secret://aws-sm/" in out and "hook plugin metrics (hooks { enable_metrics = true }): " in out
    assert "io.delta:delta-spark_2.13:" in out  # a JVM package the installed plugins need, cached or not
    # What a cluster's nodes need: the same distributions; the project's own modules travel with the run.
    cluster = out[out.index("on a cluster") :].splitlines()
    assert f"pyspark {version('pyspark')} and ppf-core {version('ppf-core')}" in cluster[1]
    assert f"ppf-plugins-delta {version('ppf-plugins-delta')}" in cluster[1]
    assert "spark.ship_code" in cluster[2]


def test_doctor_json_has_the_same_report(tmp_path):
    done, facts = probe("doctor", "--format", "json", cwd=tmp_path)
    assert facts["exit"] == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["broken"] is False and report["environment"]["pyspark"] == version("pyspark")
    by_name = {d["name"]: d for d in report["distributions"]}
    assert by_name["ppf-plugins-aws"]["components"] == ["S3Sink", "S3Source"]
    assert "aws-sm" in by_name["ppf-plugins-aws"]["secret_schemes"]
    assert {p["coordinate"].split(":")[0] for p in report["jar_packages"]} >= {"io.delta", "org.apache.hadoop"}


def test_doctor_reports_a_plugin_whose_core_range_excludes_the_installed_core(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    env = install_plugin(
        site,
        "old_plugin",
        "from pathlib import Path\nPath('imported').touch()\n",
        "ppf-core<0.0.1",
        "[ppf.components]\nOldSource = old_plugin:OldSource\n[ppf.plugins]\nold = old_plugin\n",
    )
    done, facts = probe("doctor", cwd=tmp_path, env=env)
    assert facts["exit"] == 2 and facts["jvm_started"] is False, done.stdout + done.stderr
    core = version("ppf-core")
    assert "  old-plugin 0.1 (requires ppf-core<0.0.1)  INCOMPATIBLE" in done.stdout
    assert (
        f"error: old-plugin: old-plugin 0.1 requires ppf-core<0.0.1, but ppf-core {core} is installed; "
        "its entry points were not imported\n"
        f"    hint: install a release of old-plugin made for ppf-core {core} (`pip install -U old-plugin`), "
        "or uninstall it (`pip uninstall old-plugin`)"
    ) in done.stdout
    assert not (tmp_path / "imported").exists()  # doctor imports nothing of a plugin made for another core
    assert done.stdout.splitlines()[-1].startswith("1 problem and "), done.stdout


def test_doctor_reports_a_plugin_that_fails_to_import(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    env = install_plugin(
        site,
        "broken_plugin",
        "import ppf_doctor_no_such_dependency\n",
        "ppf-core>=0.1",
        "[ppf.plugins]\nbroken = broken_plugin:BrokenHook\n[ppf.components]\nBrokenSource = broken_plugin:BrokenSource\n",
    )
    done, facts = probe("doctor", cwd=tmp_path, env=env)
    assert facts["exit"] == 2 and facts["jvm_started"] is False, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    failure = "cannot import {}: ModuleNotFoundError: No module named 'ppf_doctor_no_such_dependency'"
    hook = f"error: broken-plugin: hook plugin broken: {failure.format('broken_plugin:BrokenHook')}"
    component = f"error: broken-plugin: component BrokenSource: {failure.format('broken_plugin:BrokenSource')}"
    assert hook in lines and component in lines, done.stdout
    assert lines[lines.index(hook) + 1] == (
        "    hint: reinstall broken-plugin (`pip install --force-reinstall broken-plugin`) with its dependencies, "
        "or uninstall it; PPF_DISABLE_PLUGINS=broken skips it meanwhile"
    )
    # The healthy plugins are still described.
    assert (
        "  ppf-plugins-delta " in done.stdout
        and "hook plugin broken (hooks { enable_broken = true }): not imported" in done.stdout
    )


def test_version_prints_ppf_python_pyspark_and_java(tmp_path):
    done, facts = probe("--version", cwd=tmp_path)
    assert facts == {"exit": 0, "pyspark_imported": False, "jvm_started": False}, done.stderr
    first, second = done.stdout.splitlines()
    assert first == f"ppf {version('ppf-core')}"
    assert second.startswith("Python 3.") and f", pyspark {version('pyspark')}, Java " in second
