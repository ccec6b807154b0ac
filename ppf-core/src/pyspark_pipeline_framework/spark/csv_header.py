"""A CSV file's header checked against the schema declared for it, before Spark reads by position.

With ``header = "true"`` and a ``schema``, Spark skips the header line and maps the columns by
position: a file whose columns were reordered, renamed or added to reads without error, every
value in the wrong column or NULL.  The first line of the first file is read on the driver (no
Spark job) and compared with the schema's names, as Spark's own ``enforceSchema = false`` check
compares them (case-insensitive unless ``spark.sql.caseSensitive``); Spark's check also runs, for
every file, while the data is read.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from itertools import zip_longest
from typing import TYPE_CHECKING

from pyspark_pipeline_framework.core.errors import PermanentError
from pyspark_pipeline_framework.spark._jvm import first_lines

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: Lines read before giving up on finding the header (blank and comment lines come first).
_LINES = 50


class HeaderMismatch(PermanentError):
    """A CSV file's header names other columns than the declared schema."""


def header_checked(options: Mapping[str, str]) -> bool:
    """Whether the reader options say the files have a header row."""
    return _option(options, "header", "false").strip().lower() == "true"


def with_schema_enforced(options: Mapping[str, str]) -> dict[str, str]:
    """The options with Spark's per-file header check on, unless the user set ``enforceSchema`` themselves."""
    if any(key.lower() == "enforceschema" for key in options):
        return dict(options)
    return {**options, "enforceSchema": "false"}


def check_csv_header(
    spark: SparkSession, path: str, options: Mapping[str, str], schema_names: Sequence[str], where: str
) -> None:
    """Raise :class:`HeaderMismatch` naming each differing column when the first file's header differs."""
    encoding = _option(options, "encoding", _option(options, "charset", "UTF-8"))
    found = first_lines(spark, path, encoding, _LINES)
    if found is None:
        return  # no JVM (Spark Connect) or no file: Spark's own check and error apply
    file, lines = found
    comment = _option(options, "comment", "")
    line = next((ln for ln in lines if ln.strip() and not (comment and ln.startswith(comment))), None)
    if line is None:
        return  # an empty file has no header to check
    header = split_header(line.lstrip("\ufeff"), options)
    sensitive = str(spark.conf.get("spark.sql.caseSensitive", "false")).lower() == "true"
    differences = []
    for position, (in_file, in_schema) in enumerate(zip_longest(header, schema_names), start=1):
        same = in_file is not None and in_schema is not None
        if same and not sensitive:
            same = in_file.lower() == in_schema.lower()
        elif same:
            same = in_file == in_schema
        if not same:
            differences.append(
                f"column {position} is {_shown(in_file)} in the file but {_shown(in_schema)} in the schema"
            )
    if differences:
        raise HeaderMismatch(
            f"the header of {file} does not match the declared schema: {'; '.join(differences)}",
            hint=f"fix {where}.schema to name the file's columns in the file's order, or set "
            f"{where}.check_header = false to read the columns by position regardless of their names",
        )


def _shown(name: str | None) -> str:
    return "missing" if name is None else repr(name)


def split_header(line: str, options: Mapping[str, str]) -> list[str]:
    separator = _option(options, "sep", _option(options, "delimiter", ","))
    separator = "\t" if separator == "\\t" else separator
    quote = _option(options, "quote", '"') or None
    if len(separator) != 1:  # Spark accepts multi-character separators; Python's csv module does not
        return line.split(separator)
    escape = _option(options, "escape", "\\") or None
    return next(csv.reader([line], delimiter=separator, quotechar=quote, escapechar=escape), [])


def _option(options: Mapping[str, str], name: str, default: str) -> str:
    """Spark's reader options are case-insensitive."""
    for key, value in options.items():
        if key.lower() == name.lower():
            return str(value)
    return default
