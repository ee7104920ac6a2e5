"""S3Store against the moto server: the keys, uploads and downloads the CLI uses, and how S3's failures
reach the CLI as one-line errors."""

from __future__ import annotations

import socket

import boto3
import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError, NoCredentialsError

from csvlake.errors import ObjectGone
from csvlake.local import runner
from csvlake.local.console import FAILED, USAGE, s3_failure
from csvlake.ports import ObjectRef
from csvlake.s3 import Problem, S3Error, S3Store


def test_files_uploaded_are_listed_and_download_to_the_same_bytes(s3, bucket, tmp_path):
    store = S3Store(s3)
    source = tmp_path / "vendas 2024.csv"
    source.write_bytes(b"a;b\n1;2\n")
    store.upload(source, bucket, "raw/vendas 2024.csv")
    store.put(bucket, "reports/vendas 2024.json", b"{}", "application/json")

    assert list(store.keys(bucket)) == ["raw/vendas 2024.csv", "reports/vendas 2024.json"]
    target = tmp_path / "copy.csv"
    store.download(bucket, "raw/vendas 2024.csv", target)
    assert target.read_bytes() == source.read_bytes()


def test_a_missing_object_is_gone_and_a_missing_bucket_is_said_so(s3, bucket, tmp_path):
    store = S3Store(s3)
    with pytest.raises(ObjectGone):
        store.open(ObjectRef(bucket, "raw/nothing.csv"))
    with pytest.raises(ObjectGone):
        store.download(bucket, "raw/nothing.csv", tmp_path / "x")
    assert store.get(bucket, "reports/nothing.json") is None

    with pytest.raises(S3Error) as no_bucket:
        store.get("no-such-bucket-here", "reports/x.json")
    assert no_bucket.value.problem is Problem.NO_BUCKET and no_bucket.value.code == "NoSuchBucket"
    with pytest.raises(S3Error) as listing:
        list(store.keys("no-such-bucket-here"))
    assert listing.value.problem is Problem.NO_BUCKET


def test_a_bucket_name_botocore_refuses_is_a_bad_request(s3):
    with pytest.raises(S3Error) as refused:
        S3Store(s3).get("bad_bucket!", "k.json")
    assert refused.value.problem is Problem.BAD_REQUEST
    assert refused.value.detail == 'Invalid bucket name "bad_bucket!"'


def test_an_endpoint_nobody_listens_on_is_unreachable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name=runner.REGION,
        config=BotoConfig(retries={"total_max_attempts": 1}),
    )
    with pytest.raises(S3Error) as unreachable:
        S3Store(client).get("b", "k")
    assert unreachable.value.problem is Problem.UNREACHABLE
    assert str(unreachable.value).startswith("reading s3://b/k: Could not connect to the endpoint URL")


class RefusingS3:
    """An S3 client whose every GetObject fails with one botocore exception."""

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def get_object(self, **kwargs):
        raise self.exc


def client_error(code: str, message: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "GetObject")


@pytest.mark.parametrize(
    ("exc", "message", "code"),
    [
        (client_error("AccessDenied", "Access Denied"), "s3://b/reports/k.json: access denied", FAILED),
        (client_error("403", "Forbidden"), "s3://b/reports/k.json: access denied", FAILED),
        (client_error("NotFound", "Not Found"), "s3://b/reports/k.json: no such object", USAGE),
        (client_error("NoSuchBucket", "The bucket does not exist"), "s3://b/raw/k.csv: no such bucket 'b'", USAGE),
        (
            client_error("SlowDown", "Reduce your request rate"),
            "s3://b/reports/k.json: SlowDown: Reduce your request rate",
            FAILED,
        ),
        (
            NoCredentialsError(),
            "no AWS credentials found: run `aws configure`, or set AWS_PROFILE, "
            "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
            FAILED,
        ),
    ],
)
def test_each_s3_failure_is_one_line_for_the_cli(exc, message, code):
    with pytest.raises(S3Error) as failure:
        S3Store(RefusingS3(exc)).get("b", "reports/k.json")

    assert str(failure.value).startswith("reading s3://b/reports/k.json: ")
    error = s3_failure(failure.value, "s3://b/raw/k.csv", "b", "s3://b/reports/k.json")
    assert (str(error), error.code) == (message, code)
