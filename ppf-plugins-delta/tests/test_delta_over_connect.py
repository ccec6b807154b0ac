"""The Delta plugin on a Spark Connect session: what works with delta-spark alone on the server, and
the clear error for what needs Delta Connect there.

The suite's Connect server (``connect_server``) has delta-spark's jars, extension and catalog but
not Delta's Connect plugin.  The first tests need no server: they check the error translation
and the string re-declaration on PySpark's own exception and type classes.
"""

from __future__ import annotations

import json

import pytest
from pyspark.errors.exceptions.connect import AnalysisException, InvalidPlanInput
from pyspark.sql import types as T

from ppf_delta.connect import NO_HANDLER, DeltaConnectUnavailable, needs_delta_connect, type_ddl
from ppf_delta.target import existing_table


def test_a_missing_delta_connect_plugin_becomes_a_clear_permanent_error():
    with pytest.raises(DeltaConnectUnavailable) as raised, needs_delta_connect("the merge into /data/users"):
        raise InvalidPlanInput("No handler found for extension type: delta.connect.DeltaRelation", NO_HANDLER)
    message = str(raised.value)
    assert message.startswith("the merge into /data/users needs Delta Connect on the Spark Connect server")
    assert "io.delta:delta-connect-server_2.13:" in message
    assert "spark.connect.extensions.command.classes=org.apache.spark.sql.connect.delta.DeltaCommandPlugin" in message
    assert raised.value.permanent  # a retry block does not repeat it
    assert raised.value.__cause__ is None and raised.value.__suppress_context__  # no Java stack behind it


def test_other_errors_pass_unchanged():
    error = AnalysisException("[PATH_NOT_FOUND] Path does not exist", "PATH_NOT_FOUND")
    with pytest.raises(AnalysisException) as raised, needs_delta_connect("the merge"):
        raise error
    assert raised.value is error


def test_types_are_restated_in_ddl_with_plain_strings_unless_ddl_would_change_them():
    nested = T.StructType(
        [
            T.StructField("a`b", T.ArrayType(T.StringType())),
            T.StructField("n", T.MapType(T.StringType(), T.DecimalType(10, 2))),
        ]
    )
    assert type_ddl(nested) == "struct<`a``b`:array<string>,`n`:map<string,decimal(10,2)>>"
    assert type_ddl(T.StringType("UTF8_LCASE")) == "string collate UTF8_LCASE"
    assert type_ddl(T.ArrayType(T.StringType(), containsNull=False)) is None
    assert type_ddl(T.StructType([T.StructField("s", T.StringType(), nullable=False)])) is None
    assert type_ddl(T.MapType(T.StringType(), T.StringType(), valueContainsNull=False)) is None
    assert type_ddl(T.StructType([T.StructField("s", T.StringType(), metadata={"comment": "kept"})])) is None


@pytest.mark.spark
@pytest.mark.connect
def test_a_table_lookup_over_connect_without_delta_connect_fails_at_once_naming_what_the_server_needs(
    connect_spark, tmp_path
):
    # An append needs only delta-spark on the server: the table exists.
    connect_spark.range(2).write.format("delta").save(str(tmp_path / "table"))
    for path in (tmp_path / "table", tmp_path / "missing"):
        # forPath alone is lazy over Connect; the lookup asks the server, which cannot plan it.
        with pytest.raises(
            DeltaConnectUnavailable, match=f"a merge or table_properties on the Delta table {path} needs Delta Connect"
        ):
            existing_table(connect_spark, str(path), None)


@pytest.mark.spark
@pytest.mark.connect
def test_strings_typed_by_the_python_client_are_written_as_plain_strings(connect_spark, tmp_path):
    """A UDF's string types reach the server with an explicit collation, which Delta would record."""
    from pyspark.sql.functions import udf

    from ppf_delta.connect import with_plain_strings

    @udf("array<string>")
    def words(text):
        return text.split()

    @udf("string")
    def upper(text):
        return text.upper()

    df = connect_spark.createDataFrame([("a b",)], "text string")
    df = df.select("text", upper("text").alias("loud"), words("text").alias("words"))
    with_plain_strings(df).write.format("delta").save(str(tmp_path / "table"))

    log = (tmp_path / "table" / "_delta_log" / "00000000000000000000.json").read_text()
    schema = json.loads(
        next(json.loads(line) for line in log.splitlines() if "metaData" in line)["metaData"]["schemaString"]
    )
    assert [field["type"] for field in schema["fields"]] == [
        "string",
        "string",
        {"type": "array", "elementType": "string", "containsNull": True},
    ]
    from deltalake import DeltaTable  # a reader other than Spark opens it

    assert DeltaTable(str(tmp_path / "table")).to_pyarrow_table().to_pylist() == [
        {"text": "a b", "loud": "A B", "words": ["a", "b"]}
    ]
