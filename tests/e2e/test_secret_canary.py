"""The secret canary: one value behind every scheme, used everywhere a credential goes, found nowhere.

One canary value is stored in OpenBao (Vault), in moto's Secrets Manager, in an environment
variable, in an age ciphertext and in a SOPS file.  A pipeline reads it through all five schemes in
a step's config, through Secrets Manager in ``spark.conf`` and through SOPS in a hook plugin's
settings, with every output on: the JSON log, the audit log, OpenLineage events, the metrics
plugin (spans and metrics exported to a file, and its default Prometheus file), the run ledger and
Spark's event log.  It runs once successfully, its first attempt failing with the value in its
error message and retried, and once failing for good with the value in its message.  The
component and the hook prove they received the right value (by its hash); then stdout, stderr and
every file the runs wrote (audit, lineage, telemetry, Prometheus, ledger, event log, outputs), and
the output of ``ppf plan``, ``ppf validate`` and ``ppf runs show``, are scanned for the canary raw,
URL-encoded, base64 and hex.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import textwrap
import uuid
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from pyrage import x25519

from .conftest import ppf

pytestmark = [pytest.mark.e2e, pytest.mark.services]

COMPONENTS = '''
"""A source that checks what it was given, and a hook that checks its setting (by hash only)."""

import hashlib
from pathlib import Path

from pyspark_pipeline_framework.core import Hook, Source, SourceConfig


def digest(value):
    return hashlib.sha256(value.encode()).hexdigest()


class CanaryConfig(SourceConfig):
    from_vault: str
    from_secrets_manager: str
    from_env: str
    from_age: str
    from_sops: str
    expected_sha256: str
    fail: bool = False


class CanarySource(Source[CanaryConfig]):
    attempts = 0

    def read(self):
        c = self.config
        given = [c.from_vault, c.from_secrets_manager, c.from_env, c.from_age, c.from_sops,
                 self.context.spark.conf.get("spark.ppf.canary")]
        Path("component-received.txt").write_text(" ".join(digest(v) for v in given))
        type(self).attempts += 1
        self.context.metrics.increment("canary.attempts")
        if c.fail or type(self).attempts == 1:  # the first attempt always fails: the retry policy retries it
            raise RuntimeError(f"login refused for password {c.from_vault} (url-encoded: {c.from_env})")
        return self.context.spark.createDataFrame([(1, "ok")], "id INT, status STRING")


class CanaryHook(Hook):
    name = "canary_hook"

    def pipeline_start(self, context):
        Path("hook-received.txt").write_text(digest(self.settings["token"]))
'''


def canary_forms(value: str) -> dict[str, bytes]:
    raw = value.encode()
    return {
        "raw": raw,
        "url": quote(value, safe="").encode(),
        "url+": quote_plus(value).encode(),
        "base64": base64.b64encode(raw),
        "base64url": base64.urlsafe_b64encode(raw).rstrip(b"="),
        "hex": raw.hex().encode(),
        "HEX": raw.hex().upper().encode(),
    }


def hits(data: bytes, forms: dict[str, bytes]) -> list[str]:
    return [name for name, form in forms.items() if form in data]


@pytest.fixture(scope="module")
def stores():
    from ppf_aws.testing import moto_s3_server
    from ppf_vault.testing import openbao_dev_server

    with openbao_dev_server() as bao, moto_s3_server() as moto:
        yield bao, moto


@pytest.fixture
def canary_project(stores, tmp_path):
    """The canary in all five stores, the components module and the pipeline file; returns (dir, env, canary)."""
    bao, moto = stores
    canary = f"cAn/{uuid.uuid4().hex[:12]}+Ry="  # '/', '+' and '=' differ in every encoding
    name = f"canary-{uuid.uuid4().hex[:6]}"
    bao.client().secrets.kv.v2.create_or_update_secret(path=name, secret={"value": canary})
    moto.create_secret(name, json.dumps({"value": canary}))
    identity = x25519.Identity.generate()
    key_file = tmp_path / "age-key.txt"
    key_file.write_text(f"{identity}\n", encoding="utf-8")
    age_reference = subprocess.run(
        [str(Path(ppf.__globals__["BIN"]) / "ppf"), "secrets", "encrypt", "--recipient", str(identity.to_public())],
        input=canary,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (tmp_path / "plain.yaml").write_text(f"canary: {json.dumps(canary)}\n", encoding="utf-8")
    from pyspark_pipeline_framework.encryption.sops import SopsSettings

    sops_file = tmp_path / "secrets.enc.yaml"
    sops_file.write_text(
        subprocess.run(
            [
                SopsSettings().executable(),
                "--encrypt",
                "--age",
                str(identity.to_public()),
                str(tmp_path / "plain.yaml"),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout,
        encoding="utf-8",
    )
    (tmp_path / "plain.yaml").unlink()
    (tmp_path / "canary_components.py").write_text(COMPONENTS, encoding="utf-8")
    (tmp_path / "events").mkdir()
    env = {
        "PYTHONPATH": str(tmp_path),
        "VAULT_TOKEN": bao.root_token,
        "PPF_CANARY": canary,
        "PPF_CANARY_AWS_SECRET_KEY": "testing",
        "PPF_AGE_IDENTITY": str(identity),
        "SOPS_AGE_KEY_FILE": str(key_file),
        "PPF_LEDGER_DIR": str(tmp_path / "ledger"),
    }
    pipeline = textwrap.dedent(f"""
        pipeline {{
          name = "canary"
          spark {{
            master = "local[1]"
            conf {{
              "spark.ppf.canary" = "secret://aws-sm/{name}#value"
              "spark.eventLog.enabled" = "true"
              "spark.eventLog.dir" = "file://{tmp_path}/events"
              "spark.eventLog.compress" = "false"   # scanned as text below
              "spark.ui.enabled" = "false"
            }}
          }}
          steps = [
            {{ name = "check", type = "canary_components.CanarySource", config {{
                from_vault = "secret://vault/{name}#value"
                from_secrets_manager = "secret://aws-sm/{name}#value"
                from_env = "secret://env/PPF_CANARY"
                from_age = "{age_reference}"
                from_sops = "secret://sops/{sops_file}#canary"
                expected_sha256 = "{hashlib.sha256(canary.encode()).hexdigest()}"
                fail = ${{?CANARY_FAIL}}
              }}
              retry {{ max_attempts = 2, initial_delay = "10ms" }}
            }}
            {{ name = "store", type = ParquetSink, config {{ path = "out/checked", mode = overwrite }} }}
          ]
          hooks {{
            plugins = ["canary_components.CanaryHook"]
            "canary_components.CanaryHook" {{ token = "secret://sops/{sops_file}#canary" }}
            vault {{ url = "{bao.url}" }}
            aws_secrets_manager {{
              endpoint = "{moto.endpoint}", region = "us-east-1", credentials = "keys"
              access_key_id = "testing", secret_access_key = "secret://env/PPF_CANARY_AWS_SECRET_KEY"
            }}
            enable_audit_log = true
            audit_log {{ path = "audit.jsonl" }}
            enable_lineage = true
            lineage {{ transport {{ type = "file", log_file_path = "lineage.jsonl", append = true }} }}
            enable_metrics = true   # its Prometheus file by default, and spans and metrics to a file
            metrics {{ exporter = "file", file_path = "telemetry.jsonl" }}
          }}
        }}
    """)
    (tmp_path / "pipeline.conf").write_text(pipeline, encoding="utf-8")
    return tmp_path, env, canary


def test_the_canary_reaches_every_component_and_appears_nowhere(canary_project):
    folder, env, canary = canary_project
    forms = canary_forms(canary)
    digest = hashlib.sha256(canary.encode()).hexdigest()
    outputs = []

    good = ppf(
        "run", "--config", "pipeline.conf", "--log-format", "json", cwd=folder, env={**env, "CANARY_FAIL": "false"}
    )
    assert good.returncode == 0, good.stderr[-3000:]
    assert (folder / "component-received.txt").read_text().split() == [digest] * 6  # five schemes and spark.conf
    assert (folder / "hook-received.txt").read_text() == digest
    retried = [json.loads(line) for line in good.stderr.splitlines() if '"step_retry"' in line]
    assert [e["error"] for e in retried] == ["RuntimeError: login refused for password *** (url-encoded: ***)"]
    outputs.append(good)

    bad = ppf(
        "run", "--config", "pipeline.conf", "--log-format", "json", cwd=folder, env={**env, "CANARY_FAIL": "true"}
    )
    assert bad.returncode == 1, bad.stderr[-3000:]
    assert "RuntimeError: login refused for password *** (url-encoded: ***)" in bad.stderr
    events = {json.loads(line)["event"] for line in bad.stderr.splitlines() if line.startswith("{")}
    assert {"step_retry", "step_failed", "step_summary"} <= events
    outputs.append(bad)

    for command in (
        ["plan", "pipeline.conf"],
        ["validate", "pipeline.conf"],
        ["validate", "--check-secrets", "pipeline.conf"],
        ["runs", "show", "last"],
        ["run", "--config", "pipeline.conf", "--dry-run"],
    ):
        done = ppf(*command, cwd=folder, env={**env, "CANARY_FAIL": "false"})
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        outputs.append(done)
    assert "8 secret references resolved" in outputs[4].stdout  # 5 in the step, spark.conf, 2 in hooks

    for done in outputs:
        assert not hits(done.stdout.encode(), forms), (done.args, hits(done.stdout.encode(), forms))
        assert not hits(done.stderr.encode(), forms), (done.args, hits(done.stderr.encode(), forms))

    written = [
        path
        for path in folder.rglob("*")
        if path.is_file() and path.name not in ("age-key.txt", "secrets.enc.yaml", "pipeline.conf")
    ]
    kinds = {path.name for path in written}
    event_logs = [
        p for p in written if (folder / "events") in p.parents and b'"SparkListenerEnvironmentUpdate"' in p.read_bytes()
    ]
    assert {"audit.jsonl", "lineage.jsonl", "telemetry.jsonl", "canary.prom"} <= kinds and len(event_logs) == 2
    assert len(list((folder / "ledger").glob("*.json"))) == 2
    leaks = {str(path.relative_to(folder)): hits(path.read_bytes(), forms) for path in written}
    assert not {path: found for path, found in leaks.items() if found}
    # The scans looked at the right things: the failure is in the ledger, audit, lineage and the
    # spans (retry events, exception events with their stack trace: masked), `ppf runs show`
    # prints it, and Spark's event log lists the property with its value redacted.
    for record in ("audit.jsonl", "lineage.jsonl", "telemetry.jsonl"):
        assert "login refused for password ***" in (folder / record).read_text(), record
    assert "login refused for password ***" in "".join(p.read_text() for p in (folder / "ledger").glob("*.json"))
    assert "login refused for password ***" in outputs[5].stdout  # ppf runs show last: the failed run
    spans = [json.loads(line) for line in (folder / "telemetry.jsonl").read_text().splitlines()]
    step_events = [e for span in spans if span.get("name") == "step check" for e in span["events"]]
    assert [e["name"] for e in step_events] == ["retry", "retry", "exception"]
    assert "exception.stacktrace" in step_events[-1]["attributes"]
    from prometheus_client.parser import text_string_to_metric_families

    exported = (folder / ".ppf/metrics/canary.prom").read_text()
    counters = {
        sample.labels["name"]: sample.value
        for family in text_string_to_metric_families(exported)
        for sample in family.samples
        if sample.name == "ppf_counter" and sample.labels.get("pipeline") == "canary"
    }
    assert counters == {"canary.attempts": 2.0}, exported
    environment = next(
        json.loads(line)
        for path in event_logs
        for line in path.read_text().splitlines()
        if '"SparkListenerEnvironmentUpdate"' in line
    )
    assert (
        environment["Spark Properties"]
        and dict(environment["Spark Properties"])["spark.ppf.canary"] == "*********(redacted)"
    )
