"""`csvlake replay` against the local endpoint: the failure queue's records, of every kind, re-submitted
through lambda_handler, and each deleted only once every object it names reached a terminal state."""

from __future__ import annotations

import copy
import io
import json
from dataclasses import dataclass

import boto3
import pytest
from faultproxy import FaultProxy

from csvlake.config import Config
from csvlake.local import cli, runner
from csvlake.local.commands import replay
from csvlake.s3 import S3Store
from support import ROOT, keys_in, report_for

QUEUE = "csvlake-failures"
CSV = b"id;valor\n1;2,5\n2;3,5\n"


def sample(name: str) -> dict:
    return json.loads((ROOT / "events" / name).read_text())


def s3_notification(bucket: str, key: str, etag: str | None) -> dict:
    event = sample("s3-put.json")
    obj = event["Records"][0]["s3"]["object"]
    event["Records"][0]["s3"]["bucket"]["name"] = bucket
    obj.update(key=key.replace(" ", "+"), size=len(CSV))
    obj.pop("eTag")
    if etag:
        obj["eTag"] = etag.strip('"')
    return event


def destination_record(event: dict) -> dict:
    """What Lambda sends the on-failure destination after the last retry (FACTS.md, 'Concurrency and replay')."""
    record = sample("lambda-destination-record.json")
    record["requestPayload"] = copy.deepcopy(event)
    return record


def sqs_wrapped(event: dict) -> dict:
    wrapped = sample("sqs-s3.json")
    wrapped["Records"][0]["body"] = json.dumps(event)
    return wrapped


def eventbridge(bucket: str, key: str, etag: str) -> dict:
    event = sample("eventbridge-object-created.json")
    event["detail"]["bucket"]["name"] = bucket
    event["detail"]["object"].update(key=key, size=len(CSV), etag=etag.strip('"'))
    return event


@dataclass
class Queue:
    sqs: object
    url: str

    def send(self, body: dict | str) -> str:
        text = body if isinstance(body, str) else json.dumps(body)
        return self.sqs.send_message(QueueUrl=self.url, MessageBody=text)["MessageId"]

    def visible(self) -> set[str]:
        """The ids of the messages a reader would receive now (left visible: VisibilityTimeout 0)."""
        found = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10, VisibilityTimeout=0)
        return {m["MessageId"] for m in found.get("Messages", [])}


@pytest.fixture
def queue(s3, bucket, endpoint, monkeypatch) -> Queue:
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)  # `replay --endpoint` sets it: restored afterwards
    monkeypatch.setenv("EVENT_BUS_NAME", "")
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=runner.REGION)
    return Queue(sqs, sqs.create_queue(QueueName=QUEUE)["QueueUrl"])


@pytest.fixture
def proxy(endpoint):
    proxy = FaultProxy(endpoint)
    yield proxy
    proxy.close()


def put(s3, bucket: str, key: str, body: bytes = CSV) -> str:
    return s3.put_object(Bucket=bucket, Key=key, Body=body)["ETag"].strip('"')


def test_replay_resubmits_every_kind_of_record_and_keeps_only_those_not_done(
    s3, bucket, queue, proxy, app, context, capsys
):
    # GIVEN files whose events failed, one of each kind of record, and records already settled
    ids = {}
    for key, record in {
        "raw/a.csv": destination_record,
        "raw/b c.csv": lambda e: e,
        "raw/sub/c.csv": sqs_wrapped,
    }.items():
        ids[key] = queue.send(record(s3_notification(bucket, key, put(s3, bucket, key))))
    ids["raw/d.csv"] = queue.send(eventbridge(bucket, "raw/d.csv", put(s3, bucket, "raw/d.csv")))
    gone = put(s3, bucket, "raw/gone.csv")
    s3.delete_object(Bucket=bucket, Key="raw/gone.csv")
    ids["gone"] = queue.send(destination_record(s3_notification(bucket, "raw/gone.csv", gone)))
    old = put(s3, bucket, "raw/old.csv")
    put(s3, bucket, "raw/old.csv", CSV + b"3;4,5\n")
    ids["old"] = queue.send(s3_notification(bucket, "raw/old.csv", old))
    done = s3_notification(bucket, "raw/done.csv", put(s3, bucket, "raw/done.csv"))
    app.lambda_handler(done, context)
    done_report = report_for(s3, bucket, "raw/done.csv")
    ids["done"] = queue.send(destination_record(done))
    ids["notes"] = queue.send(s3_notification(bucket, "raw/notes.txt", put(s3, bucket, "raw/notes.txt")))
    ids["test event"] = queue.send(json.loads(sample("sqs-s3-test-event.json")["Records"][0]["body"]))
    # AND one whose processed copy S3 refuses to store, and a body that is no event at all
    broken = queue.send(
        destination_record(s3_notification(bucket, "raw/broken.csv", put(s3, bucket, "raw/broken.csv")))
    )
    garbage = queue.send("hello")
    proxy.add("PUT", rf"^/{bucket}/processed/broken", "error", status=403, code="AccessDenied")

    # WHEN the queue is replayed through the handler, S3 and SQS reached through the proxy
    code = cli.main(["replay", "--queue", QUEUE, "--endpoint", proxy.url])

    # THEN only the record whose object is not done and the unreadable one stay, visible again
    out = capsys.readouterr().out
    assert code == 1, out
    assert queue.visible() == {broken, garbage}
    for key in ("raw/a.csv", "raw/b c.csv", "raw/sub/c.csv", "raw/d.csv"):
        assert report_for(s3, bucket, key)["status"] == "processed"
        assert f"s3://{bucket}/{key}: re-submitted, the function said processed; done (processed, report" in out
    assert f"s3://{bucket}/raw/gone.csv: done (the object no longer exists)" in out
    assert f"s3://{bucket}/raw/old.csv: done (overwritten since: its newer version has its own event)" in out
    assert "reports/old.json" not in keys_in(s3, bucket)
    assert report_for(s3, bucket, "raw/done.csv") == done_report  # not processed a second time
    assert f"s3://{bucket}/raw/notes.txt: done (a key the function skips" in out
    assert f"record {ids['test event']}: S3 test event\n  names no object\n  → deleted" in out
    assert f"record {ids['raw/a.csv']}: Lambda destination record, RetriesExhausted after 3 attempts: S3Error" in out
    assert f"record {broken}: Lambda destination record" in out
    (failed,) = [line for line in out.splitlines() if "raw/broken.csv" in line]
    assert failed.startswith(f"  s3://{bucket}/raw/broken.csv: re-submitted, the function failed: S3Error: ")
    assert "processed/broken.csv" in failed and "AccessDenied" in failed
    assert "not done (no report for this version of the object)\n  → kept in the queue" in out
    assert f"record {garbage}: not an event csvlake reads: SQS message body is not JSON" in out
    assert out.endswith(f"/{QUEUE}: 9 deleted, 2 kept; 5 objects re-submitted\n") and "\n11 records from " in out

    # WHEN S3 stores the file again and the queue is replayed a second time THEN its record goes too
    proxy.clear()
    assert cli.main(["replay", "--queue", queue.url, "--endpoint", proxy.url]) == 1
    assert queue.visible() == {garbage}
    assert report_for(s3, bucket, "raw/broken.csv")["status"] == "processed"
    assert capsys.readouterr().out.endswith(f"2 records from {queue.url}: 1 deleted, 1 kept; 1 object re-submitted\n")


def test_a_dry_run_lists_what_it_would_do_and_changes_nothing(s3, bucket, queue, endpoint, app, context, capsys):
    todo = queue.send(destination_record(s3_notification(bucket, "raw/a.csv", put(s3, bucket, "raw/a.csv"))))
    event = s3_notification(bucket, "raw/done.csv", put(s3, bucket, "raw/done.csv"))
    app.lambda_handler(event, context)
    before = {k: s3.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys_in(s3, bucket)}
    done = queue.send(sqs_wrapped(event))

    assert cli.main(["replay", "--queue", queue.url, "--endpoint", endpoint, "--dry-run"]) == 0

    out = capsys.readouterr().out
    assert f"record {todo}: Lambda destination record" in out
    assert f"s3://{bucket}/raw/a.csv: not done (no report for this version of the object): would re-submit" in out
    assert "  → would be deleted once its objects are done" in out
    assert f"record {done}: SQS event of 1 message\n  s3://{bucket}/raw/done.csv: done (processed, report" in out
    assert "  → would be deleted\n" in out
    assert out.endswith(f"dry run, nothing changed: 2 records in {queue.url}; 1 object would be re-submitted\n")
    assert queue.visible() == {todo, done}
    assert {k: s3.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys_in(s3, bucket)} == before


def test_a_record_of_an_old_version_in_a_versioned_bucket_is_done_and_the_current_one_is_processed(
    s3, bucket, queue, endpoint, capsys
):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket=bucket, Key="raw/v.csv", Body=CSV)
    second = s3.put_object(Bucket=bucket, Key="raw/v.csv", Body=CSV + b"3;4,5\n")
    for version in (first, second):
        event = s3_notification(bucket, "raw/v.csv", version["ETag"])
        event["Records"][0]["s3"]["object"]["versionId"] = version["VersionId"]
        queue.send(destination_record(event))

    assert cli.main(["replay", "--queue", QUEUE, "--endpoint", endpoint]) == 0

    assert queue.visible() == set()
    report = report_for(s3, bucket, "raw/v.csv")
    assert report["source"]["version_id"] == second["VersionId"] and report["rows"]["read"] == 3
    assert "overwritten since" in capsys.readouterr().out


class FakeLambda:
    """boto3's Lambda client as far as `replay --function` uses it: invoke runs lambda_handler here and
    answers as Lambda does (the result, or FunctionError with the error as the payload)."""

    def __init__(self, app, context) -> None:
        self.app, self.context, self.invoked = app, context, []

    def invoke(self, FunctionName: str, InvocationType: str, Payload: bytes) -> dict:
        self.invoked.append((FunctionName, InvocationType))
        try:
            result, error = self.app.lambda_handler(json.loads(Payload), self.context), None
        except Exception as exc:
            result, error = {"errorType": type(exc).__name__, "errorMessage": str(exc), "stackTrace": []}, "Unhandled"
        response = {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(result).encode())}
        return {**response, "FunctionError": error} if error else response


def test_with_a_deployed_function_each_object_is_invoked_synchronously(s3, bucket, queue, app, context, endpoint):
    ok = queue.send(destination_record(s3_notification(bucket, "raw/a.csv", put(s3, bucket, "raw/a.csv"))))
    # A bucket that does not exist: the function raises, and S3 cannot say whether the object is done.
    failing = queue.send(destination_record(s3_notification("no-such-bucket", "raw/x.csv", "0" * 32)))
    function = FakeLambda(app, context)
    out = io.StringIO()

    code = replay.Replay(
        queue.sqs, queue.url, S3Store(s3), Config(), replay.Deployed(function, "csvlake-ingest"), out=out
    ).run()

    assert code == 1
    assert function.invoked == [("csvlake-ingest", "RequestResponse")] * 2
    assert queue.visible() == {failing}
    assert report_for(s3, bucket, "raw/a.csv")["status"] == "processed"
    text = out.getvalue()
    assert f"record {ok}" in text and "raw/a.csv: re-submitted, the function said processed; done" in text
    assert "raw/x.csv: re-submitted, the function failed: S3Error: " in text and "S3 cannot say" in text


def test_the_queue_of_a_stack_is_found_by_its_output(s3, bucket, queue, endpoint, capsys):
    cloudformation = boto3.client("cloudformation", endpoint_url=endpoint, region_name=runner.REGION)
    template = {
        "Resources": {"FailureQueue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {"FailureQueueUrl": {"Value": {"Ref": "FailureQueue"}}},
    }
    cloudformation.create_stack(StackName="csvlake", TemplateBody=json.dumps(template))
    url = cloudformation.describe_stacks(StackName="csvlake")["Stacks"][0]["Outputs"][0]["OutputValue"]
    queue.sqs.send_message(QueueUrl=url, MessageBody=json.dumps(s3_notification(bucket, "raw/gone.csv", None)))

    assert cli.main(["replay", "--stack", "csvlake", "--endpoint", endpoint]) == 0

    assert capsys.readouterr().out.endswith(f"1 record from {url}: 1 deleted, 0 kept; 0 objects re-submitted\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--queue", "no-such-queue"], "--queue no-such-queue: no such queue"),
        (["--stack", "no-such-stack"], "--stack no-such-stack: no such stack"),
        (["--queue", QUEUE, "--function", "no-such-function"], "--function no-such-function: no such function"),
    ],
)
def test_no_such_queue_stack_or_function_is_a_usage_error(queue, endpoint, capsys, args, message):
    assert cli.main(["replay", *args, "--endpoint", endpoint]) == 2
    assert capsys.readouterr().err == f"csvlake: error: {message}\n"
