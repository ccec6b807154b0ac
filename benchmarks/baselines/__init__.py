"""The hand-written PySpark jobs ppf is measured against.

Each is a standalone script (``python baselines/handwritten_<job>.py ...``) that never imports
ppf; they share only :mod:`handwritten_cli`, imported as a sibling module.
"""
