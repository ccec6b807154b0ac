"""The 3-step pipeline's job written by hand in PySpark, as a user would without ppf.

    python handwritten_pipeline.py INPUT OUTPUT --master local[2] --conf key=value ...

Deliberately standalone (no ppf import): it is the baseline ``ppf run`` of the 3-step pipeline
(``benchmarks/cases/pipeline.py``) is measured against.
"""

from handwritten_cli import parse_args, start_session  # sibling module: run as a script
from pyspark.sql import functions as F

HASHED_COLUMNS = ["name", "email", "phone"]
CONDITION = "score >= 50"


def main() -> None:
    args = parse_args(("input", "parquet input"), ("output", "parquet output"))
    spark = start_session("handwritten-hash-and-filter", args)

    users = spark.read.parquet(args.input)
    hashed = users.withColumns({name: F.sha2(F.col(name), 256) for name in HASHED_COLUMNS})
    hashed.where(CONDITION).write.mode("overwrite").parquet(args.output)
    spark.stop()


if __name__ == "__main__":
    main()
