"""At-least-once delivery: duplicates change nothing, stale events never overwrite newer outputs."""

from __future__ import annotations

import json

from support import ROOT, keys_in, report_for


def put_event(bucket: str, key: str, etag: str, version_id: str | None = None) -> dict:
    event = json.loads((ROOT / "events" / "s3-put.json").read_text())
    obj = event["Records"][0]["s3"]["object"]
    event["Records"][0]["s3"]["bucket"]["name"] = bucket
    obj.update(key=key.replace(" ", "+"), eTag=etag.strip('"'))
    if version_id:
        obj["versionId"] = version_id
    return event


def outputs(s3, bucket: str) -> dict[str, bytes]:
    return {
        k: s3.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys_in(s3, bucket) if not k.startswith("raw/")
    }


def test_the_same_event_twice_gives_byte_identical_outputs(s3, bucket, app, context):
    etag = s3.put_object(Bucket=bucket, Key="raw/a b.csv", Body=b"id,v\n1,2\n1,2,3\n")["ETag"]
    event = put_event(bucket, "raw/a b.csv", etag)

    app.lambda_handler(event, context)
    first, first_report = outputs(s3, bucket), report_for(s3, bucket, "raw/a b.csv")
    app.lambda_handler(event, context)
    second_report = report_for(s3, bucket, "raw/a b.csv")

    assert {k: v for k, v in outputs(s3, bucket).items() if not k.startswith("reports/")} == {
        k: v for k, v in first.items() if not k.startswith("reports/")
    }
    for report in (first_report, second_report):
        report.pop("started_at"), report.pop("duration_ms")
    assert first_report == second_report
    assert second_report["rows"] == {"read": 2, "written": 1, "rejected": 1}


def test_a_stale_event_after_an_overwrite_is_superseded_and_writes_nothing(s3, bucket, app, context):
    old = s3.put_object(Bucket=bucket, Key="raw/a.csv", Body=b"id\n1\n")["ETag"]
    new = s3.put_object(Bucket=bucket, Key="raw/a.csv", Body=b"id\n1\n2\n")["ETag"]
    app.lambda_handler(put_event(bucket, "raw/a.csv", new), context)
    newer = outputs(s3, bucket)

    (result,) = app.lambda_handler(put_event(bucket, "raw/a.csv", old), context)["results"]

    assert result["status"] == "superseded"
    assert outputs(s3, bucket) == newer
    assert report_for(s3, bucket, "raw/a.csv")["rows"]["read"] == 2


def test_an_old_version_in_a_versioned_bucket_is_superseded(s3, bucket, app, context):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket=bucket, Key="raw/v.csv", Body=b"id\n1\n")
    second = s3.put_object(Bucket=bucket, Key="raw/v.csv", Body=b"id\n1\n2\n")

    (stale,) = app.lambda_handler(put_event(bucket, "raw/v.csv", first["ETag"], first["VersionId"]), context)["results"]
    (fresh,) = app.lambda_handler(put_event(bucket, "raw/v.csv", second["ETag"], second["VersionId"]), context)[
        "results"
    ]

    assert (stale["status"], fresh["status"]) == ("superseded", "processed")
    report = report_for(s3, bucket, "raw/v.csv")
    assert report["source"]["version_id"] == second["VersionId"]
    assert report["rows"]["read"] == 2
