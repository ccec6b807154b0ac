"""The Spark session: checking Java, building the session with the plugins' settings, quiet logs."""
