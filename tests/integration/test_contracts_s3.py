"""Contracts and schema drift through the real handler, over HTTP to the local S3 endpoint."""

from __future__ import annotations

import json

from csvlake.s3 import S3Store
from support import report_for


def s3_event(bucket: str, key: str) -> dict:
    return {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": bucket}, "object": {"key": key}},
            }
        ]
    }


def drop(s3, bucket: str, key: str, body: bytes, app, context) -> dict:
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    app.lambda_handler(s3_event(bucket, key), context)
    return report_for(s3, bucket, key)


def test_a_contract_in_the_bucket_is_enforced_and_an_edit_applies_to_the_next_file(s3, bucket, app, context):
    s3.put_object(
        Bucket=bucket, Key="contracts/orders.yaml", Body=b"fields:\n  - name: qty\n    type: integer\n    minimum: 1\n"
    )

    first = drop(s3, bucket, "raw/orders/1.csv", b"qty\n1\n0\n", app, context)
    assert first["status"] == "partial" and first["errors"][0]["rule"] == "minimum"
    rejected = s3.get_object(Bucket=bucket, Key="quarantine/orders/1.rejected.csv")["Body"].read().decode()
    assert rejected.splitlines()[1] == "0,3,qty: minimum: 0 is less than the minimum 1"

    # Unchanged: the warm function's copy is used (S3 answers 304 Not Modified to the conditional GET).
    assert drop(s3, bucket, "raw/orders/2.csv", b"qty\n0\n", app, context)["rows"]["rejected"] == 1

    s3.put_object(Bucket=bucket, Key="contracts/orders.yaml", Body=b"fields:\n  - name: qty\n    type: integer\n")
    edited = drop(s3, bucket, "raw/orders/3.csv", b"qty\n0\n", app, context)
    assert edited["status"] == "processed"
    assert edited["validation"]["contract"]["etag"] == s3.head_object(Bucket=bucket, Key="contracts/orders.yaml")[
        "ETag"
    ].strip('"')


def test_the_store_answers_a_conditional_read_of_an_unchanged_object_without_its_bytes(s3, bucket):
    s3.put_object(Bucket=bucket, Key="contracts/x.yaml", Body=b"columns: strict\n")
    store = S3Store(s3)
    data, etag = store.get(bucket, "contracts/x.yaml")

    assert data == b"columns: strict\n"
    assert store.get(bucket, "contracts/x.yaml", unless_etag=etag) == (None, etag)
    assert store.get(bucket, "contracts/missing.yaml") is None


def test_an_invalid_contract_in_the_bucket_rejects_the_file_with_the_contract_line(s3, bucket, app, context):
    s3.put_object(Bucket=bucket, Key="contracts/orders.yaml", Body=b"fields:\n  - name: qty\n    typo: integer\n")

    report = drop(s3, bucket, "raw/orders/1.csv", b"qty\n1\n", app, context)

    assert report["status"] == "rejected"
    assert report["reason"].startswith("invalid contract: contracts/orders.yaml line 3: unknown rule or setting 'typo'")
    assert s3.get_object(Bucket=bucket, Key="quarantine/orders/1.csv")["Body"].read() == b"qty\n1\n"


def test_drift_is_reported_against_the_last_file_and_a_redelivery_reports_the_same(s3, bucket, app, context):
    drop(s3, bucket, "raw/orders/1.csv", b"id,qty\n1,2\n", app, context)
    s3.put_object(Bucket=bucket, Key="raw/orders/2.csv", Body=b"id,qty,note\n1,2.5,x\n")
    event = s3_event(bucket, "raw/orders/2.csv")

    app.lambda_handler(event, context)
    first = report_for(s3, bucket, "raw/orders/2.csv")
    app.lambda_handler(event, context)
    again = report_for(s3, bucket, "raw/orders/2.csv")

    expected = {
        "added": ["note"],
        "missing": [],
        "type_changes": [{"column": "qty", "from": "integer", "to": "number"}],
    }
    assert {k: first["drift"][k] for k in expected} == expected
    assert first["drift"] == again["drift"] and first["drift"]["previous"]["key"] == "raw/orders/1.csv"
    state = json.loads(s3.get_object(Bucket=bucket, Key="reports/orders/_last_schema")["Body"].read())
    assert state["source"]["key"] == "raw/orders/2.csv" and state["previous"]["source"]["key"] == "raw/orders/1.csv"
