"""Fixtures of the AWS plugin's tests: one moto S3 server for the whole session."""

from __future__ import annotations

import itertools

import pytest

_names = itertools.count()


@pytest.fixture(scope="session")
def s3_server():
    from ppf_aws.testing import moto_s3_server

    with moto_s3_server() as server:
        yield server


@pytest.fixture
def bucket(s3_server):
    """A new, empty bucket on the moto server (each test gets its own name)."""
    name = f"ppf-aws-test-{next(_names)}"
    s3_server.create_bucket(name)
    return name
