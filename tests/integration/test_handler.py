"""The Lambda handler with the committed events, over HTTP to a local S3 endpoint."""

from __future__ import annotations

import csv
import io
import json

import pytest

from support import ROOT, keys_in, report_for

SAMPLES = ROOT / "samples"


def load(name: str) -> dict:
    return json.loads((ROOT / "events" / name).read_text())


def upload_sample(s3, bucket: str, name: str) -> str:
    key = f"raw/{name}"
    s3.put_object(Bucket=bucket, Key=key, Body=(SAMPLES / name).read_bytes())
    return key


def test_s3_put_event_processes_the_pt_br_export(s3, bucket, app, context):
    key = upload_sample(s3, bucket, "vendas 2024.csv")

    result = app.lambda_handler(load("s3-put.json"), context)

    assert result == {
        "results": [{"bucket": bucket, "key": key, "status": "processed", "report": "reports/vendas 2024.json"}]
    }
    report = report_for(s3, bucket, key)
    assert report["dialect"]["encoding"] == "cp1252" and report["rows"]["written"] == 40
    processed = s3.get_object(Bucket=bucket, Key="processed/vendas 2024.csv")["Body"].read().decode("utf-8")
    source = (SAMPLES / "vendas 2024.csv").read_bytes().decode("cp1252")
    out_rows = list(csv.DictReader(io.StringIO(processed)))
    in_rows = list(csv.DictReader(io.StringIO(source), delimiter=";"))
    for before, after in zip(in_rows, out_rows, strict=True):
        assert float(before["Preço Unitário"].replace(".", "").replace(",", ".")) == float(after["preco_unitario"])
        day, month, year = before["Data da Venda"].split("/")
        assert after["data_da_venda"] == f"{year}-{month}-{day}"
        assert after["cep"] == before["CEP"] and after["produto"] == before["Produto"]


def test_s3_put_event_for_a_file_of_a_dataset_with_a_contract(s3, bucket, app, context):
    s3.upload_file(str(SAMPLES / "contracts" / "clientes.yaml"), bucket, "contracts/clientes.yaml")
    key = upload_sample(s3, bucket, "clientes/cadastro_2024-06.csv")

    app.lambda_handler(load("s3-put-contract.json"), context)

    report = report_for(s3, bucket, key)
    assert report["status"] == "partial" and report["rows"] == {"read": 6, "written": 4, "rejected": 2}
    assert report["validation"]["contract"]["key"] == "contracts/clientes.yaml"
    assert [(e["line"], e["rule"]) for e in report["errors"]] == [
        (4, "min_length"),
        (4, "pattern"),
        (4, "type"),
        (4, "maximum"),
        (4, "enum"),
        (5, "unique"),
    ]


def test_s3_put_event_for_a_gzip_file(s3, bucket, app, context):
    key = upload_sample(s3, bucket, "pedidos.csv.gz")

    app.lambda_handler(load("s3-put-gz.json"), context)

    report = report_for(s3, bucket, key)
    assert report["status"] == "processed" and report["rows"]["written"] == 25
    assert "processed/pedidos.csv" in keys_in(s3, bucket)


def test_sqs_event_processes_the_file_and_reports_no_failures(s3, bucket, app, context):
    key = upload_sample(s3, bucket, "clientes_com_erros.csv")

    assert app.lambda_handler(load("sqs-s3.json"), context) == {"batchItemFailures": []}

    report = report_for(s3, bucket, key)
    assert report["status"] == "partial"
    assert [e["line"] for e in report["errors"]] == [4, 5]
    assert "quarantine/clientes_com_erros.rejected.csv" in keys_in(s3, bucket)


def test_a_lambda_destination_record_is_the_event_it_holds(s3, bucket, app, context):
    # The failure queue's records, handed back to the function (`csvlake invoke --event`, or a redrive).
    key = upload_sample(s3, bucket, "vendas 2024.csv")

    result = app.lambda_handler(load("lambda-destination-record.json"), context)

    assert result == app.lambda_handler(load("s3-put.json"), context)
    assert result["results"][0]["status"] == "processed"
    assert report_for(s3, bucket, key)["rows"]["written"] == 40


def test_an_sqs_message_holding_a_destination_record_is_processed(s3, bucket, app, context):
    key = upload_sample(s3, bucket, "vendas 2024.csv")
    event = load("sqs-s3.json")
    event["Records"][0]["body"] = json.dumps(load("lambda-destination-record.json"))

    assert app.lambda_handler(event, context) == {"batchItemFailures": []}
    assert report_for(s3, bucket, key)["status"] == "processed"


def test_sqs_test_event_is_skipped(s3, bucket, app, context):
    assert app.lambda_handler(load("sqs-s3-test-event.json"), context) == {"batchItemFailures": []}
    assert keys_in(s3, bucket) == set()


def test_eventbridge_event_for_a_workbook_named_csv_rejects_it_whole(s3, bucket, app, context):
    key = upload_sample(s3, bucket, "planilha.csv")

    app.lambda_handler(load("eventbridge-object-created.json"), context)

    report = report_for(s3, bucket, key)
    assert report["status"] == "rejected" and "ZIP archive" in report["reason"]
    quarantined = s3.get_object(Bucket=bucket, Key="quarantine/planilha.csv")["Body"].read()
    assert quarantined == (SAMPLES / "planilha.csv").read_bytes()
    assert keys_in(s3, bucket) == {key, "quarantine/planilha.csv", "reports/planilha.json", "reports/planilha.html"}


def test_only_the_failed_sqs_messages_are_returned(s3, bucket, app, context):
    key = upload_sample(s3, bucket, "clientes_com_erros.csv")
    event = load("sqs-s3.json")
    good = event["Records"][0]
    missing = json.loads(good["body"])
    missing["Records"][0]["s3"]["object"]["key"] = "raw/does-not-exist.csv"
    event["Records"] = [
        good,
        {**good, "messageId": "broken", "body": "this is not JSON"},
        {**good, "messageId": "missing", "body": json.dumps(missing)},
    ]

    result = app.lambda_handler(event, context)

    assert result == {"batchItemFailures": [{"itemIdentifier": "broken"}]}
    assert report_for(s3, bucket, key)["status"] == "partial"


def test_an_object_deleted_since_its_event_is_skipped_not_retried(s3, bucket, app, context):
    event = load("s3-put.json")

    (result,) = app.lambda_handler(event, context)["results"]

    assert result == {
        "bucket": bucket,
        "key": "raw/vendas 2024.csv",
        "status": "skipped",
        "reason": "object no longer exists",
    }
    assert keys_in(s3, bucket) == set()


@pytest.mark.parametrize("key", ["processed/vendas.csv", "reports/x.csv", "raw/notes.txt", "landing/a.csv"])
def test_objects_outside_raw_or_not_csv_are_skipped_without_output(s3, bucket, app, context, key):
    s3.put_object(Bucket=bucket, Key=key, Body=b"a,b\n1,2\n")
    event = load("s3-put.json")
    event["Records"][0]["s3"]["object"]["key"] = key

    (result,) = app.lambda_handler(event, context)["results"]

    assert result["status"] == "skipped" and result["reason"]
    assert keys_in(s3, bucket) == {key}
