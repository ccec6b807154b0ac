"""Building the Spark session a pipeline asked for, with what its plugins need.

Plugins contribute Maven packages and Spark properties through the
``ppf_spark_session_settings`` hook, only for the component types the pipeline uses; ppf adds its
own few defaults (:data:`PPF_DEFAULT_CONF`) below those.  The user's own ``spark.conf`` always
wins over a plugin or ppf default.  Packages are loaded as local jars from the jar cache
(:mod:`.jar_cache`; ``~/.cache/ppf/jars``, or ``PPF_JARS_DIR`` / the property ``ppf.jars.dir``,
which ``ppf jars fetch`` fills ahead for air-gapped clusters): a package the cache lacks is
resolved into it once, quietly, and later sessions start without resolving anything.  Secret references in
``spark.conf`` are resolved just before the session is built (:func:`with_secrets_resolved`).

With ``spark.remote`` (or ``SPARK_REMOTE``) the session is a Spark Connect client of that server
(:func:`connect_session`): no local JVM, and only the properties the server lets a session change
apply; the others (static and core properties, packages) are the server's to set, and are
reported, not silently dropped.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import attrs

from pyspark_pipeline_framework.core.errors import EnvironmentProblem
from pyspark_pipeline_framework.core.secrets import Secrets, is_reference
from pyspark_pipeline_framework.core.spec import CONNECT_DEFAULT_PORT, SparkSettings, connect_address
from pyspark_pipeline_framework.runtime.session.driver_jvm import start_driver_jvm
from pyspark_pipeline_framework.runtime.session.jar_cache import DEFAULT_JARS_DIR, JarFetchError, cached_jars, fetch
from pyspark_pipeline_framework.runtime.session.java import require_java

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

JARS_DIR_ENV = "PPF_JARS_DIR"
#: ``off`` leaves packages the jar cache lacks to Spark's own resolution (``spark.jars.packages``).
JARS_CACHE_ENV = "PPF_JARS_CACHE"
#: The Spark Connect server to use when the pipeline names none (PySpark's own variable).
REMOTE_ENV = "SPARK_REMOTE"
JARS_DIR_PROPERTY = "ppf.jars.dir"
REDACTION_PROPERTY = "spark.redaction.regex"
#: Spark's own default for spark.redaction.regex (Spark 3 and 4), kept when ppf extends it.
SPARK_DEFAULT_REDACTION = "(?i)secret|password|token|access[.]key"


def with_secrets_resolved(settings: SparkSettings, secrets: Secrets) -> SparkSettings:
    """``spark.conf`` with its ``secret://`` values resolved, and ``spark.redaction.regex`` extended.

    Spark redacts a property whose key (or value) matches ``spark.redaction.regex`` in its UI, its
    event log and its logs; ppf adds every key that held a reference (for ``spark.hadoop.X`` also
    ``X``, the Hadoop name), quoted, to the user's regex or Spark's default.
    """
    keys = sorted(key for key, value in settings.conf.items() if is_reference(value))
    if not keys:
        return settings
    conf = dict(secrets.resolve_all(dict(settings.conf), "pipeline.spark.conf"))
    names = sorted({name for key in keys for name in (key, key.removeprefix("spark.hadoop."))})
    quoted = "|".join(rf"\Q{name}\E" for name in names)
    conf[REDACTION_PROPERTY] = f"{conf.get(REDACTION_PROPERTY) or SPARK_DEFAULT_REDACTION}|{quoted}"
    return attrs.evolve(settings, conf=conf)


#: Spark properties every session ppf builds gets unless a plugin or the pipeline's ``spark.conf`` sets them.
PPF_DEFAULT_CONF: Mapping[str, str] = {
    # Spark 4.2.0 only (the columnar input path is new in 4.2.0, SPARK-56350; fixed for 4.2.1 by
    # SPARK-58241): when an Arrow-optimized Python UDF (the default in 4.2 with pandas and pyarrow
    # installed) reads a columnar child such as the vectorized Parquet reader, its runner sends the
    # Python worker a malformed start-up message; the worker crashes or blocks and the job never ends.
    # Off, the UDF still runs through Arrow, from rows.  The unit test test_columnar_udf_input_workaround
    # fails when the installed pyspark is another version: check then whether this is still needed.
    "spark.sql.execution.arrow.pythonUDF.columnarInput.enabled": "false",
}
#: The pyspark version the defaults above were checked against.
PPF_DEFAULT_CONF_CHECKED_WITH = "4.2.0"


@attrs.frozen
class SessionPlan:
    """Everything that goes into the session builder, computed without a JVM."""

    app_name: str
    master: str | None
    conf: Mapping[str, str]
    packages: tuple[str, ...] = ()
    #: A Spark Connect server (``sc://host:port``): the session is its client, ``master`` is unused.
    remote: str | None = None
    #: The process is a ``spark-submit`` application: its master, deploy mode and jars are spark-submit's
    #: (the plugins' packages are then given to spark-submit with ``--packages``).
    submitted: bool = False


def remote_of(settings: SparkSettings) -> str | None:
    """The Spark Connect server the session connects to: ``spark.remote`` (or the property of that
    name in ``spark.conf``), else ``SPARK_REMOTE``; ``None`` for a driver in this process."""
    return settings.remote or settings.conf.get("spark.remote") or os.environ.get(REMOTE_ENV) or None


#: Properties spark-submit decides; a submitted application's session leaves them as they are.
SUBMIT_DECIDES = ("spark.master", "spark.submit.deployMode")


def plan_session(
    settings: SparkSettings,
    pipeline_name: str,
    plugin_answers: Iterable[Mapping[str, Any] | None] = (),
    *,
    submitted: bool = False,
) -> SessionPlan:
    packages: list[str] = []
    plugin_conf: dict[str, str] = {}
    for answer in plugin_answers:
        if not answer:
            continue
        for package in answer.get("packages", ()):
            if package not in packages:
                packages.append(package)
        for key, value in answer.get("conf", {}).items():
            # Comma-separated list properties (extensions) accumulate across plugins.
            if key in plugin_conf and key.endswith(".extensions") and value not in plugin_conf[key].split(","):
                plugin_conf[key] = f"{plugin_conf[key]},{value}"
            else:
                plugin_conf.setdefault(key, str(value))
    conf = {**PPF_DEFAULT_CONF, **plugin_conf, **settings.conf}
    user_packages = [p for p in conf.pop("spark.jars.packages", "").split(",") if p]
    remote = remote_of(settings)
    conf.pop("spark.remote", None)
    if submitted:
        for key in SUBMIT_DECIDES:
            conf.pop(key, None)
    return SessionPlan(
        app_name=settings.app_name or pipeline_name,
        master=None if remote or submitted else settings.master,
        conf=conf,
        packages=tuple(dict.fromkeys([*user_packages, *packages])),
        remote=remote,
        submitted=submitted,
    )


def build_session(plan: SessionPlan, not_applied: Callable[[Mapping[str, str]], None] | None = None) -> SparkSession:
    """Start (or join) the Spark session described by ``plan``.

    On Spark Connect, ``not_applied`` is told the properties (and packages) the server did not take,
    each with the reason.
    """
    if plan.remote:
        session, refused = connect_session(plan)
        if refused and not_applied is not None:
            not_applied(refused)
        return session
    require_java()
    from pyspark.sql import SparkSession

    # Under spark-submit, or with a remote named outside the plan, Spark decides the master and the JVM.
    launched_here = not plan.submitted and not os.environ.get("SPARK_REMOTE") and "spark.remote" not in plan.conf
    options = {"spark.app.name": plan.app_name}
    if plan.master:
        options["spark.master"] = plan.master
    elif launched_here and "spark.master" not in plan.conf:
        options["spark.master"] = "local[*]"
    conf = dict(plan.conf)
    jars_dir = conf.pop(JARS_DIR_PROPERTY, None) or os.environ.get(JARS_DIR_ENV)
    # Under spark-submit the JVM runs already, with the jars given to spark-submit (--packages,
    # --jars): setting spark.jars here would replace those for the executors.
    if plan.packages and not plan.submitted:
        local_jars, missing = _cached_or_fetched_jars(Path(jars_dir) if jars_dir else DEFAULT_JARS_DIR, plan.packages)
        if missing:  # not cached and not resolvable by ppf: Spark resolves them itself, as it would without ppf
            conf["spark.jars.packages"] = ",".join(missing)
        if local_jars:
            existing = [j for j in conf.get("spark.jars", "").split(",") if j]
            conf["spark.jars"] = ",".join(existing + [str(j) for j in local_jars])
    options.update(conf)
    if launched_here:
        start_driver_jvm(options)
    builder = SparkSession.builder
    for key, value in options.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def connect_session(plan: SessionPlan) -> tuple[SparkSession, dict[str, str]]:
    """A Spark Connect session of ``plan.remote`` with ``plan.conf`` applied property by property,
    and the properties (and packages) it refused, each with the reason."""
    try:
        import pyspark.sql.connect.session  # noqa: F401  (checks the client's dependencies on import)
    except ImportError as error:  # pyspark without the Connect client's dependencies (gRPC, ...)
        raise EnvironmentProblem(
            f"spark.remote = {plan.remote!r} needs the Spark Connect client: {error}",
            hint='install it with `pip install "ppf-core[connect]"`',
        ) from error
    check_reachable(cast(str, plan.remote))
    from pyspark.sql import SparkSession

    # PySpark's own builder, which also switches pyspark.sql.functions to Connect for this process.
    session = SparkSession.builder.remote(cast(str, plan.remote)).getOrCreate()
    refused: dict[str, str] = {}
    for key, value in plan.conf.items():
        if key == JARS_DIR_PROPERTY:
            continue
        try:
            session.conf.set(key, value)
        except Exception as error:  # a static or core property: the server's to set
            refused[key] = _first_line(error)
    for package in plan.packages:
        refused[package] = "a package must be installed on the Spark Connect server"
    return session, refused


#: Spark Connect's default port, when the URL names none.
#: How long to wait for the server's port to accept a connection before saying it cannot be reached.
CONNECT_TIMEOUT_S = 10.0


def check_reachable(url: str, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """Raise :class:`EnvironmentProblem` unless the Spark Connect server of ``url`` accepts a connection.

    PySpark's client retries an unreachable server for minutes before it fails; a wrong host or
    port is said here, at once.
    """
    address = connect_address(url)
    if address is None:  # SPARK_REMOTE (a pipeline's own spark.remote is checked by pre-flight)
        raise EnvironmentProblem(
            f"spark.remote = {url!r} is not a Spark Connect URL",
            hint=f"write it as sc://host:port (port {CONNECT_DEFAULT_PORT} by default)",
        )
    host, port = address
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError as error:
        raise EnvironmentProblem(
            f"the Spark Connect server at {host}:{port} cannot be reached: {error}",
            hint="check spark.remote / SPARK_REMOTE and that the server is running",
        ) from error


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:300] if text else type(error).__name__


def _cached_or_fetched_jars(jars_dir: Path, packages: Iterable[str]) -> tuple[list[Path], list[str]]:
    """Jars for ``packages`` from the cache, resolving (once) into it the packages it lacks.

    ``PPF_JARS_CACHE=off`` leaves the packages the cache lacks to Spark's own resolution.  A package
    ppf cannot resolve (no network, say) is left to Spark as well, whose error then says why.
    """
    local_jars, missing = cached_jars(jars_dir, packages)
    if not missing or os.environ.get(JARS_CACHE_ENV, "").lower() in ("off", "false", "0", "no"):
        return local_jars, missing
    try:
        fetch(missing, jars_dir)
    except (JarFetchError, OSError):
        return local_jars, missing
    return cached_jars(jars_dir, packages)
