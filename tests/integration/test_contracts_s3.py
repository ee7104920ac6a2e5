"""Contracts and schema drift through the real handler, over HTTP to the local S3 endpoint."""

from __future__ import annotations

import json

import pytest

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


@pytest.mark.parametrize(
    ("rule", "body", "read"),
    [
        ("min_rows: 5\n", b"n\n1\n2\n", 2),
        ("primary_key: [n]\n", b"n\n1\n2\n1\n", 3),
    ],
)
def test_a_file_rejected_by_a_file_rule_reports_the_rows_it_read_all_rejected(
    s3, bucket, app, context, rule, body, read
):
    # GIVEN a dataset contract with a rule about the whole file, and a file that breaks it
    s3.put_object(Bucket=bucket, Key="contracts/orders.yaml", Body=rule.encode())

    report = drop(s3, bucket, "raw/orders/a.csv", body, app, context)

    # THEN every row read is counted, as rejected, since none was written: read == written + rejected
    assert report["status"] == "rejected"
    assert report["rows"] == {"read": read, "written": 0, "rejected": read}
    assert "processed/orders/a.csv" not in {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}


def test_the_max_rejected_fraction_reason_and_the_row_counts_agree(s3, bucket, app, context):
    rule = b"max_rejected_fraction: 0.2\nfields:\n  - name: n\n    type: integer\n"
    s3.put_object(Bucket=bucket, Key="contracts/orders.yaml", Body=rule)

    report = drop(s3, bucket, "raw/orders/b.csv", b"n\n1\nx\ny\n4\nz\n6\n7\n8\n9\n10\n", app, context)

    assert report["reason"].startswith("contract: 3 of 10 rows rejected (30.0%), above 20.0%")
    assert report["rows"] == {"read": 10, "written": 0, "rejected": 10}


def test_a_file_refused_before_its_rows_are_read_reports_none(s3, bucket, app, context):
    report = drop(s3, bucket, "raw/empty.csv", b"", app, context)

    assert report["status"] == "rejected" and report["rows"] == {"read": 0, "written": 0, "rejected": 0}
