"""Events become object references; keys decide what is processed and where outputs go."""

from __future__ import annotations

import json

import pytest

from csvlake.config import Config, ConfigError
from csvlake.events import EventError, event_refs, is_destination_record, is_sqs_event, object_refs, refs_from_body
from csvlake.layout import OutputKeys, skip_reason
from csvlake.names import output_names, snake_case
from support import ROOT


def event(name: str) -> dict:
    return json.loads((ROOT / "events" / name).read_text())


def test_s3_put_event_key_is_url_decoded():
    (ref,) = object_refs(event("s3-put.json"))
    assert ref.bucket == "csvlake-local"
    assert ref.key == "raw/vendas 2024.csv"
    assert ref.size == (ROOT / "samples" / "vendas 2024.csv").stat().st_size


def test_sqs_event_bodies_hold_s3_notifications_and_test_events_name_nothing():
    assert is_sqs_event(event("sqs-s3.json"))
    assert [r.key for r in event_refs(event("sqs-s3.json"))] == ["raw/clientes_com_erros.csv"]
    assert event_refs(event("sqs-s3-test-event.json")) == []


def test_eventbridge_object_created():
    (ref,) = object_refs(event("eventbridge-object-created.json"))
    assert (ref.bucket, ref.key) == ("csvlake-local", "raw/planilha.csv")
    assert ref.etag and ref.size


def test_a_lambda_destination_record_names_the_objects_of_its_request_payload():
    record = event("lambda-destination-record.json")
    assert is_destination_record(record) and not is_destination_record(event("s3-put.json"))

    assert event_refs(record) == object_refs(event("s3-put.json"))
    # As the body of a message on the failure queue, and with an EventBridge event or an SQS batch inside.
    assert refs_from_body(json.dumps(record)) == event_refs(record)
    for inner in ("eventbridge-object-created.json", "sqs-s3.json"):
        wrapped = {**record, "requestPayload": event(inner)}
        assert event_refs(wrapped) == event_refs(event(inner)) != []


def test_a_destination_record_whose_payload_is_not_an_event_is_an_error():
    record = event("lambda-destination-record.json")
    # A payload kept as a string of JSON is decoded; anything else is refused.
    assert event_refs({**record, "requestPayload": json.dumps(record["requestPayload"])}) == event_refs(record)
    for payload in ("not json", [1, 2], {"hello": "world"}):
        with pytest.raises(EventError):
            event_refs({**record, "requestPayload": payload})


@pytest.mark.parametrize(
    ("encoded", "key"),
    [
        ("raw/red+flower.csv", "raw/red flower.csv"),
        ("raw%2Fsub%2Fa%2Bb.csv", "raw/sub/a+b.csv"),
        ("raw/S%C3%A3o+Paulo.csv", "raw/São Paulo.csv"),
    ],
)
def test_keys_are_decoded_like_s3_encodes_them(encoded, key):
    body = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": "b"}, "object": {"key": encoded, "size": 1}},
            }
        ]
    }
    assert [r.key for r in refs_from_body(json.dumps(body))] == [key]


def test_deletions_are_ignored_and_unknown_events_are_errors():
    body = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectRemoved:Delete",
                "s3": {"bucket": {"name": "b"}, "object": {"key": "raw/a.csv"}},
            }
        ]
    }
    assert object_refs(body) == []
    with pytest.raises(EventError):
        refs_from_body("not json")
    with pytest.raises(EventError):
        object_refs({"hello": "world"})


@pytest.mark.parametrize(
    ("key", "skipped"),
    [
        ("raw/a.csv", False),
        ("raw/deep/folder/A.CSV", False),
        ("raw/a.csv.gz", False),
        ("raw/a.Csv.GZ", False),
        ("raw/a.txt", True),
        ("raw/a.csv.zip", True),
        ("processed/a.csv", True),
        ("reports/a.json", True),
        ("quarantine/a.rejected.csv", True),
        ("a.csv", True),
        ("raw/", True),
    ],
)
def test_only_csv_objects_under_the_raw_prefix_are_processed(key, skipped):
    assert (skip_reason(key, Config()) is not None) is skipped


def test_output_keys():
    keys = OutputKeys.for_key("raw/2024/Vendas Jan.CSV.gz", Config(output_format="parquet"))
    assert keys == OutputKeys(
        processed="processed/2024/Vendas Jan.parquet",
        report="reports/2024/Vendas Jan.json",
        report_html="reports/2024/Vendas Jan.html",
        rejected_rows="quarantine/2024/Vendas Jan.rejected.csv",
        quarantine="quarantine/2024/Vendas Jan.CSV.gz",
    )


def test_configuration_from_environment():
    config = Config.from_env({"RAW_PREFIX": "landing", "OUTPUT_FORMAT": "PARQUET", "OUTPUT_BUCKET": "curated"})
    assert (config.raw_prefix, config.output_format, config.output_bucket) == ("landing/", "parquet", "curated")
    with pytest.raises(ConfigError, match="OUTPUT_FORMAT"):
        Config.from_env({"OUTPUT_FORMAT": "xlsx"})
    with pytest.raises(ConfigError, match="nest"):
        Config.from_env({"RAW_PREFIX": "data/", "PROCESSED_PREFIX": "data/processed/"})


def test_column_names_become_unique_snake_case_ascii():
    assert snake_case("Preço Unitário") == "preco_unitario"
    assert snake_case("CustomerID") == "customer_id"
    assert snake_case("B01001_001E") == "b01001_001e" and snake_case("totalValue2") == "total_value2"
    assert [snake_case(n) for n in ("Größe (m²)", "Ünïcødé", "Łódź", "Æble")] == [
        "grosse_m2",
        "unicode",
        "lodz",
        "aeble",
    ]
    assert snake_case("% of total (R$)") == "of_total_r"
    names, warnings = output_names(["Preço", "preco", "", "Preço"])
    assert names == ["preco", "preco_2", "column_3", "preco_3"]
    assert len(warnings) == 3
