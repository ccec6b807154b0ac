"""Step figures (rows in and out, rows and bytes written) from what Spark measured anyway: no extra job."""
