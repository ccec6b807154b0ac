"""Loading a plugin's hook entry point (done for every run) imports none of its components."""

from __future__ import annotations

import json
import re
import subprocess
import sys

PROBE = """
import json, sys
from importlib.metadata import entry_points
for ep in entry_points(group="ppf.plugins"):
    ep.load()
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {"ppf_aws", "ppf_delta", "ppf_metrics", "ppf_vault"})))
"""


def test_hook_entry_points_do_not_import_the_plugins_components():
    loaded = json.loads(
        subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout
    )
    assert "ppf_aws.spark_settings" in loaded and "ppf_delta.spark_settings" in loaded  # the probe worked
    components = {"ppf_aws.sink", "ppf_aws.source", "ppf_delta.sink", "ppf_delta.source"}
    assert components.isdisjoint(loaded)


def test_package_level_names_still_import_on_use():
    import ppf_aws
    import ppf_delta
    import ppf_metrics
    import ppf_vault

    assert ppf_delta.DeltaSink.kind == "sink" and ppf_aws.S3Source.kind == "source"
    assert ppf_metrics.MetricsHook.__name__ == "MetricsHook" and ppf_vault.VaultPlugin.__name__ == "VaultPlugin"
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", ppf_delta.__version__)
