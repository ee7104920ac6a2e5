"""After each file, an EventBridge event other jobs can react to: checked as it arrives on a queue."""

from __future__ import annotations

import json

import boto3
from aws_lambda_powertools import Logger

from csvlake.config import Config
from csvlake.eventbridge import EventBridgePublisher
from csvlake.ingest import Ingestor
from csvlake.local import runner
from csvlake.ports import ObjectRef
from csvlake.s3 import S3Store
from support import ROOT


def test_each_file_sends_a_csvlake_event_with_its_report_summary(s3, bucket, endpoint):
    events = boto3.client("events", endpoint_url=endpoint, region_name=runner.REGION)
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=runner.REGION)
    events.create_event_bus(Name="lake-bus")
    queue_url = sqs.create_queue(QueueName="file-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="all-csvlake", EventBusName="lake-bus", EventPattern=json.dumps({"source": ["csvlake"]}))
    events.put_targets(Rule="all-csvlake", EventBusName="lake-bus", Targets=[{"Id": "q", "Arn": queue_arn}])
    s3.put_object(
        Bucket=bucket, Key="raw/vendas/jan.csv", Body=(ROOT / "samples" / "clientes_com_erros.csv").read_bytes()
    )
    s3.put_object(Bucket=bucket, Key="raw/planilha.csv", Body=(ROOT / "samples" / "planilha.csv").read_bytes())
    ingest = Ingestor(
        S3Store(s3), Config(), Logger(service="events-test"), publish=EventBridgePublisher("lake-bus", events)
    )

    ingest([ObjectRef(bucket, "raw/vendas/jan.csv"), ObjectRef(bucket, "raw/planilha.csv")])

    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=2)["Messages"]
    received = sorted((json.loads(m["Body"]) for m in messages), key=lambda e: e["detail"]["source"]["key"])
    assert [(e["source"], e["detail-type"]) for e in received] == [
        ("csvlake", "File Rejected"),
        ("csvlake", "File Partial"),
    ]
    partial = received[1]["detail"]
    assert partial["dataset"] == "vendas" and partial["status"] == "partial"
    assert partial["rows"] == {"read": 7, "written": 5, "rejected": 2} and partial["error_count"] == 2
    assert partial["outputs"]["report"] == "reports/vendas/jan.json"
    assert {"name": "id", "type": "integer"} in partial["columns"]
    # The first file of its dataset, without a contract: nothing to compare its schema with.
    assert partial["contract"] is None and partial["drift"]["previous"] is None
    assert received[0]["detail"]["reason"].startswith("not a text file")
