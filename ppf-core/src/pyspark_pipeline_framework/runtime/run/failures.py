"""What a failed step's error says: short enough to read, precise enough to act on.

* An error raised by the user's own code keeps its place: the frames of the user's modules
  (not ppf's, Spark's, Python's or an installed library's) are named, file and line, and the full
  Python traceback is kept for the debug log and the run ledger.
* A Spark or Py4J error is reduced to its root cause: the innermost Java exception's class and
  message, Spark's error condition where one was given, and the first frames of its stack.  The
  full Java stack (thousands of characters) goes to the debug log only.
* A Python UDF's error, which Spark reports with the worker's traceback inside its message, is
  reduced to the UDF's own exception and the user's frames in that traceback.
"""

from __future__ import annotations

import re
import sys
import sysconfig
import traceback
from pathlib import Path
from typing import Any

import attrs

from pyspark_pipeline_framework.core.errors import error_text

#: Budget of a reduced Spark message and of the frames shown with it: the step's error stays short.
MESSAGE_CHARS = 300
JAVA_FRAMES = 2
#: A frame line of a Python traceback rendered as text (the UDF worker's, inside Spark's message).
_FRAME_LINE = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<function>.+)$')


@attrs.frozen
class Failure:
    """A step's error as the run reports it."""

    #: One short text: ``Type: message``, for Spark errors the root cause.  The step's ``error``.
    summary: str
    #: ``file:line in function`` of the user's own frames, innermost last.
    user_frames: tuple[str, ...] = ()
    #: The Python traceback (the reduced message at its end), for the debug log and the ledger.
    traceback: str = ""
    #: Spark's full Java stack, for the debug log only; empty for other errors.
    java_stack: str = ""


def describe_failure(error: BaseException) -> Failure:
    """The :class:`Failure` of ``error``; never raises (a JVM that is gone leaves the plain text)."""
    summary = error_text(error)
    java_stack = ""
    user = user_frames(traceback.extract_tb(error.__traceback__))
    try:
        reduced = _spark_root_cause(error)
    except Exception:  # the JVM is gone, or an unexpected shape: the plain text is still true
        reduced = None
    if reduced is not None:
        summary, java_stack, udf_frames = reduced
        user = udf_frames or user
    python_traceback = "".join(traceback.format_tb(error.__traceback__)) + summary
    return Failure(summary, tuple(user), python_traceback, java_stack)


# -- the user's frames ---------------------------------------------------------------------------
def _framework_roots() -> tuple[str, ...]:
    """Folders of ppf and of Spark's Python side: never the user's code, wherever they are installed."""
    roots = {str(Path(__file__).resolve().parents[2])}  # the pyspark_pipeline_framework package
    for name in ("pyspark", "py4j"):
        file = getattr(sys.modules.get(name), "__file__", None)
        if file:
            roots.add(str(Path(file).resolve().parent))
    return tuple(sorted(roots))


def _sysconfig_roots(*keys: str) -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    return tuple(sorted({str(Path(paths[key]).resolve()) for key in keys if key in paths}))


def user_frames(frames: list[traceback.FrameSummary] | list[tuple[str, int, str]]) -> list[str]:
    """``file:line in function`` of the frames that belong to the user's modules, innermost last.

    Frames of ppf, Spark and Python's standard library never count; frames of installed libraries
    count only when no other frame is left (a user's package may be installed too).
    """
    entries = [(f[0], f[1], f[2]) if isinstance(f, tuple) else (f.filename, f.lineno, f.name) for f in frames]
    framework, installed = _framework_roots(), _sysconfig_roots("purelib", "platlib")
    stdlib = _sysconfig_roots("stdlib", "platstdlib")
    own, from_installed = [], []
    for entry in entries:
        if entry[0].startswith("<") or _under(entry[0], framework):
            continue
        if _under(entry[0], installed):  # checked first: a virtualenv's site-packages lies inside "platstdlib"
            from_installed.append(entry)
        elif not _under(entry[0], stdlib):
            own.append(entry)
    return [f"{file}:{line} in {function}" for file, line, function in (own or from_installed)]


def _under(filename: str, roots: tuple[str, ...]) -> bool:
    try:
        resolved = str(Path(filename).resolve())
    except OSError:
        resolved = filename
    return any(resolved == root or resolved.startswith(root + "/") for root in roots)


# -- Spark ---------------------------------------------------------------------------------------
def _spark_root_cause(error: BaseException) -> tuple[str, str, list[str]] | None:
    """(summary, Java stack, UDF frames) of a Spark or Py4J error; ``None`` for any other error."""
    python_exception = _class_named(error, "PythonException")
    if python_exception:
        return _udf_error(error)
    java_exception = getattr(error, "java_exception", None)  # py4j's Py4JJavaError
    if java_exception is not None:
        return _java_root_cause(error, java_exception)
    if _class_named(error, "CapturedException") or _class_named(error, "PySparkException"):
        text = f"{type(error).__name__}: {error}"
        raised = _python_callback_error(text)
        if raised is not None:  # Python code Spark called back (a foreachBatch function) raised it
            exception, frames = raised
            head = text.splitlines()[0]
            head = head if len(head) <= 120 else head[:120] + "…"
            return _short(f"{head} Python raised {exception}"), text, frames
        return _short(text), "", []
    return None


def _python_callback_error(text: str) -> tuple[str, list[str]] | None:
    """The exception line and the user's frames of a Python traceback quoted in a Spark error's text."""
    lines = text.splitlines()
    start = next(
        (i for i, line in enumerate(lines) if line.rstrip().endswith("Traceback (most recent call last):")), None
    )
    if start is None:
        return None
    body = lines[start + 1 :]
    # The exception line: the first one after the frames that is not indented.
    end = next((i for i, line in enumerate(body) if line.strip() and not line.startswith((" ", "\t"))), None)
    if end is None:
        return None
    return body[end].strip(), user_frames(_quoted_frames(body[:end]))


def _quoted_frames(lines: list[str]) -> list[tuple[str, int, str]]:
    """``(file, line, function)`` of the ``File "...", line N, in f`` lines of a traceback quoted as text."""
    frames = []
    for line in lines:
        match = _FRAME_LINE.match(line)
        if match:
            frames.append((match["file"], int(match["line"]), match["function"].strip()))
    return frames


def _class_named(error: BaseException, name: str) -> bool:
    return any(cls.__name__ == name for cls in type(error).__mro__)


def _udf_error(error: BaseException) -> tuple[str, str, list[str]]:
    """A Python UDF raised on an executor: its exception and frames, from the worker's traceback text."""
    text = str(error)
    lines = text.splitlines()
    frames = _quoted_frames(lines)
    last = next(
        (line.strip() for line in reversed(lines) if line.strip() and not line.startswith((" ", "\t"))),
        text.strip(),
    )
    summary = _short(f"{type(error).__name__}: a Python UDF raised {last}")
    missing = _MISSING_MODULE.search(last)
    if missing:
        summary += f"\n    hint: {missing_module_hint(missing['module'])}"
    return summary, text, user_frames(frames)


#: The last line of a Python worker's traceback when the module of a UDF is not on the executors.
_MISSING_MODULE = re.compile(r"ModuleNotFoundError: No module named '(?P<module>[^']+)'")


def missing_module_hint(module: str) -> str:
    """What to do when a UDF's module ``module`` cannot be imported on the executors."""
    top = module.split(".", 1)[0]
    return (
        f"the executors cannot import {top!r}: ppf ships the packages the steps' dotted-path types come "
        f"from (spark.ship_code); add a helper package to spark.ship_code.paths, or install the "
        f"distribution that provides {top!r} on every node of the cluster (docs/cluster.md)"
    )


def _java_root_cause(error: BaseException, throwable: Any) -> tuple[str, str, list[str]]:
    chain = [throwable]
    while len(chain) < 32:
        cause = chain[-1].getCause()
        if cause is None or any(cause.equals(seen) for seen in chain):
            break
        chain.append(cause)
    root = chain[-1]
    if str(root.getClass().getName()).endswith(".PythonException"):  # a UDF's error, not converted by pyspark
        summary, _, frames = _udf_error(RuntimeError(str(root.getMessage() or "")))
        return summary.replace("RuntimeError: ", "PythonException: ", 1), _java_stack(error), frames
    condition = next((c for c in (_condition(t) for t in chain) if c), "")
    message = str(root.getMessage() or "").strip()
    prefix = f"[{condition}] " if condition and condition not in message else ""
    summary = _short(f"{root.getClass().getSimpleName()}: {prefix}{message}")
    frames = [str(element.toString()) for element in list(root.getStackTrace())[:JAVA_FRAMES]]
    if frames:
        summary += "".join(f"\n    at {frame}" for frame in frames)
    return summary, _java_stack(error), []


def _java_stack(error: BaseException) -> str:
    try:
        return str(error)  # py4j renders the Java stack of every cause
    except Exception:
        return ""


def _condition(throwable: Any) -> str:
    """Spark's error condition (``FAILED_READ_FILE.NO_HINT``) of a SparkThrowable; empty otherwise."""
    try:
        return str(throwable.getCondition() or "")
    except Exception:  # not a SparkThrowable: py4j finds no such method
        return ""


def _short(text: str) -> str:
    """The leading lines of ``text`` up to MESSAGE_CHARS (Spark appends SQL context and plans below its message)."""
    kept: list[str] = []
    for line in text.strip().splitlines():
        if line.startswith("==") or sum(len(k) + 1 for k in kept) + len(line) > MESSAGE_CHARS:
            break
        kept.append(line)
    if not kept:
        first = text.strip().splitlines()[0] if text.strip() else text
        return first[: MESSAGE_CHARS - 1] + "…" if len(first) > MESSAGE_CHARS else first
    return "\n".join(kept)
