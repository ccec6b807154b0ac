"""The README's Quick Start job written by hand with PySpark and delta-spark, as a user would without ppf.

    python handwritten_quickstart.py SOURCE TABLE --master local[2] --conf key=value ...

Reads parquet, replaces the PII columns by their SHA-256 (as ``UserAnonymizer`` does), and merges
the result into the Delta table at TABLE by ``user_id``.  Deliberately standalone (no ppf
import): it is the baseline ``ppf run`` of the Quick Start is measured against.
"""

from delta.tables import DeltaTable
from handwritten_cli import parse_args, start_session  # sibling module: run as a script
from pyspark.sql import functions as F

PII_COLUMNS = ["email", "phone", "ssn"]


def anonymize(users):
    return users.withColumns({name: F.sha2(F.col(name), 256) for name in PII_COLUMNS})


def merge_users(spark, source: str, table: str) -> None:
    (
        DeltaTable.forPath(spark, table)
        .alias("target")
        .merge(anonymize(spark.read.parquet(source)).alias("source"), "target.user_id = source.user_id")
        .whenMatchedUpdateAll()
        .whenNotMatchedInsertAll()
        .execute()
    )


def main() -> None:
    args = parse_args(("source", "e.g. s3a://raw-data/users/*.parquet"), ("table", "e.g. s3a://warehouse/users"))
    spark = start_session("handwritten-user-etl", args)
    merge_users(spark, args.source, args.table)
    spark.stop()


if __name__ == "__main__":
    main()
