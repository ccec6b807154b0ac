"""Delta over Spark Connect: what the server needs, and ppf's error when it lacks Delta Connect.

Reads, appends and overwrites go through Spark's own data source API: delta-spark's jars,
extension and catalog on the server are enough.  A ``DeltaTable`` (the lookup a merge or table
properties start from), a merge and ``detail()`` are Delta Connect's own plan messages, which only
a server with Delta's Connect plugin can plan.  Without it Spark answers
``CONNECT_INVALID_PLAN.NO_HANDLER_FOR_EXTENSION`` with a Java stack; :func:`needs_delta_connect`
says instead what the server needs.

A string type the Python client sends (a UDF's return type, a cast to ``StringType()``) reaches
the server with an explicit default collation, which Delta records in the table's schema as
``string collate UTF8_BINARY`` without the collations table feature: Delta readers other than
Spark (delta-rs, the ``deltalake`` package) refuse such a table.  :func:`with_plain_strings`
declares those columns again by their DDL type, where the default collation is implicit, as on
a classic session.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from pyspark_pipeline_framework.core import PermanentError

from .spark_settings import SCALA_BINARY_VERSION

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

#: Spark's error condition for a plan message no server plugin handles.
NO_HANDLER = "CONNECT_INVALID_PLAN.NO_HANDLER_FOR_EXTENSION"
SERVER_CONF = {
    "spark.connect.extensions.relation.classes": "org.apache.spark.sql.connect.delta.DeltaRelationPlugin",
    "spark.connect.extensions.command.classes": "org.apache.spark.sql.connect.delta.DeltaCommandPlugin",
}


class DeltaConnectUnavailable(PermanentError):
    """The Spark Connect server cannot plan Delta's own operations: it has no Delta Connect plugin."""


def condition(error: BaseException) -> str | None:
    """Spark's error condition of ``error`` (``None`` for other errors)."""
    get = getattr(error, "getCondition", None)
    return get() if callable(get) else None


@contextmanager
def needs_delta_connect(what: str) -> Iterator[None]:
    """Within the block, a server without Delta Connect raises :class:`DeltaConnectUnavailable` for ``what``."""
    try:
        yield
    except Exception as error:
        if condition(error) != NO_HANDLER:
            raise
        raise DeltaConnectUnavailable(
            f"{what} needs Delta Connect on the Spark Connect server, which has none ({NO_HANDLER}): "
            f"start the server with the package {server_package()} and "
            + " ".join(f"--conf {key}={value}" for key, value in SERVER_CONF.items())
            + ' (see docs/connect.md). mode = "append" or "overwrite" without table_properties needs '
            "only delta-spark on the server."
        ) from None


def server_package() -> str:
    """Delta's Connect server plugin for the installed delta-spark (they ship in lockstep)."""
    from importlib.metadata import version

    return f"io.delta:delta-connect-server_{SCALA_BINARY_VERSION}:{version('delta-spark')}"


def with_plain_strings(df: DataFrame) -> DataFrame:
    """``df`` with each column that holds a default-collation string cast to its own type as DDL.

    Asks for the schema (one analyze request, no Spark job); a cast to the same type costs nothing
    when the query runs.  A column whose type DDL cannot state exactly (:func:`type_ddl`) is left
    as it is.
    """
    from pyspark.sql.functions import col

    columns, changed = [], False
    for field in df.schema.fields:
        ddl = type_ddl(field.dataType) if _holds_default_string(field.dataType) else None
        if ddl is None:
            columns.append(col(f"`{_quoted(field.name)}`"))
        else:
            columns.append(col(f"`{_quoted(field.name)}`").cast(ddl).alias(field.name, metadata=field.metadata))
            changed = True
    return df.select(*columns) if changed else df


def _holds_default_string(data_type: Any) -> bool:
    from pyspark.sql.types import ArrayType, MapType, StringType, StructType

    if isinstance(data_type, StringType):
        return data_type.isUTF8BinaryCollation()
    if isinstance(data_type, ArrayType):
        return _holds_default_string(data_type.elementType)
    if isinstance(data_type, MapType):
        return _holds_default_string(data_type.keyType) or _holds_default_string(data_type.valueType)
    if isinstance(data_type, StructType):
        return any(_holds_default_string(field.dataType) for field in data_type.fields)
    return False


def type_ddl(data_type: Any) -> str | None:
    """The DDL of ``data_type``, or ``None`` when DDL would change it (a non-nullable field or
    element inside it, a field's metadata, a user-defined type)."""
    from pyspark.sql.types import ArrayType, AtomicType, MapType, StructType, UserDefinedType

    if isinstance(data_type, UserDefinedType):
        return None
    if isinstance(data_type, ArrayType):
        element = type_ddl(data_type.elementType) if data_type.containsNull else None
        return f"array<{element}>" if element else None
    if isinstance(data_type, MapType):
        if not data_type.valueContainsNull:
            return None
        key, value = type_ddl(data_type.keyType), type_ddl(data_type.valueType)
        return f"map<{key},{value}>" if key and value else None
    if isinstance(data_type, StructType):
        fields = []
        for field in data_type.fields:
            field_ddl = type_ddl(field.dataType) if field.nullable and not field.metadata else None
            if field_ddl is None:
                return None
            fields.append(f"`{_quoted(field.name)}`:{field_ddl}")
        return f"struct<{','.join(fields)}>"
    if isinstance(data_type, AtomicType):
        return data_type.simpleString()  # a default-collation string is plain "string"
    return None


def _quoted(name: str) -> str:
    return name.replace("`", "``")
