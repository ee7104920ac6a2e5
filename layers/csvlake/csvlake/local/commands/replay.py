"""`csvlake replay`: the failure queue's records re-submitted through the function, each record
deleted once every object it names has reached a terminal state."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import sys
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO
from urllib.parse import quote_plus

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from ...config import Config, ConfigError
from ...errors import ObjectGone, StoreError, Superseded
from ...events import EventError, event_refs, is_destination_record, is_sqs_event, is_test_event, parse_body
from ...layout import OutputKeys, skip_reason
from ...ports import ObjectRef, ObjectStore
from ...s3 import S3Store, client
from .. import runner, show
from ..console import FAILED, USAGE, CliError, command_parser, library_logs

HELP = "re-submit the failure queue's records; delete each once its objects are done"
DESCRIPTION = """\
Read the failure queue and re-submit every object its records name through the function's
normal path: lambda_handler run in this process, against S3 as boto3 is configured
(AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL…) or --endpoint; or, with --function, the
deployed function itself, invoked synchronously. A record is a Lambda on-failure destination
record (its requestPayload is the event the function failed on), or an S3, SQS-wrapped or
EventBridge notification.

A record is deleted only when every object it names is done: a report exists for that
version of the object (processed, partial or rejected), or the object is gone, or it was
overwritten since (the newer version has its own event). An object already done is not
re-submitted (unless --force). Records not done stay in the queue, visible again when the
run ends. --dry-run reads the queue and S3, says what it would do, and changes nothing.

The prefixes and the output bucket are the function's (read from its configuration) with
--function or --stack, else RAW_PREFIX, REPORTS_PREFIX… from the environment."""
EPILOG = """\
exit status:
  0  every record read was done and deleted (with --dry-run: every record was read and listed)
  1  a record stays in the queue (an object not done, a body that is not an event), or SQS,
     S3 or Lambda failed
  2  usage error: a bad option, no such queue, stack or function, no AWS region

examples:
  csvlake replay --stack csvlake --dry-run
  csvlake replay --stack csvlake --function csvlake-IngestFunction-AbCdEf012345
  csvlake replay --queue https://sqs.eu-west-1.amazonaws.com/123456789012/csvlake-FailureQueue-Xyz
  csvlake replay --queue csvlake-failures --endpoint http://127.0.0.1:4566"""

STATUSES = ("processed", "partial", "rejected")
# A record being replayed stays hidden from other readers for longer than one invocation can last (900 s);
# it is hidden again before each of its objects is re-submitted.
VISIBILITY = 960
# While --dry-run lists the queue: long enough not to receive a record twice, short if the run is killed.
LISTING_VISIBILITY = 300
# One synchronous invocation may last 900 s; never retried by botocore, which would run the file twice.
INVOKE = BotoConfig(connect_timeout=10, read_timeout=910, retries={"total_max_attempts": 1})
NO_QUEUE = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")
CONFIG_VARIABLES = (
    "RAW_PREFIX",
    "PROCESSED_PREFIX",
    "REPORTS_PREFIX",
    "QUARANTINE_PREFIX",
    "CONTRACTS_PREFIX",
    "OUTPUT_FORMAT",
    "OUTPUT_BUCKET",
    "EVENT_BUS_NAME",
)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = command_parser(subparsers, "replay", help=HELP, description=DESCRIPTION, epilog=EPILOG)
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--queue", metavar="URL|NAME", help="the failure queue: its URL, or its name")
    where.add_argument("--stack", metavar="NAME", help="the stack whose FailureQueueUrl output names the queue")
    p.add_argument(
        "--function",
        metavar="NAME|ARN",
        help="invoke this deployed function with each object's event, instead of lambda_handler in this process",
    )
    p.add_argument("--endpoint", metavar="URL", help="AWS endpoint URL, e.g. the one of `csvlake serve`")
    p.add_argument("--dry-run", action="store_true", help="say what would be done; change nothing")
    p.add_argument("--force", action="store_true", help="re-submit objects already done too (to publish again)")
    p.add_argument("--max-records", type=_positive, metavar="N", help="stop after N records (default: all)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.endpoint:
        runner.use_endpoint(args.endpoint)
    runner.outside_lambda()
    with _aws_errors("AWS"):
        session = boto3.session.Session()
        cloudformation = session.client("cloudformation", endpoint_url=args.endpoint) if args.stack else None
        stack = _stack_outputs(cloudformation, args.stack) if cloudformation else {}
        queue = stack.get("FailureQueueUrl") if args.stack else args.queue
        if not queue:
            raise CliError(f"--stack {args.stack}: the stack has no FailureQueueUrl output")
        sqs = session.client("sqs", endpoint_url=args.endpoint, region_name=_region_of(queue))
        queue_url = _queue_url(sqs, queue)
        function = args.function or stack.get("IngestFunctionArn")
        lambda_client = session.client("lambda", endpoint_url=args.endpoint, config=INVOKE) if function else None
        config = _config(lambda_client, function, explicit=bool(args.function))
    submit = Deployed(lambda_client, args.function) if args.function else InProcess()
    try:
        store = S3Store(client(args.endpoint))
    except StoreError as exc:
        raise CliError(str(exc), FAILED) from None
    replay = Replay(
        sqs,
        queue_url,
        store,
        config,
        submit,
        dry_run=args.dry_run,
        force=args.force,
        limit=args.max_records,
    )
    with _aws_errors(queue_url):
        return replay.run()


@dataclass(frozen=True)
class Settled:
    """Whether an object has reached a terminal state, and why (or why not)."""

    done: bool
    why: str


def settled(store: ObjectStore, ref: ObjectRef, config: Config) -> Settled:
    """Terminal: a report exists for this version of the object (processed, partial or rejected), the
    object is gone, or it was overwritten since (the newer version has its own event to be processed by).
    A key the function skips (not a CSV file under the raw prefix) is terminal too: it never gets a report.

    Raises StoreError when S3 cannot say.
    """
    if reason := skip_reason(ref.key, config):
        return Settled(True, f"a key the function skips: {reason}")
    bucket = config.output_bucket or ref.bucket
    report_key = OutputKeys.for_key(ref.key, config).report
    report = _report(store, bucket, report_key)
    if report is not None and _same_version(report, ref):
        return Settled(True, f"{report['status']}, report {show.s3_url(bucket, report_key)}")
    try:
        # Only to learn which version is the latest: the body is left unread.
        _, current = store.open(ref)
    except ObjectGone:
        return Settled(True, "the object no longer exists")
    except Superseded:
        return Settled(True, "overwritten since: its newer version has its own event")
    if report is not None and _same_version(report, current):
        return Settled(True, f"{report['status']}, report {show.s3_url(bucket, report_key)}")
    return Settled(False, "no report for this version of the object")


def _report(store: ObjectStore, bucket: str, key: str) -> dict | None:
    """The report at `key` if there is a readable one."""
    found = store.get(bucket, key)
    if found is None or found[0] is None:
        return None
    try:
        report = json.loads(found[0])
    except ValueError:
        return None  # half a report, or not one: it says nothing about the file
    ok = isinstance(report, dict) and isinstance(report.get("source"), dict) and report.get("status") in STATUSES
    return report if ok else None


def _same_version(report: dict, ref: ObjectRef) -> bool:
    source = report["source"]
    if ref.version_id:
        return source.get("version_id") == ref.version_id
    return bool(ref.etag) and source.get("etag") == ref.etag


def s3_event(ref: ObjectRef) -> dict[str, Any]:
    """The S3 notification of one object, as S3 sends it (the key URL-encoded), naming the same version:
    the function processes that version, or finds that it was superseded."""
    obj: dict[str, Any] = {"key": quote_plus(ref.key, safe="/")}
    for name, value in (("size", ref.size), ("eTag", ref.etag), ("versionId", ref.version_id)):
        if value is not None:
            obj[name] = value
    if ref.sequencer:
        obj["sequencer"] = ref.sequencer
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "csvlake-replay",
                    "bucket": {"name": ref.bucket, "arn": f"arn:aws:s3:::{ref.bucket}"},
                    "object": obj,
                },
            }
        ]
    }


class FunctionFailed(Exception):
    """The function raised, or answered something that is not its result."""


class InProcess:
    """lambda_handler of functions/ingest/app.py, imported (once, when first needed) and run in this
    process, as `csvlake invoke` runs it."""

    def __init__(self) -> None:
        self._handler: Callable[[dict, Any], dict] | None = None

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        if self._handler is None:
            self._handler = runner.load_handler().lambda_handler
        context = runner.LambdaContext(aws_request_id=f"replay-{uuid.uuid4()}")
        # The Tracer logs the traceback of what the handler raises: the one line replay prints says it.
        tracer = logging.getLogger("aws_lambda_powertools.tracing.tracer")
        saved, tracer.disabled = tracer.disabled, True
        try:
            with warnings.catch_warnings(), library_logs():
                warnings.filterwarnings("ignore", message="No application metrics to publish")
                return self._handler(event, context)["results"][0]
        except Exception as exc:  # whatever the function raised, Lambda would have recorded and retried
            raise FunctionFailed(f"{type(exc).__name__}: {exc}") from exc
        finally:
            tracer.disabled = saved


@dataclass
class Deployed:
    """The deployed function, invoked synchronously (RequestResponse) with the event."""

    client: Any  # boto3's Lambda client
    function: str

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self.client.invoke(
                FunctionName=self.function, InvocationType="RequestResponse", Payload=json.dumps(event).encode()
            )
            raw = response["Payload"].read()
        except (ClientError, BotoCoreError) as exc:
            raise FunctionFailed(f"could not invoke {self.function}: {exc}") from exc
        try:
            payload = json.loads(raw or b"null")
        except ValueError:
            payload = None
        if response.get("FunctionError"):
            error = payload if isinstance(payload, dict) else {}
            raise FunctionFailed(f"{error.get('errorType', 'error')}: {error.get('errorMessage', raw[:200])}")
        try:
            return payload["results"][0]
        except (TypeError, KeyError, IndexError):
            raise FunctionFailed(f"not the function's result: {raw[:200]!r}") from None


def describe(body: dict[str, Any]) -> str:
    """What a record is, in a line: a destination record says why Lambda gave up."""
    if is_destination_record(body):
        context = body["requestContext"]
        text = (
            f"Lambda destination record, {context.get('condition', 'failed')} after "
            f"{context.get('approximateInvokeCount', '?')} attempts"
        )
        error = body.get("responsePayload")
        if isinstance(error, dict) and error.get("errorMessage"):
            message = str(error["errorMessage"]).splitlines()[0]
            text += f": {error.get('errorType', 'error')}: {message}"
        return text if len(text) <= 300 else text[:299] + "…"
    if is_test_event(body):
        return "S3 test event"
    if is_sqs_event(body):
        return f"SQS event of {_count(len(body['Records']), 'message')}"
    if body.get("source") == "aws.s3":
        return f"EventBridge {body.get('detail-type', '')} event".replace("  ", " ")
    return "S3 notification"


@dataclass
class _Outcome:
    """What became of one record: whether it could be read, whether it is deleted, and what --dry-run says."""

    readable: bool = True
    delete: bool = False
    resubmitted: int = 0
    would: str = ""


@dataclass
class Replay:
    """One pass over the queue: each record received once, replayed, then deleted or left for later."""

    sqs: Any  # boto3's SQS client
    queue_url: str
    store: ObjectStore
    config: Config
    submit: Callable[[dict[str, Any]], dict[str, Any]]
    dry_run: bool = False
    force: bool = False
    limit: int | None = None
    out: TextIO | None = None  # None: sys.stdout, as it is when a line is printed
    _kept: dict[str, str] = field(default_factory=dict, init=False)  # message id → its latest receipt handle

    def run(self) -> int:
        """Exit status: 0 when every record read was deleted (--dry-run: was read), else 1."""
        self._kept.clear()
        seen: set[str] = set()
        deleted = resubmitted = unreadable = 0
        try:
            for message in self._messages(seen):
                outcome = self._record(message)
                resubmitted += outcome.resubmitted
                unreadable += not outcome.readable
                if outcome.delete and not self.dry_run:
                    self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
                    deleted += 1
                    self._say("  → deleted")
                else:
                    self._kept[message["MessageId"]] = message["ReceiptHandle"]
                    if self.dry_run:
                        self._say("  → would be deleted" if outcome.delete else outcome.would)
                    else:
                        self._say("  → kept in the queue")
        finally:
            self._release()
        return self._summary(len(seen), deleted, resubmitted, unreadable)

    def _messages(self, seen: set[str]) -> Iterator[dict[str, Any]]:
        """Each record once, until a receive finds none left (or --max-records)."""
        while self.limit is None or len(seen) < self.limit:
            wanted = 10 if self.dry_run else 1  # one at a time: a record is hidden only while it is replayed
            if self.limit is not None:
                wanted = min(wanted, self.limit - len(seen))
            messages = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=wanted,
                WaitTimeSeconds=1,
                VisibilityTimeout=LISTING_VISIBILITY if self.dry_run else VISIBILITY,
            ).get("Messages", [])
            if not messages:
                return
            for message in messages:
                if message["MessageId"] in seen:
                    # Visible again after a long run: left for the next one, with the handle that hides it now.
                    self._kept[message["MessageId"]] = message["ReceiptHandle"]
                    continue
                seen.add(message["MessageId"])
                yield message

    def _record(self, message: dict[str, Any]) -> _Outcome:
        outcome = _Outcome()
        try:
            body = parse_body(message["Body"])
            refs = event_refs(body)
        except EventError as exc:
            self._say(f"record {message['MessageId']}: not an event csvlake reads: {exc}")
            outcome.readable = False
            outcome.would = "  → would stay in the queue"
            return outcome
        self._say(f"record {message['MessageId']}: {describe(body)}")
        if not refs:
            self._say("  names no object")
        done = True
        for ref in refs:
            where = show.s3_url(ref.bucket, ref.key)
            before = self._settled(ref)
            if before.done and not self.force:
                self._say(f"  {where}: done ({before.why})")
                continue
            if self.dry_run:
                self._say(f"  {where}: {'done' if before.done else 'not done'} ({before.why}): would re-submit")
                outcome.resubmitted += 1
                done = False
                continue
            self._hide(message)
            try:
                result = self.submit(s3_event(ref))
                said = f"the function said {result.get('status')}" + (
                    f" ({result['reason']})" if result.get("reason") else ""
                )
            except FunctionFailed as exc:
                said = f"the function failed: {exc}"
            outcome.resubmitted += 1
            after = self._settled(ref)
            self._say(f"  {where}: re-submitted, {said}; {'done' if after.done else 'not done'} ({after.why})")
            done = done and after.done
        outcome.delete = done
        outcome.would = "  → would be deleted once its objects are done"
        return outcome

    def _settled(self, ref: ObjectRef) -> Settled:
        try:
            return settled(self.store, ref, self.config)
        except StoreError as exc:
            return Settled(False, f"S3 cannot say: {exc}")

    def _hide(self, message: dict[str, Any]) -> None:
        """A fresh VISIBILITY for the record before each of its objects runs."""
        with contextlib.suppress(ClientError, BotoCoreError):  # it then shows again a bit early: harmless
            self.sqs.change_message_visibility(
                QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=VISIBILITY
            )

    def _release(self) -> None:
        """The records left in the queue visible again now, for the alarm and the next replay."""
        handles = list(self._kept.values())
        for start in range(0, len(handles), 10):
            entries = [
                {"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                for i, handle in enumerate(handles[start : start + 10])
            ]
            with contextlib.suppress(ClientError, BotoCoreError):  # they show again when their timeout ends
                self.sqs.change_message_visibility_batch(QueueUrl=self.queue_url, Entries=entries)

    def _summary(self, records: int, deleted: int, resubmitted: int, unreadable: int) -> int:
        if not records:
            self._say(f"no records in {self.queue_url}")
            return 0
        objects = _count(resubmitted, "object")
        if self.dry_run:
            self._say(
                f"dry run, nothing changed: {_count(records, 'record')} in {self.queue_url}; "
                f"{objects} would be re-submitted"
                + (f"; {_count(unreadable, 'record')} not events would stay" if unreadable else "")
            )
            return FAILED if unreadable else 0
        kept = records - deleted
        self._say(
            f"{_count(records, 'record')} from {self.queue_url}: {deleted} deleted, {kept} kept; {objects} re-submitted"
        )
        return FAILED if kept else 0

    def _say(self, line: str) -> None:
        print(line, file=self.out or sys.stdout, flush=True)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _region_of(queue: str) -> str | None:
    """The region in an SQS URL (https://sqs.REGION.amazonaws.com/…), so a URL works without a configured region."""
    found = re.match(r"https://sqs\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?/", queue)
    return found.group(1) if found else None


def _queue_url(sqs: Any, queue: str) -> str:
    """The queue's URL, from its URL (checked) or its name."""
    try:
        if queue.startswith(("https://", "http://")):
            sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
            return queue
        return sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in NO_QUEUE:
            raise CliError(f"--queue {queue}: no such queue") from None
        raise


def _stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    try:
        found = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as exc:
        if "does not exist" in str(exc):
            raise CliError(f"--stack {stack}: no such stack") from None
        raise
    return {o["OutputKey"]: o["OutputValue"] for o in found[0].get("Outputs", [])}


def _config(lambda_client: Any, function: str | None, explicit: bool) -> Config:
    """The function's own configuration when it is known, so that replay looks for the reports where the
    function writes them; else the environment's. The in-process handler is given the same."""
    variables: dict[str, str] = {}
    if lambda_client is not None and function:
        try:
            found = lambda_client.get_function_configuration(FunctionName=function)
            variables = found.get("Environment", {}).get("Variables", {})
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code == "ResourceNotFoundException" and explicit:
                raise CliError(f"--function {function}: no such function") from None
            print(
                f"csvlake: note: cannot read the configuration of {function} ({code}): "
                "prefixes and output bucket from the environment",
                file=sys.stderr,
            )
    for name in CONFIG_VARIABLES:
        if name in variables:
            os.environ[name] = variables[name]
    try:
        return Config.from_env()
    except ConfigError as exc:
        raise CliError(str(exc)) from None


@contextlib.contextmanager
def _aws_errors(where: str) -> Iterator[None]:
    """botocore's failures (outside S3, which S3Store words) as one line: configuration exits 2, AWS's 1."""
    try:
        yield
    except NoRegionError:
        raise CliError("no AWS region: set AWS_REGION, or give the queue's URL", USAGE) from None
    except NoCredentialsError:
        raise CliError(
            "no AWS credentials found: run `aws configure`, or set AWS_PROFILE, "
            "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
            FAILED,
        ) from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise CliError(f"{where}: {error.get('Code', '')}: {error.get('Message', exc)}", FAILED) from None
    except BotoCoreError as exc:
        raise CliError(f"{where}: {exc}", FAILED) from None
