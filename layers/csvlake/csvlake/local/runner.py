"""The local default: a moto S3 endpoint on 127.0.0.1 whose bucket notifies an SQS queue, and a
loop that hands those notifications to the real `lambda_handler`, as Lambda's trigger would."""

from __future__ import annotations

import errno
import importlib.util
import json
import logging
import os
import socket
import uuid
from collections import OrderedDict
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
# As for a Lambda SQS trigger (6x the function's 900 s timeout): a notification whose file is still being
# processed is never received a second time. The queue lives in this process: nothing waits on it after a crash.
VISIBILITY_TIMEOUT = 6 * 900
# Notifications remembered to drop moto's second notification of one object version (NotificationLoop).
REMEMBERED = 10_000
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
    }.items():
        os.environ.setdefault(name, value)
    outside_lambda()


def outside_lambda() -> None:
    """The handler's Powertools quiet outside Lambda: no X-Ray, no metrics on stdout, warnings only.
    boto3's own configuration (credentials, profile, region, endpoint) is left as it is."""
    for name, value in {
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


class PortUnavailable(OSError):
    """The endpoint cannot listen on the port asked for (in use, or not allowed)."""


def _check_port(port: int) -> None:
    """Fail in one clear line if 127.0.0.1:`port` cannot be listened on (werkzeug would print and hang)."""
    if not 0 <= port <= 65535:
        raise PortUnavailable(errno.EINVAL, f"port {port} is not a TCP port (0-65535)")
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        # As werkzeug's server binds: SO_REUSEADDR, so only a port really in use fails.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PortUnavailable(exc.errno, f"port {port} on 127.0.0.1 is in use by another program") from None
        raise PortUnavailable(exc.errno, f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from None
    finally:
        probe.close()


def start_endpoint(port: int = 0):
    """A moto server on loopback; returns the server and its URL. Raises PortUnavailable."""
    from moto.server import ThreadedMotoServer

    class Server(ThreadedMotoServer):
        failure: BaseException | None = None

        def _server_entry(self) -> None:
            # werkzeug calls sys.exit() in the server's thread when it cannot bind, and start() would
            # wait forever for it: the failure is handed to start() instead (a port taken since the check).
            try:
                super()._server_entry()
            except BaseException as exc:
                self.failure = exc
                self._server_ready_event.set()

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request drowns the output
    _check_port(port)
    server = Server(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    if server.failure is not None:
        raise PortUnavailable(errno.EADDRINUSE, f"port {port} on 127.0.0.1 is in use by another program")
    host, bound = server.get_host_and_port()
    return server, f"http://{host}:{bound}"


def create_bucket(endpoint: str, bucket: str = BUCKET, raw_prefix: str = "raw/") -> str:
    """The bucket, a queue, and an S3 → SQS notification for objects created under the raw prefix."""
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=REGION)
    s3.create_bucket(Bucket=bucket)
    queue_url = sqs.create_queue(QueueName=QUEUE, Attributes={"VisibilityTimeout": str(VISIBILITY_TIMEOUT)})["QueueUrl"]
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
    """Receives bucket notifications from the queue and invokes the handler with them, once per
    object version: moto's server notifies a multipart upload twice, as `ObjectCreated:Put` and as
    `ObjectCreated:CompleteMultipartUpload`, and Lambda on AWS would be invoked once."""

    def __init__(self, endpoint: str, queue_url: str, handler: Callable[[dict, Any], dict]) -> None:
        self.sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=REGION)
        self.queue_url = queue_url
        self.queue_arn = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self.handler = handler
        self.seen: OrderedDict[tuple, str] = OrderedDict()  # object version → the event name it came with

    def poll_once(self, wait_seconds: int = 1) -> list[dict[str, Any]]:
        """One receive → invoke → delete round; returns the bodies of the messages handled
        (duplicate notifications dropped from them)."""
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds
        ).get("Messages", [])
        if not messages:
            return []
        todo, duplicates, bodies = [], [], {}
        for message in messages:
            received = json.loads(message["Body"])
            body = bodies[message["MessageId"]] = self._first_notifications(received)
            if body is None:
                duplicates.append(message)
            else:
                todo.append(message if body is received else {**message, "Body": json.dumps(body)})
        failed: set[str] = set()
        if todo:
            context = LambdaContext(aws_request_id=str(uuid.uuid4()))
            response = self.handler(sqs_event(todo, self.queue_arn), context)
            failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
        done = [m for m in todo if m["MessageId"] not in failed]
        if done or duplicates:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done + duplicates)],
            )
        return [bodies[m["MessageId"]] for m in done]

    def _first_notifications(self, body: Any) -> Any:
        """The body without the records that repeat an object version already handled; None if none is left.

        A record repeats another when both name the same bucket, key, version id (or ETag) and
        sequencer. With a sequencer, S3 says they are one event. Without one (moto's server sends
        none), two uploads of the same bytes look alike, so only the other half of moto's pair
        (`Put` and `CompleteMultipartUpload`) is dropped: the same file uploaded again is processed again.
        """
        records = body.get("Records") if isinstance(body, dict) else None
        if not isinstance(records, list):
            return body  # a test event, or not S3's: the handler decides
        kept = []
        for record in records:
            try:
                name, s3 = record["eventName"], record["s3"]
                bucket, obj = s3["bucket"]["name"], s3["object"]
                version = (bucket, obj["key"], obj.get("versionId") or obj.get("eTag"), obj.get("sequencer"))
            except (KeyError, TypeError, AttributeError):
                kept.append(record)  # not an S3 record: the handler says what is wrong with it
                continue
            if not str(name).startswith("ObjectCreated:"):
                kept.append(record)
                continue
            sequencer = version[3]
            earlier = self.seen.get(version)
            if earlier is not None and (sequencer is not None or earlier != name):
                if sequencer is None:
                    del self.seen[version]  # the pair is complete
                continue
            self.seen[version] = name
            self.seen.move_to_end(version)
            if len(self.seen) > REMEMBERED:
                self.seen.popitem(last=False)
            kept.append(record)
        if len(kept) == len(records):
            return body
        return {**body, "Records": kept} if kept else None

    def run_until(self, done: Callable[[], bool], idle_rounds: int = 30) -> bool:
        """Poll until done(); give up only after `idle_rounds` receives in a row handled nothing
        (each waits up to a second for a notification). Bounded by the work left, not by a clock:
        a slow or loaded machine makes it slower, never makes it fail."""
        idle = 0
        while not done():
            if idle >= idle_rounds:
                return False
            idle = 0 if self.poll_once() else idle + 1
        return True
