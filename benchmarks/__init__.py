"""Benchmarks of ppf against hand-written PySpark; results go to docs/performance.md.

Run them all with ``.venv/bin/python benchmarks/run_all.py``.  Nothing here is a test: pytest
does not collect this folder.
"""
