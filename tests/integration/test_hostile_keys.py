"""Keys that look like paths, are very long, or hold unicode and `+`: outputs stay under their prefixes."""

from __future__ import annotations

import json

import pytest

from support import ROOT, check_report, keys_in

OUTPUT_PREFIXES = ("processed/", "reports/", "quarantine/")


@pytest.mark.parametrize(
    "key",
    [
        "raw/../escape.csv",
        "raw/a/./b/../c.csv",
        "raw/" + "é" * 495 + ".csv",
        "raw/São Paulo + Rio/vendas (1) +2.CSV",
    ],
)
def test_hostile_keys(s3, bucket, app, context, key):
    s3.put_object(Bucket=bucket, Key=key, Body=b"a;b\n1;2,5\n")
    event = json.loads((ROOT / "events" / "s3-put.json").read_text())
    obj = event["Records"][0]["s3"]["object"]
    obj["key"], obj["eTag"] = key.replace("+", "%2B").replace(" ", "+"), None

    (result,) = app.lambda_handler(event, context)["results"]

    assert result["status"] == "processed"
    outputs = keys_in(s3, bucket) - {key}
    assert outputs and all(k.startswith(OUTPUT_PREFIXES) for k in outputs)
    report = check_report(json.loads(s3.get_object(Bucket=bucket, Key=result["report"])["Body"].read()))
    assert report["source"]["key"] == key
