"""The cache of installed entry points: later processes skip ``importlib.metadata``, and any install is seen."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pyspark_pipeline_framework.core import entry_points as eps

# Prints the components found, and how often importlib.metadata was asked.
PROBE = textwrap.dedent(
    """
    import json, sys
    import importlib.metadata as md
    reads = []
    original = md.entry_points
    md.entry_points = lambda **kw: reads.append(kw) or original(**kw)
    from pyspark_pipeline_framework.core.entry_points import entry_points
    found = {ep.name: [ep.distribution, ep.version] for ep in entry_points(group="ppf.components")}
    print(json.dumps({"reads": len(reads), "components": found}))
    """
)


def _probe(cache: Path | str, site: Path) -> dict:
    env = {**os.environ, "PPF_CACHE_DIR": str(cache), "PYTHONPATH": str(site)}
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, env=env)
    return json.loads(done.stdout)


def _install(site: Path, name: str, version: str, component: str) -> Path:
    """A distribution's metadata as pip leaves it: ``<name>-<version>.dist-info``."""
    info = site / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[ppf.components]\n{component} = {name}_pkg:{component}\n")
    return info


@pytest.fixture
def site(tmp_path):
    return tmp_path / "site"


def test_a_later_process_reads_the_cache_instead_of_the_metadata(tmp_path, site):
    _install(site, "fakeplug", "1.0", "FakeSource")
    first, second = _probe(tmp_path / "cache", site), _probe(tmp_path / "cache", site)
    assert first["reads"] == 1 and second["reads"] == 0
    assert first["components"] == second["components"]
    assert second["components"]["FakeSource"] == ["fakeplug", "1.0"]
    assert second["components"]["ParquetSource"][0] == "ppf-core"


def test_installing_upgrading_and_removing_a_distribution_is_seen(tmp_path, site):
    cache = tmp_path / "cache"
    installed = _install(site, "fakeplug", "1.0", "FakeSource")
    assert "FakeSource" in _probe(cache, site)["components"]

    _install(site, "otherplug", "2.0", "OtherSink")
    after_install = _probe(cache, site)
    assert after_install["reads"] == 1
    assert {"FakeSource", "OtherSink"} <= set(after_install["components"])

    shutil.rmtree(installed)
    _install(site, "fakeplug", "1.1", "FakeSource")
    assert _probe(cache, site)["components"]["FakeSource"] == ["fakeplug", "1.1"]

    shutil.rmtree(site / "fakeplug-1.1.dist-info")
    after_removal = _probe(cache, site)
    assert "FakeSource" not in after_removal["components"] and "OtherSink" in after_removal["components"]


def test_an_unusable_cache_is_ignored(tmp_path, site):
    _install(site, "fakeplug", "1.0", "FakeSource")
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    assert "FakeSource" in _probe(not_a_folder, site)["components"]

    cache = tmp_path / "cache"
    _probe(cache, site)
    (written,) = cache.glob("entry-points-*.json")
    written.write_text('{"format": 1, "fingerprint": [], "entry_points": [{"name": 1}')  # cut off mid-write
    damaged = _probe(cache, site)
    assert damaged["reads"] == 1 and "FakeSource" in damaged["components"]
    assert _probe(cache, site)["reads"] == 0  # rewritten whole


def test_caching_can_be_switched_off(tmp_path, site):
    _install(site, "fakeplug", "1.0", "FakeSource")
    assert [_probe("off", site)["reads"] for _ in range(2)] == [1, 1]


def test_only_ppf_groups_are_served():
    with pytest.raises(ValueError, match="not one of ppf's"):
        eps.entry_points(group="console_scripts")


def test_an_entry_point_loads_a_module_or_an_attribute_of_it():
    module = eps.InstalledEntryPoint("kafka", "json", "ppf.plugins", "x", "1")
    attribute = eps.InstalledEntryPoint("Path", "pathlib : Path.home", "ppf.plugins", "x", "1")
    assert module.load() is json and attribute.load() == Path.home


def test_doctor_lists_the_plugins_from_the_metadata_whatever_the_cache_says(monkeypatch):
    from pyspark_pipeline_framework.runner import doctor

    monkeypatch.setattr(eps, "_installed", lambda: ())  # a cache that has lost every entry point
    findings: list = []
    (core,) = [d for d in doctor._distributions(findings, None) if d.name == "ppf-core"]
    assert "ParquetSource" in core.components and "audit_log" in [p.name for p in core.hook_plugins]
    assert not [f for f in findings if "component" in f.subject], findings


def test_writing_a_cache_file_removes_other_environments_files_unused_for_a_month(tmp_path, site):
    cache = tmp_path / "cache"
    cache.mkdir()
    stale, recent = cache / "entry-points-00000001.json", cache / "entry-points-00000002.json"
    jars = cache / "jars"  # the jar cache beside it is not the entry-point cache's
    for path in (stale, recent):
        path.write_text("{}")
    jars.mkdir()
    month_ago = os.path.getmtime(recent) - eps.STALE_AFTER_S - 60
    os.utime(stale, (month_ago, month_ago))
    os.utime(jars, (month_ago, month_ago))
    _install(site, "fakeplug", "1.0", "FakeSource")
    assert _probe(cache, site)["reads"] == 1  # a new environment: its file is written
    assert not stale.exists() and recent.exists() and jars.exists()
    assert len(list(cache.glob("entry-points-*.json"))) == 2
