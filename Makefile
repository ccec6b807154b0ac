# Developer commands: each target calls a nox session (noxfile.py), so `make` and CI run the same thing.
# `make check` = lint, typecheck, the docs site, the test suite, the stress and scale-out tests and the scheduler integrations.  nox: python3 -m pip install nox
NOX ?= python3 -m nox

.PHONY: install-dev test test-unit test-spark test-stress test-scale-out test-cov test-schedulers lint format typecheck docs check

install-dev:  ## a development virtualenv in .venv: every distribution editable, the test and lint tools
	$(NOX) -s dev

test:  ## the suite: unit, Spark and end-to-end tests (on local Spark)
	$(NOX) -s tests

test-unit:  ## the tests that need no JVM
	$(NOX) -s unit

test-spark:  ## the tests that run Spark
	$(NOX) -s spark

test-stress:  ## the stress tests (streaming restarts under signals), minutes each
	$(NOX) -s stress

test-scale-out:  ## the tests on a Spark standalone cluster and over Spark Connect (started by the tests)
	$(NOX) -s scale_out

test-cov:  ## the whole suite with coverage; the report in htmlcov/
	$(NOX) -s cov

test-schedulers:  ## the Airflow and Dagster integrations, each scheduler in a virtualenv of its own
	$(NOX) -s airflow dagster

lint:  ## ruff (lint and format check) and the layer contract (import-linter)
	$(NOX) -s lint

format:  ## ruff's fixes and ruff format
	$(NOX) -s format

typecheck:  ## mypy on the public packages
	$(NOX) -s typecheck

docs:  ## the docs site in docs/_build/html (warnings are errors)
	$(NOX) -s docs

check:  ## everything CI checks
	$(NOX) -s lint typecheck docs tests stress scale_out airflow dagster
