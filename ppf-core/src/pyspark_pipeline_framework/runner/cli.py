"""The ``ppf`` command line (Typer).

Every command imports what it needs inside its body, so ``ppf --help``, ``ppf validate`` and
``ppf components list`` never import pyspark and never start a JVM.

Exit codes: 0 success, 1 the pipeline ran and a step failed, 2 usage, configuration or
environment error (nothing ran), 3 partial success (every failure tolerated by ``on_failure``),
130 / 143 cancelled by SIGINT / SIGTERM (128 + the signal's number, as a shell reports it).

Like ``python -m``, every command makes the directory ``ppf`` runs from importable, so a project's
own package (``type = "my_pipelines.transforms.UserAnonymizer"``) is found when ``ppf`` runs from
the project's root.  Only the command line does this; the library never changes ``sys.path``.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, Optional

import typer

from pyspark_pipeline_framework.runner.command_tree import CommandTree

if TYPE_CHECKING:
    from collections.abc import Callable

    from pyspark_pipeline_framework.core.errors import PpfError
    from pyspark_pipeline_framework.runtime.resilience.ledger import RunLedger

EXIT_USAGE = 2

# Each command is built into a click command only when used (see command_tree): `ppf validate`
# does not pay for reading the signatures of every other command.
commands = CommandTree(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)
app = typer.Typer(
    name="ppf",
    help="PySpark Pipeline Framework: run and check Spark pipelines declared in HOCON files.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    # Sub-commands inherit the help option names from this context.
    context_settings={"help_option_names": ["-h", "--help"]},
    cls=commands.group_class,
)
components_app = commands.group("components", help="List and describe the installed components.", no_args_is_help=True)
jars_app = commands.group("jars", help="Manage the local jar cache for air-gapped clusters.", no_args_is_help=True)
runs_app = commands.group("runs", help="Read the run ledger: past runs, their steps and outputs.", no_args_is_help=True)
init_app = commands.group("init", help="Start a new pipeline project or plugin distribution.", no_args_is_help=True)
secrets_app = commands.group(
    "secrets", help="Encrypt values for secret://age/ references, and decrypt them.", no_args_is_help=True
)


def _print_version(value: bool) -> None:
    if not value:
        return
    from pyspark_pipeline_framework.runner.doctor import version_lines

    typer.echo("\n".join(version_lines()))
    raise typer.Exit()


@app.callback()
def _working_directory_importable(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            is_eager=True,
            expose_value=False,
            callback=_print_version,
            help="Print the versions of ppf, Python, pyspark and Java, and exit.",
        ),
    ] = False,
) -> None:
    # Runs once before every command; see the module docstring.
    import os

    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


class PlanFormat(StrEnum):
    text = "text"
    mermaid = "mermaid"
    json = "json"


class LogFormat(StrEnum):
    auto = "auto"
    console = "console"
    json = "json"


class LogLevel(StrEnum):
    debug = "debug"
    info = "info"
    warning = "warning"
    error = "error"


LedgerOption = Annotated[
    Optional[str],
    typer.Option(
        "--ledger-dir",
        help="The run ledger directory, or a URL of shared storage a plugin serves, e.g. s3a://bucket/ppf/runs "
        "(default: $PPF_LEDGER_DIR or .ppf/runs).",
    ),
]
ConfigOption = Annotated[
    Optional[Path], typer.Option("--config", "-c", help="The pipeline file (HOCON); the same as giving FILE.")
]
OverrideOption = Annotated[
    Optional[list[str]],
    typer.Option(
        "--override", "-o", help="key=value relative to the pipeline block, e.g. spark.master=local[2]. Repeatable."
    ),
]


def _fail(error: PpfError, doing: str = "") -> NoReturn:
    """Print a ppf error the one way the CLI prints them, then exit 2 (nothing ran, or the run could not start).

    A :class:`ConfigError` lists every problem with its path, file, line and hint; any other error
    is ``error: <message>``, with its hint on the next line.
    """
    from pyspark_pipeline_framework.core.errors import ConfigError
    from pyspark_pipeline_framework.core.masking import secret_masker

    if isinstance(error, ConfigError):
        text = error.render()
    else:
        hint = f"\n    hint: {error.hint}" if error.hint else ""
        text = f"error: {doing + ': ' if doing else ''}{error}{hint}"
    typer.echo(secret_masker().mask(text), err=True)  # an error may quote a value a resolver returned
    raise typer.Exit(EXIT_USAGE)


def _check_dict(check) -> dict:
    return {"path": check.path, "reference": check.reference, "ok": check.ok, "error": check.error}


def _echo_notes(pipeline) -> None:
    """What pre-flight could not check without Spark (steps whose module needs a session), on stderr."""
    for step in pipeline.deferred.values():
        typer.echo("note: " + step.note.render(), err=True)


@commands.command()
def run(
    file: Annotated[
        Optional[Path], typer.Argument(metavar="FILE", help="The pipeline file (HOCON).", show_default=False)
    ] = None,
    config: ConfigOption = None,
    override: OverrideOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and show the plan; start no Spark.")] = False,
    log_format: Annotated[LogFormat, typer.Option(help="Log lines as console text or JSON.")] = LogFormat.auto,
    log_level: Annotated[
        Optional[LogLevel],
        typer.Option(
            case_sensitive=False,
            help="debug, info, warning or error (default: info; warning under the terminal progress display).",
        ),
    ] = None,
    resume: Annotated[
        Optional[str],
        typer.Option(
            "--resume",
            help="A run id from `ppf runs list`, or `last`: re-run only its failed, skipped and not-run steps and what depends on them.",
        ),
    ] = None,
    ledger_dir: LedgerOption = None,
    submitted: Annotated[
        bool, typer.Option("--submitted", hidden=True, help="Set by ppf's spark-submit entry point.")
    ] = False,
) -> None:
    """Run a pipeline (every run is recorded in the run ledger)."""
    config = _one_pipeline_file(file, config)
    from pyspark_pipeline_framework.core.errors import ConfigError, PpfError
    from pyspark_pipeline_framework.runner.launching import launch, read_pipeline
    from pyspark_pipeline_framework.runtime.session.logs import configure_logging

    progress_shown = log_format is LogFormat.auto and sys.stderr.isatty()
    configure_logging(log_format.value, log_level.value if log_level else ("warning" if progress_shown else "info"))
    try:
        # A dry run, like `ppf validate`, checks the configuration, not the data; a resumed run reads
        # only the sources it runs again.
        pipeline = read_pipeline(config, override or [], check_inputs=resume is None and not dry_run)
    except ConfigError as exc:
        _fail(exc)
    ledger_location = _ledger_dir(ledger_dir)
    if log_level is None and pipeline.spec.log_level:  # the file's setting; the CLI option wins
        configure_logging(log_format.value, pipeline.spec.log_level)
    if dry_run:
        from pyspark_pipeline_framework.runner.plan import render_text

        typer.echo(render_text(pipeline))
        _echo_notes(pipeline)
        typer.echo("dry run: configuration is valid; nothing was run")
        return

    from pyspark_pipeline_framework.runner.progress import progress_plugins
    from pyspark_pipeline_framework.runtime.resilience.ledger import ResumeRefused

    try:
        result = launch(
            pipeline,
            ledger_dir=ledger_location,
            resume=resume,
            extra_plugins=progress_plugins(sys.stderr) if progress_shown else [],
            handle_signals=True,
            submitted=submitted,
        )
    except PpfError as exc:  # the run could not start: no Java, a resume refused, a hook plugin's settings...
        _fail(exc, "cannot resume" if isinstance(exc, ResumeRefused) else "")
    raise typer.Exit(int(result.exit_code))


def _one_pipeline_file(argument: Optional[Path], option: Optional[Path]) -> Path:
    """The file given as ``FILE`` (like ``validate`` and ``plan``) or as ``--config`` (the compatible spelling)."""
    if argument is None and option is None:
        raise typer.BadParameter("give the pipeline file: `ppf run FILE` (or --config FILE)", param_hint="FILE")
    if argument is not None and option is not None and argument != option:
        raise typer.BadParameter(
            f"two pipeline files given: {argument} and --config {option}; give one", param_hint="FILE"
        )
    return argument or option  # type: ignore[return-value]  # one of them is set


def _ledger_dir(option: Optional[str]) -> str:
    """The ledger's location; exit 2 when it is a URL no installed plugin serves (before any JVM starts)."""
    from pyspark_pipeline_framework.core.errors import EnvironmentProblem
    from pyspark_pipeline_framework.runner.launching import ledger_location

    try:
        return ledger_location(option, given="--ledger-dir")
    except EnvironmentProblem as exc:
        _fail(exc)


def _ledger(option: Optional[str]) -> RunLedger:
    """The run ledger the option (or $PPF_LEDGER_DIR) names."""
    from pyspark_pipeline_framework.core.errors import PpfError
    from pyspark_pipeline_framework.runtime.resilience.ledger import RunLedger

    try:
        return RunLedger(_ledger_dir(option))
    except PpfError as exc:  # its plugin cannot be loaded
        _fail(exc)


@runs_app.command("list")
def runs_list(
    ledger_dir: LedgerOption = None,
    format: Annotated[OutputFormat, typer.Option("--format", help="text or json.")] = OutputFormat.text,
) -> None:
    """List recorded runs, oldest first."""
    from pyspark_pipeline_framework.core.errors import PpfError

    ledger = _ledger(ledger_dir)
    try:
        records = ledger.runs()
    except PpfError as exc:  # shared storage out of reach
        _fail(exc)
    if format is OutputFormat.json:
        typer.echo(
            json.dumps(
                [
                    {
                        k: r.get(k)
                        for k in (
                            "run_id",
                            "pipeline",
                            "status",
                            "exit_code",
                            "started_at",
                            "finished_at",
                            "resumed_from",
                            "pid",
                            "host",
                        )
                    }
                    for r in records
                ],
                indent=2,
            )
        )
        return
    if not records:
        typer.echo(f"no runs recorded in {ledger.directory}")
        return
    from pyspark_pipeline_framework.runner.run_table import run_table

    typer.echo(run_table(records))


@runs_app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(help="A run id, or `last`.")],
    ledger_dir: LedgerOption = None,
    format: Annotated[OutputFormat, typer.Option("--format", help="text or json.")] = OutputFormat.text,
) -> None:
    """Show one run: each step's status, attempts, timing, error and output location."""
    from pyspark_pipeline_framework.core.errors import PpfError

    ledger = _ledger(ledger_dir)
    try:
        record = ledger.load(run_id)
    except PpfError as exc:  # no such run, or shared storage out of reach
        _fail(exc)
    if format is OutputFormat.json:
        typer.echo(json.dumps(record, indent=2))
        return
    typer.echo(
        f"run {record['run_id']}  pipeline {record.get('pipeline')}  {record.get('status')}  "
        f"exit={record.get('exit_code')}  config fingerprint {record.get('fingerprint')}"
    )
    if record.get("reason"):  # why it was cancelled, or that its process died
        typer.echo(f"  {record['reason']}")
    for name, step in record.get("steps", {}).items():
        where = step.get("output") or step.get("checkpoint") or ""
        line = (
            f"  {name:<24} {step.get('status', ''):<10} attempts={step.get('attempts', 0)} {step.get('duration_s', 0)}s"
        )
        figures = _figures_text(step.get("metrics") or {})
        typer.echo(
            line
            + (f"  {figures}" if figures else "")
            + (f"  -> {where}" if where else "")
            + (f"\n      {step['error']}" if step.get("error") else "")
        )
    for query, entry in (record.get("streaming") or {}).items():
        typer.echo(
            f"  query {query}: last committed batch {entry.get('last_committed_batch')} at "
            f"{entry.get('last_committed_at')}; {entry.get('batches')} batches in this run, "
            f"rows_in={entry.get('rows_in')} rows_written={entry.get('rows_written')} "
            f"dead_letter_rows={entry.get('dead_letter_rows')}  checkpoint {entry.get('checkpoint')}"
        )


def _figures_text(metrics: dict) -> str:
    """The observed figures of a step, e.g. ``rows_in=10 rows_out=8``; missing ones are left out."""
    from pyspark_pipeline_framework.core.results import SUMMARY_METRICS

    return " ".join(f"{key}={metrics[key]}" for key in SUMMARY_METRICS if metrics.get(key) is not None)


@commands.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Pipeline files to check.")],
    override: OverrideOption = None,
    format: Annotated[OutputFormat, typer.Option("--format", help="text, or json for CI.")] = OutputFormat.text,
    check_secrets: Annotated[
        bool, typer.Option("--check-secrets", help="Also resolve every secret:// reference (prints no value).")
    ] = False,
) -> None:
    """Check pipeline files completely, without starting Spark."""
    from pyspark_pipeline_framework.core.errors import ConfigError
    from pyspark_pipeline_framework.core.registry import ComponentRegistry
    from pyspark_pipeline_framework.runner.config.preflight import validate as check
    from pyspark_pipeline_framework.runner.config.reading import load_pipeline_file

    registry = ComponentRegistry()
    report = []
    for path in files:
        try:
            pipeline = check(load_pipeline_file(path, override or []), registry)
            report.append(
                {
                    "file": str(path),
                    "valid": True,
                    "steps": len(pipeline.spec.steps),
                    "issues": [],
                    "notes": [step.note.to_dict() for step in pipeline.deferred.values()],
                }
            )
        except ConfigError as exc:
            report.append({"file": str(path), "valid": False, "issues": [i.to_dict() for i in exc.issues]})
            if format is OutputFormat.text:
                typer.echo(f"{path}: INVALID\n{exc.render()}", err=True)
            continue
        if check_secrets:
            from pyspark_pipeline_framework.runner.secret_check import check_references

            checks = check_references(pipeline)
            report[-1]["secrets"] = [_check_dict(c) for c in checks]
            failed = [c for c in checks if not c.ok]
            report[-1]["valid"] = not failed
            if format is OutputFormat.text:
                for c in failed:
                    typer.echo(f"{path}: {c.path}: {c.error}", err=True)
                if failed:
                    typer.echo(f"{path}: SECRETS FAILED ({len(failed)} of {len(checks)} references)", err=True)
                    continue
                typer.echo(f"{path}: {len(checks)} secret references resolved")
        if format is OutputFormat.text:
            deferred = len(pipeline.deferred)
            unchecked = f", {deferred} checked only once Spark runs: see the notes" if deferred else ""
            typer.echo(f"{path}: OK ({report[-1]['steps']} steps{unchecked})")
            _echo_notes(pipeline)
    if format is OutputFormat.json:
        typer.echo(json.dumps(report, indent=2))
    if not all(item["valid"] for item in report):
        raise typer.Exit(EXIT_USAGE)


@commands.command()
def plan(
    file: Annotated[Path, typer.Argument(help="The pipeline file.")],
    override: OverrideOption = None,
    format: Annotated[PlanFormat, typer.Option("--format", help="text, mermaid or json.")] = PlanFormat.text,
) -> None:
    """Show the pipeline's steps as a graph (text or Mermaid)."""
    from pyspark_pipeline_framework.core.errors import ConfigError
    from pyspark_pipeline_framework.runner import plan as plans
    from pyspark_pipeline_framework.runner.config.preflight import validate as check
    from pyspark_pipeline_framework.runner.config.reading import load_pipeline_file

    try:
        pipeline = check(load_pipeline_file(file, override or []))
    except ConfigError as exc:
        _fail(exc)
    render = {
        PlanFormat.text: plans.render_text,
        PlanFormat.mermaid: plans.render_mermaid,
        PlanFormat.json: plans.render_json,
    }[format]
    typer.echo(render(pipeline))
    _echo_notes(pipeline)


@commands.command()
def doctor(
    format: Annotated[OutputFormat, typer.Option("--format", help="text or json.")] = OutputFormat.text,
) -> None:
    """Check the installation: versions, plugins (compatible? importable?), the jar cache. Starts no Spark.

    Exits 2 when something is broken (a plugin that does not fit this ppf-core or fails to import,
    no Java, no pyspark); warnings alone exit 0.
    """
    from pyspark_pipeline_framework.runner.doctor import diagnose, render_text

    report = diagnose()
    typer.echo(json.dumps(report.to_dict(), indent=2) if format is OutputFormat.json else render_text(report))
    if report.broken:
        raise typer.Exit(EXIT_USAGE)


class SchemaFormat(StrEnum):
    json = "json"
    markdown = "markdown"


@commands.command()
def schema(
    format: Annotated[
        SchemaFormat,
        typer.Option("--format", help="json: the JSON Schema for editors and CI; markdown: the component reference."),
    ] = SchemaFormat.json,
    distribution: Annotated[
        Optional[list[str]],
        typer.Option("--distribution", "-d", help="markdown: only the components of this distribution. Repeatable."),
    ] = None,
    into: Annotated[
        Optional[Path],
        typer.Option(
            "--into", help="markdown: rewrite the part of this Markdown file between the component-reference markers."
        ),
    ] = None,
) -> None:
    """Print a JSON Schema (draft 2020-12) of the pipeline file, with every installed component, check and hook."""
    if format is SchemaFormat.markdown:
        from pyspark_pipeline_framework.runner.reference import component_reference, write_into

        reference = component_reference(distributions=distribution or None)
        if into is None:
            typer.echo(reference, nl=False)
            return
        try:
            changed = write_into(into, reference)
        except (OSError, ValueError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(EXIT_USAGE) from None
        typer.echo(f"{into}: component reference {'rewritten' if changed else 'already up to date'}")
        return
    if into is not None:
        typer.echo("error: --into writes the markdown reference; add --format markdown", err=True)
        raise typer.Exit(EXIT_USAGE)
    from pyspark_pipeline_framework.runner.schema import pipeline_schema

    typer.echo(json.dumps(pipeline_schema(), indent=2))


@components_app.command("list")
def components_list(
    format: Annotated[OutputFormat, typer.Option("--format", help="text or json.")] = OutputFormat.text,
) -> None:
    """List installed components with the distribution that provides each."""
    from pyspark_pipeline_framework.core.registry import ComponentNotFound, ComponentRegistry

    registry = ComponentRegistry()
    rows = []
    for name in registry.names():
        try:
            entry = registry.entry(name)
            rows.append(
                {"name": name, "distribution": entry.distribution, "version": entry.version, "target": entry.target}
            )
        except ComponentNotFound as exc:
            rows.append({"name": name, "distribution": "CONFLICT", "version": "", "target": str(exc)})
    if format is OutputFormat.json:
        typer.echo(json.dumps(rows, indent=2))
        return
    width = max((len(r["name"]) for r in rows), default=4)
    for row in rows:
        typer.echo(f"{row['name']:<{width}}  {row['distribution']} {row['version']}")


@components_app.command("show")
def components_show(name: Annotated[str, typer.Argument(help="A registered name or a dotted class path.")]) -> None:
    """Describe one component: kind, distribution and config fields."""
    from pyspark_pipeline_framework.core.registry import ComponentNotFound, ComponentRegistry
    from pyspark_pipeline_framework.runner.describe import describe_component

    registry = ComponentRegistry()
    try:
        typer.echo(describe_component(registry, name))
    except ComponentNotFound as exc:
        _fail(exc)


InitNameArgument = Annotated[
    str, typer.Argument(metavar="NAME", help="Letters, digits, '-' and '_', e.g. sales-etl.", show_default=False)
]
InitDirectoryOption = Annotated[
    Optional[Path], typer.Option("--directory", "-d", help="Where to create it (default: ./NAME); missing or empty.")
]
InitForceOption = Annotated[
    bool, typer.Option("--force", help="Write into a non-empty folder, replacing files of the same names.")
]


def _init(kind: str, name: str, directory: Optional[Path], force: bool, next_steps: list[str]) -> None:
    from pyspark_pipeline_framework.runner.scaffold import ScaffoldError, scaffold

    try:
        created = scaffold(kind, name, directory, force=force)
    except ScaffoldError as exc:
        _fail(exc, f"ppf init {kind}")
    typer.echo(f"created {kind} {name!r} in {created.directory}/:")
    for path in created.files:
        typer.echo(f"  {path}")
    typer.echo("next:\n" + "\n".join(f"  {line}" for line in [f"cd {created.directory}", *next_steps]))


@init_app.command("pipeline")
def init_pipeline(
    name: InitNameArgument, directory: InitDirectoryOption = None, force: InitForceOption = False
) -> None:
    """A pipeline project: a pipeline file on sample data, a custom transform, its tests and a README."""
    _init("pipeline", name, directory, force, ["ppf run pipeline.conf", "pytest"])


@init_app.command("plugin")
def init_plugin(name: InitNameArgument, directory: InitDirectoryOption = None, force: InitForceOption = False) -> None:
    """A plugin distribution: a source, a transform, a sink and a hook with typed settings, their entry points, tests."""
    _init("plugin", name, directory, force, ['pip install -e ".[test]"', "pytest"])


def _read_stdin_value(prompt: str) -> str:
    """The value from standard input (never the command line, which shell history keeps).

    One trailing newline is dropped (``echo`` adds it); on a terminal the value is asked without echo.
    """
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(prompt, stream=sys.stderr)
    text = sys.stdin.read()
    return text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith("\n") else text


@secrets_app.command("encrypt")
def secrets_encrypt(
    recipient: Annotated[
        Optional[list[str]],
        typer.Option("--recipient", "-r", help="An age recipient (age1...) or SSH public key. Repeatable."),
    ] = None,
    recipients_file: Annotated[
        Optional[Path], typer.Option("--recipients-file", "-R", help="A file of recipients, one a line.")
    ] = None,
) -> None:
    """Encrypt the value on standard input; prints a secret://age/... reference to paste into a pipeline file."""
    from pyspark_pipeline_framework.core.secrets import SecretError
    from pyspark_pipeline_framework.encryption.age import encrypt

    recipients = list(recipient or [])
    if recipients_file is not None:
        try:
            recipients += recipients_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            typer.echo(f"error: cannot read {recipients_file}: {exc.strerror}", err=True)
            raise typer.Exit(EXIT_USAGE) from None
    try:
        typer.echo(encrypt(_read_stdin_value("value to encrypt: "), recipients))
    except SecretError as exc:
        _fail(exc)


@secrets_app.command("decrypt")
def secrets_decrypt(
    identity_file: Annotated[
        Optional[list[Path]], typer.Option("--identity-file", "-i", help="An age identity file. Repeatable.")
    ] = None,
    identity_env: Annotated[
        str, typer.Option(help="The environment variable holding identities, used as well.")
    ] = "PPF_AGE_IDENTITY",
) -> None:
    """Decrypt the secret://age/... reference (or bare base64) on standard input; prints the value."""
    from pyspark_pipeline_framework.core.secrets import PREFIX, SecretError
    from pyspark_pipeline_framework.encryption.age import AgeSettings, decrypt, load_identities

    text = _read_stdin_value("secret://age/... reference: ").strip()
    text = text.removeprefix(f"{PREFIX}age/")
    settings = AgeSettings(identity_files=[str(f) for f in identity_file or []], identity_env=identity_env)
    try:
        typer.echo(decrypt(text, load_identities(settings)))
    except SecretError as exc:
        _fail(exc)


@jars_app.command("fetch")
def jars_fetch(
    directory: Annotated[
        Optional[Path], typer.Option("--dir", help="The jar cache (default: $PPF_JARS_DIR or ~/.cache/ppf/jars).")
    ] = None,
    package: Annotated[
        Optional[list[str]], typer.Option("--package", "-p", help="Also fetch this group:artifact:version. Repeatable.")
    ] = None,
) -> None:
    """Download the Maven packages of the installed plugins into a local jar cache."""
    import os

    from pyspark_pipeline_framework.core.errors import PpfError
    from pyspark_pipeline_framework.runner.jars import DEFAULT_JARS_DIR, fetch, installed_plugin_packages
    from pyspark_pipeline_framework.runtime.session.java import require_java

    target = directory or Path(os.environ.get("PPF_JARS_DIR") or DEFAULT_JARS_DIR)
    packages = list(dict.fromkeys([*installed_plugin_packages(), *(package or [])]))
    if not packages:
        typer.echo("no installed plugin needs a Maven package; nothing to fetch")
        return
    try:
        require_java()
        listed = fetch(packages, target)
    except PpfError as exc:  # no Java, or a package Ivy cannot resolve
        _fail(exc)
    for coordinate in packages:
        typer.echo(f"{coordinate}: {len(listed[coordinate])} jars")
    typer.echo(f"jar cache ready: export PPF_JARS_DIR={target}")


def main() -> None:
    """Entry point of the ``ppf`` script."""
    _run_app()


def run_alias() -> None:
    """Entry point of ``ppf-run``, the compatible name of ``ppf run``: the ``run`` command on its own.

    Called as a command of its own (not as ``ppf run``), its usage line reads ``ppf-run [OPTIONS]``.
    """

    def run_command() -> None:
        _working_directory_importable()  # the group's callback, which a lone command does not run
        command = typer.main.get_command(app).commands["run"]  # type: ignore[attr-defined]  # a click Group
        command.main(prog_name="ppf-run", help_option_names=["-h", "--help"])

    _run_app(run_command)


def _run_app(entry: Callable[[], Any] = app) -> None:
    """The Typer app, with every traceback it ends in printed masked (it may quote a resolved secret)."""
    from pyspark_pipeline_framework.core.masking import install_masking_excepthooks, masked_traceback

    install_masking_excepthooks()  # other threads; Typer puts its own hook in place for the main one
    try:
        entry()
    except Exception as error:  # what no command turned into a message: a bug, shown as Python would
        sys.stderr.write(masked_traceback(error))
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
