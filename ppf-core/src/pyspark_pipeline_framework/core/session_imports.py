"""Recognising a component module that can be imported only once a Spark session exists.

A module-level ``@udf("long")`` or ``StructType.fromDDL("id long")`` asks the JVM to parse a type
string while the module is imported, and pyspark raises ``[SESSION_OR_CONTEXT_NOT_EXISTS]`` when
no session exists yet.  Pre-flight imports components before any JVM starts, so it recognises
that failure by pyspark's error condition (never by its message text) and leaves the step to the
engine, which imports it once the session exists.  Nothing here imports pyspark.
"""

from __future__ import annotations

#: pyspark's error conditions that mean "create a SparkContext or SparkSession first".
SESSION_NEEDED_CONDITIONS = frozenset(
    {
        "SESSION_OR_CONTEXT_NOT_EXISTS",  # classic pyspark: a type string parsed without a SparkContext
        "NO_ACTIVE_SESSION",  # Spark Connect
        "NO_ACTIVE_OR_DEFAULT_SESSION",  # Spark Connect
    }
)


def session_needed_condition(error: BaseException) -> str | None:
    """The pyspark error condition when ``error``, or an error it was raised from, says a session was needed."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        condition = _condition(current)
        if condition in SESSION_NEEDED_CONDITIONS:
            return condition
        current = current.__cause__ or current.__context__
    return None


def _condition(error: BaseException) -> str | None:
    if not type(error).__module__.startswith("pyspark."):
        return None
    # getCondition() since pyspark 4.0; getErrorClass() is its older, deprecated name.
    for name in ("getCondition", "getErrorClass"):
        method = getattr(error, name, None)
        if callable(method):
            try:
                condition = method()
            except Exception:
                return None
            return condition if isinstance(condition, str) else None
    return None
