"""Injected S3 faults between boto3 and the local endpoint: transient ones are retried by boto3, persistent
ones raise StoreError with nothing half-written, and a retry without the fault completes the file.

Every final state is read directly from the endpoint, not through the proxy.
"""

from __future__ import annotations

import datetime as dt
import json

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config as BotoConfig
from faultproxy import FaultProxy

import csvlake.s3
from csvlake.config import Config
from csvlake.errors import StoreError
from csvlake.local import runner
from csvlake.pipeline import process
from csvlake.ports import ObjectRef
from csvlake.s3 import CLIENT_CONFIG, S3Store
from support import ROOT, keys_in, report_for

BUCKET = runner.BUCKET
RAW = rf"^/{BUCKET}/raw/"
PROCESSED = rf"^/{BUCKET}/processed/"
REPORTS = rf"^/{BUCKET}/reports/"
# Two attempts: persistent faults fail fast (standard mode's jittered backoff is up to 2**(attempt - 1) s).
# In a Config, retries' `max_attempts` counts retries after the first attempt; `total_max_attempts` counts all.
ONE_RETRY = CLIENT_CONFIG.merge(BotoConfig(retries={"total_max_attempts": 2, "mode": "standard"}))
CLOCK = dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC)
# S3's smallest part: outputs of a few MB go up in several parts, as 16 MiB+ outputs do in production.
SMALL_PARTS = TransferConfig(multipart_threshold=5 * 1024**2, multipart_chunksize=5 * 1024**2, max_concurrency=4)


def export(rows: int) -> bytes:
    """A pt-BR spreadsheet export: ';'-delimited cp1252 with decimal commas and dd/mm/yyyy dates."""
    lines = ["id;cliente;valor;data;observação"]
    for i in range(rows):
        day, month = 1 + i % 28, 1 + i % 12
        lines.append(f"{i};Cliente nº {i % 977};{i % 10_000},{i % 100:02d};{day:02d}/{month:02d}/2024;ação {i % 7}")
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


@pytest.fixture
def proxy(endpoint):
    proxy = FaultProxy(endpoint)
    yield proxy
    proxy.close()


def store_via(proxy: FaultProxy, config: BotoConfig = CLIENT_CONFIG) -> S3Store:
    return S3Store(boto3.client("s3", endpoint_url=proxy.url, config=config, region_name=runner.REGION))


def run(store: S3Store, key: str, spill_bytes: int | None = None) -> dict:
    # Blocks of 1 MiB: the upload of the processed copy overlaps the read even for files of a few MB.
    config = Config(block_size=1024**2, spill_bytes=spill_bytes)
    return process(store, ObjectRef(BUCKET, key), config, now=lambda: CLOCK).as_dict()


def outputs(s3) -> dict[str, bytes]:
    return {
        k: s3.get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in keys_in(s3, BUCKET) if not k.startswith("raw/")
    }


def fault_free(s3, key: str, data: bytes) -> dict[str, bytes]:
    """Upload the object and return the outputs of a run without the proxy, then remove them."""
    s3.put_object(Bucket=BUCKET, Key=key, Body=data)
    run(S3Store(s3), key)
    expected = outputs(s3)
    for k in expected:
        s3.delete_object(Bucket=BUCKET, Key=k)
    assert keys_in(s3, BUCKET) == {key}
    return expected


def assert_nothing_half_written(s3, key: str) -> None:
    assert keys_in(s3, BUCKET) == {key}
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


def test_slowdown_on_the_first_two_gets_is_retried_by_boto3(s3, bucket, proxy):
    expected = fault_free(s3, "raw/vendas.csv", export(3000))
    proxy.add("GET", RAW, "error", status=503, code="SlowDown", times=2)

    run(store_via(proxy), "raw/vendas.csv")

    assert proxy.count("GET", RAW, "error") == 2
    assert outputs(s3) == expected
    assert report_for(s3, bucket, "raw/vendas.csv")["rows"] == {"read": 3000, "written": 3000, "rejected": 0}


@pytest.mark.parametrize(
    ("target", "rows"),
    [
        pytest.param(REPORTS, 3000, id="first PutObject of the report"),
        pytest.param(PROCESSED + r"[^?]*$", 3000, id="first PutObject of the processed copy"),
        pytest.param(PROCESSED + r".*partNumber=2", 160_000, id="UploadPart 2 of the processed copy"),
    ],
)
def test_a_500_on_a_write_is_retried_by_boto3(s3, bucket, proxy, monkeypatch, target, rows):
    monkeypatch.setattr(csvlake.s3, "TRANSFER", SMALL_PARTS)
    expected = fault_free(s3, "raw/vendas.csv", export(rows))
    proxy.add("PUT", target, "error", status=500, code="InternalError", times=1)

    run(store_via(proxy), "raw/vendas.csv")

    assert proxy.count("PUT", target, "error") == 1
    assert outputs(s3) == expected
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


@pytest.mark.parametrize(
    ("rows", "skip", "cut_after"),
    [
        pytest.param(40_000, 0, 64 * 1024, id="every read, 64 KiB into ~2 MB"),
        # Pass 2 reads the object again only when pass 1's spill did not fit in /tmp (ADR 0008): no spill here.
        pytest.param(160_000, 1, 7 * 1024**2, id="the second pass, while the processed copy is uploading"),
    ],
)
def test_a_body_cut_mid_way_raises_store_error_and_a_retry_completes(
    s3, bucket, proxy, monkeypatch, rows, skip, cut_after
):
    monkeypatch.setattr(csvlake.s3, "TRANSFER", SMALL_PARTS)
    data = export(rows)
    assert len(data) > cut_after
    expected = fault_free(s3, "raw/vendas.csv", data)
    proxy.add("GET", RAW, "cut", cut_after=cut_after, skip=skip)
    store = store_via(proxy)

    with pytest.raises(StoreError, match="reading s3://"):
        run(store, "raw/vendas.csv", spill_bytes=0 if skip else None)

    assert proxy.count("GET", RAW, "cut") == 1  # a stream cut after the headers is not boto3's to retry
    if skip:  # the multipart upload of the processed copy had begun: it was aborted, not left open
        assert proxy.count("POST", PROCESSED + r"[^?]*\?uploads$") == 1
        assert proxy.count("DELETE", PROCESSED + r"[^?]*\?uploadId=") == 1
    assert_nothing_half_written(s3, "raw/vendas.csv")
    proxy.clear()
    run(store, "raw/vendas.csv")  # Lambda's retry
    assert outputs(s3) == expected


@pytest.mark.parametrize(
    ("rows", "request_"),
    [
        pytest.param(3000, PROCESSED + r"[^?]*$", id="PutObject"),
        pytest.param(160_000, PROCESSED + r".*partNumber=", id="UploadPart"),
    ],
)
def test_persistent_500s_on_the_processed_copy_raise_and_a_retry_completes(
    s3, bucket, proxy, monkeypatch, rows, request_
):
    monkeypatch.setattr(csvlake.s3, "TRANSFER", SMALL_PARTS)
    expected = fault_free(s3, "raw/vendas.csv", export(rows))
    proxy.add("PUT", PROCESSED, "error", status=500, code="InternalError")
    store = store_via(proxy, ONE_RETRY)

    with pytest.raises(StoreError, match=r"writing s3://csvlake-local/processed/vendas.csv"):
        run(store, "raw/vendas.csv")

    failed = proxy.count("PUT", request_, "error")
    assert failed >= 2  # boto3 tried again before it gave up (parts still in flight are cancelled)
    if "partNumber" in request_:
        assert proxy.count("DELETE", PROCESSED + r"[^?]*\?uploadId=") == 1  # the multipart upload was aborted
    assert_nothing_half_written(s3, "raw/vendas.csv")
    proxy.clear()
    run(store, "raw/vendas.csv")
    assert outputs(s3) == expected


def test_persistent_500s_on_the_report_leave_complete_outputs_and_no_report_until_a_retry(s3, bucket, proxy):
    expected = fault_free(s3, "raw/vendas.csv", export(3000))
    proxy.add("PUT", REPORTS, "error", status=500, code="InternalError")
    store = store_via(proxy, ONE_RETRY)

    with pytest.raises(StoreError, match=r"writing s3://csvlake-local/reports/vendas\."):
        run(store, "raw/vendas.csv")

    # The report is written last: without it the file is not done, and what is there is complete.
    assert outputs(s3) == {k: v for k, v in expected.items() if not k.startswith("reports/")}
    proxy.clear()
    run(store, "raw/vendas.csv")
    assert outputs(s3) == expected


@pytest.mark.parametrize("times", [1, None], ids=["once", "persistent"])
def test_500s_on_the_quarantine_copy_of_a_rejected_file(s3, bucket, proxy, times):
    workbook = (ROOT / "samples" / "planilha.csv").read_bytes()
    expected = fault_free(s3, "raw/planilha.csv", workbook)
    assert set(expected) == {"quarantine/planilha.csv", "reports/planilha.json", "reports/planilha.html"}
    proxy.add("PUT", rf"^/{BUCKET}/quarantine/", "error", status=500, code="InternalError", times=times)
    store = store_via(proxy, ONE_RETRY)

    if times is None:
        with pytest.raises(StoreError, match="copying s3://"):
            run(store, "raw/planilha.csv")
        assert_nothing_half_written(s3, "raw/planilha.csv")
        proxy.clear()
    run(store, "raw/planilha.csv")

    assert proxy.count("PUT", rf"^/{BUCKET}/quarantine/", "error") == (1 if times else 2)
    assert outputs(s3) == expected


def test_a_delay_shorter_than_the_read_timeout_is_waited_out(s3, bucket, proxy):
    expected = fault_free(s3, "raw/vendas.csv", export(3000))
    proxy.add("*", f"^/{BUCKET}/", "delay", delay=0.5)

    # A timeout 20 times the delay: a loaded machine (`make bench` alongside) does not make it a retry.
    run(store_via(proxy, CLIENT_CONFIG.merge(BotoConfig(read_timeout=10))), "raw/vendas.csv")

    assert proxy.count("GET", RAW, "delay") == 1  # pass 1's read, none retried; pass 2 reads the spill
    assert outputs(s3) == expected


def test_a_delay_past_the_read_timeout_is_retried_by_boto3(s3, bucket, proxy):
    expected = fault_free(s3, "raw/vendas.csv", export(3000))
    proxy.add("GET", RAW, "delay", delay=3, times=1)

    run(store_via(proxy, CLIENT_CONFIG.merge(BotoConfig(read_timeout=1))), "raw/vendas.csv")

    # The delayed read timed out and was retried; pass 2 reads the spill. On a loaded machine a retry
    # may time out too and be retried again: more GETs, the same outputs.
    assert proxy.count("GET", RAW, "delay") == 1 and proxy.count("GET", RAW) >= 2
    assert outputs(s3) == expected


def sqs_record(message_id: str, key: str, etag: str) -> dict:
    event = json.loads((ROOT / "events" / "sqs-s3.json").read_text())
    record = event["Records"][0]
    body = json.loads(record["body"])
    body["Records"][0]["s3"]["object"].update(key=key, eTag=etag.strip('"'))
    return {**record, "messageId": message_id, "body": json.dumps(body)}


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param({"action": "cut", "cut_after": 1024}, id="body cut on every read"),
        pytest.param({"action": "error", "status": 403, "code": "AccessDenied"}, id="access denied"),
    ],
)
def test_sqs_batch_returns_only_the_message_whose_object_keeps_failing(s3, bucket, proxy, monkeypatch, context, fault):
    data = {f"raw/{name}.csv": export(500 + i) for i, name in enumerate(("a", "bad", "c"))}
    records = [
        sqs_record(f"m-{key}", key, s3.put_object(Bucket=BUCKET, Key=key, Body=body)["ETag"])
        for key, body in data.items()
    ]
    proxy.add("GET", rf"^/{BUCKET}/raw/bad\.csv", **fault)
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    app = runner.load_handler()  # its S3 client, created at import, goes through the proxy

    assert app.lambda_handler({"Records": records}, context) == {
        "batchItemFailures": [{"itemIdentifier": "m-raw/bad.csv"}]
    }

    assert keys_in(s3, BUCKET) == set(data) | {
        f"{p}/{n}.{e}" for n in "ac" for p, e in (("processed", "csv"), ("reports", "json"), ("reports", "html"))
    }
    for key in ("raw/a.csv", "raw/c.csv"):
        assert report_for(s3, bucket, key)["status"] == "processed"
    proxy.clear()
    assert app.lambda_handler({"Records": records[1:2]}, context) == {"batchItemFailures": []}  # SQS redelivers it
    assert report_for(s3, bucket, "raw/bad.csv")["rows"]["read"] == 501
