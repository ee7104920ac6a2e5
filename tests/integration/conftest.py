"""A moto server on 127.0.0.1, started here, and the real handler talking HTTP to it."""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Iterator

import boto3
import pytest

from csvlake.local import runner


@pytest.fixture(scope="session")
def endpoint() -> Iterator[str]:
    saved = dict(os.environ)
    server, url = runner.start_endpoint(0)
    runner.use_endpoint(url)
    yield url
    server.stop()
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def s3(endpoint):
    # Each test starts from an empty endpoint.
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")).close()
    return boto3.client("s3", endpoint_url=endpoint, region_name=runner.REGION)


@pytest.fixture(scope="session")
def app(endpoint):
    """functions/ingest/app.py, imported once the endpoint is configured, as Lambda imports it."""
    return runner.load_handler()


@pytest.fixture
def context() -> runner.LambdaContext:
    return runner.LambdaContext(aws_request_id="test-request")


@pytest.fixture
def bucket(s3) -> str:
    s3.create_bucket(Bucket=runner.BUCKET)
    return runner.BUCKET
