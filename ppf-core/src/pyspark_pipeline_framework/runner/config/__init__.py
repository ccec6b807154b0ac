"""Reading a pipeline file and checking it before anything runs.

``reading`` parses HOCON with includes, substitutions and overrides; ``structuring`` turns raw
values into the typed schema of :mod:`pyspark_pipeline_framework.core.spec`; ``preflight`` checks
components, hooks and the graph; ``locations`` finds the file and line of a config path.
"""
