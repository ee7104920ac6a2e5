"""The local default: files dropped into the bucket reach lambda_handler through S3 → SQS notifications."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from boto3.s3.transfer import TransferConfig

from csvlake.config import Config
from csvlake.events import object_refs
from csvlake.local import runner
from csvlake.pipeline import process
from csvlake.ports import ObjectRef
from csvlake.s3 import S3Store
from support import ROOT, keys_in, report_for


@pytest.fixture
def notified_bucket(s3, endpoint, app):
    queue_url = runner.create_bucket(endpoint, runner.BUCKET)
    return runner.NotificationLoop(endpoint, queue_url, app.lambda_handler)


def wait_for_report(s3, loop, key: str) -> dict:
    report_key = f"reports/{key.removeprefix('raw/').removesuffix('.csv')}.json"
    # Bounded by the work: it fails only after receives in a row found no notification, however slow the machine.
    assert loop.run_until(lambda: report_key in keys_in(s3, runner.BUCKET)), f"no {report_key}"
    return report_for(s3, runner.BUCKET, key)


def test_a_multipart_upload_is_processed_once_although_moto_notifies_it_twice(s3, notified_bucket, tmp_path, app):
    invocations = []

    def handler(event, context):
        invocations.extend(event["Records"])
        return app.lambda_handler(event, context)

    notified_bucket.handler = handler
    notified_bucket.poll_once()  # the test event of the notification configuration
    invocations.clear()
    path = tmp_path / "two parts.csv"
    path.write_bytes(b"id;valor\n" + b"".join(f"{i};{i},5\n".encode() for i in range(600_000)))
    assert path.stat().st_size > 5 * 1024**2
    parts = TransferConfig(multipart_threshold=5 * 1024**2, multipart_chunksize=5 * 1024**2)

    s3.upload_file(str(path), runner.BUCKET, "raw/two parts.csv", Config=parts)
    report = wait_for_report(s3, notified_bucket, "raw/two parts.csv")
    handled = notified_bucket.poll_once()  # the second notification, if it were still there, comes now

    assert s3.head_object(Bucket=runner.BUCKET, Key="raw/two parts.csv")["ETag"].strip('"').endswith("-2")
    assert report["rows"]["read"] == 600_000
    assert handled == []
    assert len(invocations) == 1
    assert (
        notified_bucket.sqs.get_queue_attributes(
            QueueUrl=notified_bucket.queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]["ApproximateNumberOfMessages"]
        == "0"
    )


def test_the_same_bytes_uploaded_again_are_processed_again(s3, notified_bucket, app):
    notified_bucket.poll_once()  # the test event
    handled = []
    for _ in range(2):
        s3.put_object(Bucket=runner.BUCKET, Key="raw/again.csv", Body=b"id\n1\n")
        handled += [ref.key for body in notified_bucket.poll_once() for ref in object_refs(body)]

    assert handled == ["raw/again.csv", "raw/again.csv"]


def test_a_file_uploaded_with_upload_file_is_processed_within_seconds(s3, notified_bucket, tmp_path):
    key = "raw/vendas/São Paulo + Rio 2024.csv"
    source = tmp_path / "upload.csv"
    source.write_bytes((ROOT / "tests" / "data" / "ptbr_cp1252.csv").read_bytes())

    s3.upload_file(str(source), runner.BUCKET, key)
    report = wait_for_report(s3, notified_bucket, key)

    assert report["source"]["key"] == key
    assert report["status"] == "processed"
    assert "processed/vendas/São Paulo + Rio 2024.csv" in keys_in(s3, runner.BUCKET)


def test_aws_cli_multipart_upload_of_a_large_file(s3, endpoint, notified_bucket, tmp_path: Path):
    rows = 260_000
    path = tmp_path / "big export.csv"
    with path.open("w", encoding="cp1252", newline="") as out:
        out.write("id;cliente;valor;data\r\n")
        for i in range(rows):
            out.write(f"{i};Cliente nº {i % 977};{i % 10_000},{i % 100:02d};{1 + i % 28:02d}/{1 + i % 12:02d}/2024\r\n")
    assert path.stat().st_size > 8 * 1024 * 1024

    aws = Path(sys.executable).with_name("aws")
    subprocess.run(
        [str(aws), "--endpoint-url", endpoint, "s3", "cp", str(path), f"s3://{runner.BUCKET}/raw/big export.csv"],
        check=True,
        capture_output=True,
    )
    assert s3.head_object(Bucket=runner.BUCKET, Key="raw/big export.csv")["ETag"].strip('"').endswith("-2")
    report = wait_for_report(s3, notified_bucket, "raw/big export.csv")

    assert report["rows"] == {"read": rows, "written": rows, "rejected": 0}
    columns = {c["name"]: c for c in report["columns"]}
    assert columns["valor"]["type"] == "number" and columns["valor"]["max"] == 9999.99
    assert columns["data"]["type"] == "date"
    body = s3.get_object(Bucket=runner.BUCKET, Key="processed/big export.csv")["Body"].read().decode()
    lines = body.splitlines()
    assert len(lines) == rows + 1 and lines[1] == '0,"Cliente nº 0",0,2024-01-01'


def test_output_bucket_receives_every_output(s3, bucket):
    s3.create_bucket(Bucket="curated")
    s3.put_object(Bucket=bucket, Key="raw/a.csv", Body=b"x,y\n1,2\n1,2,3\n")
    config = Config(output_bucket="curated")

    report = process(S3Store(s3), ObjectRef(bucket, "raw/a.csv"), config).as_dict()

    assert report["outputs"]["bucket"] == "curated"
    assert keys_in(s3, "curated") == {
        "processed/a.csv",
        "quarantine/a.rejected.csv",
        "reports/a.json",
        "reports/a.html",
    }
    assert keys_in(s3, bucket) == {"raw/a.csv"}
    report_for(s3, "curated", "raw/a.csv")


def test_a_failed_write_leaves_no_object_and_no_open_multipart_upload(s3, bucket):
    store = S3Store(s3)
    with pytest.raises(RuntimeError, match="boom"), store.writer(bucket, "processed/half.csv", "text/csv") as stream:
        for _ in range(40):
            stream.write(b"x" * 1024 * 1024)
        raise RuntimeError("boom")

    assert keys_in(s3, bucket) == set()
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_written_objects_are_complete(s3, bucket):
    store = S3Store(s3)
    payload = b"".join(f"{i},{i * 2}\n".encode() for i in range(3_000_000))
    with store.writer(bucket, "processed/whole.csv", "text/csv") as stream:
        for start in range(0, len(payload), 1 << 20):
            stream.write(payload[start : start + (1 << 20)])

    assert s3.get_object(Bucket=bucket, Key="processed/whole.csv")["Body"].read() == payload


def test_the_test_event_s3_sends_when_notifications_are_configured_is_skipped(s3, notified_bucket):
    handled = notified_bucket.poll_once()

    assert [m.get("Event") for m in handled] == ["s3:TestEvent"]
    assert keys_in(s3, runner.BUCKET) == set()


IDLE_ROUNDS = 10


def test_soak_500_files_dropped_concurrently_are_each_processed_exactly_once(s3, notified_bucket):
    keys = [f"raw/soak/{i:03d} arquivo.csv" for i in range(500)]

    def drop(i: int) -> None:
        body = f"id;valor\n{i};{i},5\n{i + 1};x;extra\n".encode("cp1252")
        s3.put_object(Bucket=runner.BUCKET, Key=keys[i], Body=body)

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(drop, range(500)))
    handled: Counter[str] = Counter()
    # Bounded by the work done, not by a clock: a loaded machine makes the rounds slower, and only
    # IDLE_ROUNDS receives in a row that handle nothing (about a second each) end the wait early.
    idle = 0
    while handled.total() < len(keys) and idle < IDLE_ROUNDS:
        bodies = notified_bucket.poll_once()
        idle = 0 if bodies else idle + 1
        for body in bodies:
            handled.update(ref.key for ref in object_refs(body))
    for body in notified_bucket.poll_once():  # a notification delivered twice would show up here
        handled.update(ref.key for ref in object_refs(body))

    assert handled == Counter(keys)
    reports = {k for k in keys_in(s3, runner.BUCKET) if k.startswith("reports/soak/") and k.endswith(".json")}
    assert len(reports) == len(keys)
    for i in (0, 250, 499):
        report = report_for(s3, runner.BUCKET, keys[i])
        assert report["rows"] == {"read": 2, "written": 1, "rejected": 1}
