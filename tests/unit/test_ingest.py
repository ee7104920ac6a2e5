"""The handler's per-object glue: skip, process, log and emit metrics (EMF) with a dataset dimension."""

from __future__ import annotations

import io
import json
import logging

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from csvlake.ingest import Ingestor
from support import DATA


def test_each_file_emits_one_emf_document_with_its_dataset(lake, capsys, monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    ref = lake.drop("raw/vendas/2024/jan.csv", (DATA / "bad_rows.csv").read_bytes())

    (result,) = Ingestor(lake.store, lake.config, Logger(service="test"))([ref])

    assert result["status"] == "partial"
    documents = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    (emf,) = [d for d in documents if "CloudWatchMetrics" in d["_aws"]]
    (directive,) = emf["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "csvlake"
    assert directive["Dimensions"] == [["dataset", "service"]] or directive["Dimensions"] == [["service", "dataset"]]
    assert {m["Name"]: m["Unit"] for m in directive["Metrics"]} == {
        "FilesPartial": "Count",
        "RowsRead": "Count",
        "RowsRejected": "Count",
        "BytesRead": "Bytes",
        "ProcessingTime": "Milliseconds",
    }
    assert emf["dataset"] == "vendas" and emf["RowsRead"] == [5.0] and emf["RowsRejected"] == [2.0]
    assert isinstance(emf["_aws"]["Timestamp"], int)


def test_skipped_keys_are_logged_with_their_reason(lake):
    ref = lake.drop("processed/x.csv", b"a\n1\n")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(LambdaPowertoolsFormatter())
    logger = Logger(service="skipped-keys-test", level="INFO", logger_handler=handler)

    (result,) = Ingestor(lake.store, lake.config, logger)([ref])

    assert result["status"] == "skipped"
    (entry,) = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert (entry["key"], entry["dataset"], entry["bucket"]) == ("processed/x.csv", "_none", "lake")
    assert entry["reason"] == "key is not under the raw prefix 'raw/'"
