"""Reading a pipeline file and checking it before anything runs.

``reading`` parses HOCON with includes, substitutions and overrides; ``preflight`` structures the
raw values into the typed schema (with :mod:`pyspark_pipeline_framework.core.structuring`) and
checks components, hooks and the graph; ``locations`` finds the file and line of a config path.
"""
