"""The local default: a moto S3 endpoint on 127.0.0.1 whose bucket notifies an SQS queue, and a
loop that hands those notifications to the real `lambda_handler`, as Lambda's trigger would."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3

BUCKET = "csvlake-local"
QUEUE = "csvlake-notifications"
EVENT_BUS = "csvlake-local"
EVENTS_QUEUE = "csvlake-file-events"
REGION = "us-east-1"
DEFAULT_PORT = 4566
# The repository this package lies in: the handler and the demo's samples are there.
ROOT = Path(__file__).resolve().parents[4]
HANDLER = ROOT / "functions" / "ingest" / "app.py"


@dataclass
class LambdaContext:
    """The attributes Powertools reads from Lambda's context object."""

    function_name: str = "csvlake-local"
    memory_limit_in_mb: int = 3538
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:123456789012:function:csvlake-local"
    aws_request_id: str = ""

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


def use_endpoint(endpoint: str) -> None:
    """Point boto3 (and the handler about to be imported) at a local endpoint with dummy credentials."""
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }.items():
        os.environ.setdefault(name, value)


def load_handler(path: Path = HANDLER) -> ModuleType:
    """The Lambda function's module, imported from its file as the Lambda runtime would."""
    spec = importlib.util.spec_from_file_location("csvlake_function_app", path)
    assert spec and spec.loader, f"cannot load the handler from {path}"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def start_endpoint(port: int = 0):
    """A moto server on loopback; returns the server and its URL."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request drowns the output
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, bound = server.get_host_and_port()
    return server, f"http://{host}:{bound}"


def create_bucket(endpoint: str, bucket: str = BUCKET, raw_prefix: str = "raw/") -> str:
    """The bucket, a queue, and an S3 → SQS notification for objects created under the raw prefix."""
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=REGION)
    s3.create_bucket(Bucket=bucket)
    queue_url = sqs.create_queue(QueueName=QUEUE, Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": queue_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": raw_prefix}]}},
                }
            ]
        },
    )
    return queue_url


def create_event_bus(endpoint: str) -> str:
    """An EventBridge bus whose csvlake events land on a queue the local runner prints from.

    Sets EVENT_BUS_NAME, so the handler imported afterwards publishes to it, as it would on AWS.
    """
    events = boto3.client("events", endpoint_url=endpoint, region_name=REGION)
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=REGION)
    events.create_event_bus(Name=EVENT_BUS)
    queue_url = sqs.create_queue(QueueName=EVENTS_QUEUE)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="csvlake-files", EventBusName=EVENT_BUS, EventPattern=json.dumps({"source": ["csvlake"]}))
    events.put_targets(Rule="csvlake-files", EventBusName=EVENT_BUS, Targets=[{"Id": "queue", "Arn": queue_arn}])
    os.environ["EVENT_BUS_NAME"] = EVENT_BUS
    return queue_url


def file_events(endpoint: str, queue_url: str) -> list[dict[str, Any]]:
    """The csvlake events published since the last call."""
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=REGION)
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    for message in messages:
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return [json.loads(m["Body"]) for m in messages]


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """Received SQS messages in the shape Lambda's SQS trigger passes to a function."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            }
            for m in messages
        ]
    }


class NotificationLoop:
    """Receives bucket notifications from the queue and invokes the handler with them."""

    def __init__(self, endpoint: str, queue_url: str, handler: Callable[[dict, Any], dict]) -> None:
        self.sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=REGION)
        self.queue_url = queue_url
        self.queue_arn = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self.handler = handler

    def poll_once(self, wait_seconds: int = 1) -> list[dict[str, Any]]:
        """One receive → invoke → delete round; returns the bodies of the messages handled."""
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds
        ).get("Messages", [])
        if not messages:
            return []
        response = self.handler(sqs_event(messages, self.queue_arn), LambdaContext(aws_request_id=str(uuid.uuid4())))
        failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        return [json.loads(m["Body"]) for m in done]

    def run_until(self, done: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if done():
                return True
            self.poll_once()
        return done()
