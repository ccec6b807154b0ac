"""The ``ppf`` command line: loading pipeline files, pre-flight checks, running."""
