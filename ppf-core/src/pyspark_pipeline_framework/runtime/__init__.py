"""The execution engine: Spark session, run context, step execution and results."""
