"""The benchmark job written by hand in PySpark, as a user would without ppf.

    python handwritten_job.py INPUT OUTPUT --master local[2] --conf key=value ...

Deliberately standalone (no ppf import): it is the baseline ppf is measured against.
"""

import argparse

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

HASHED_COLUMNS = ["name", "email", "phone"]
CONDITION = "score >= 50"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--master", required=True)
    parser.add_argument("--conf", action="append", default=[], help="key=value, repeatable")
    args = parser.parse_args()

    builder = SparkSession.builder.appName("handwritten-hash-and-filter").master(args.master)
    for pair in args.conf:
        key, _, value = pair.partition("=")
        builder = builder.config(key, value)
    spark = builder.getOrCreate()

    users = spark.read.parquet(args.input)
    hashed = users.withColumns({name: F.sha2(F.col(name), 256) for name in HASHED_COLUMNS})
    hashed.where(CONDITION).write.mode("overwrite").parquet(args.output)
    spark.stop()


if __name__ == "__main__":
    main()
