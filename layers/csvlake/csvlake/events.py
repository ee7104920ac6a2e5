"""Decode S3, SQS-wrapped and EventBridge notifications, and Lambda's destination records of them,
into references to objects."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.data_classes.s3_event import S3EventBridgeNotificationEvent

from .ports import ObjectRef


class EventError(ValueError):
    """The event is not one csvlake understands."""


def is_test_event(message: dict[str, Any]) -> bool:
    """S3 sends `s3:TestEvent` when a notification is configured; it names no object."""
    return message.get("Event") == "s3:TestEvent"


def _etag(value: str | None) -> str | None:
    return value.strip('"') if value else None


def object_refs(message: dict[str, Any]) -> list[ObjectRef]:
    """Objects created according to an S3 notification or an EventBridge `Object Created` event.

    SQS events are not handled here: each SQS record's body is one such message.
    """
    if is_test_event(message):
        return []
    if message.get("source") == "aws.s3":
        event = S3EventBridgeNotificationEvent(message)
        if event.detail_type != "Object Created":
            raise EventError(f"unsupported EventBridge detail-type {event.detail_type!r}")
        obj = event.detail.object
        return [
            ObjectRef(
                bucket=event.detail.bucket.name,
                key=obj.key,  # Powertools already applies unquote_plus here
                size=obj.size,
                etag=_etag(obj.etag),
                version_id=obj.get("version-id"),
                sequencer=obj.get("sequencer"),
            )
        ]
    if not isinstance(message.get("Records"), list):
        raise EventError("not an S3 notification, SQS event or EventBridge event")
    refs = []
    for record in S3Event(message).records:
        if record.event_source != "aws:s3":
            raise EventError(f"unsupported record source {record.event_source!r}")
        if not record.event_name.startswith("ObjectCreated:"):
            continue
        obj = record.s3.get_object
        refs.append(
            ObjectRef(
                bucket=record.s3.bucket.name,
                # Keys arrive URL-encoded (`+` for space, `%2F` from some emitters); unquote_plus handles both.
                key=unquote_plus(obj.key),
                size=obj.get("size"),
                etag=_etag(obj.etag),
                version_id=obj.version_id,
                sequencer=obj.get("sequencer"),
            )
        )
    return refs


def is_sqs_event(event: dict[str, Any]) -> bool:
    records = event.get("Records")
    return isinstance(records, list) and bool(records) and records[0].get("eventSource") == "aws:sqs"


def is_destination_record(message: dict[str, Any]) -> bool:
    """A record of a failed asynchronous invocation, as Lambda sends it to an on-failure destination:
    `{"version", "timestamp", "requestContext": {...}, "requestPayload": <the event>, ...}`."""
    return isinstance(message.get("requestContext"), dict) and "requestPayload" in message


def request_payload(record: dict[str, Any]) -> dict[str, Any]:
    """The event a destination record holds (Lambda keeps a JSON payload as JSON, not as a string)."""
    payload, what = record["requestPayload"], "destination record's requestPayload"
    return _json_object(payload, what) if isinstance(payload, str) else _object(payload, what)


def event_refs(event: dict[str, Any]) -> list[ObjectRef]:
    """Every object an event names, whatever its kind: S3, SQS of S3, EventBridge, or a Lambda
    destination record of any of them (the failure queue's records)."""
    if is_destination_record(event):
        return event_refs(request_payload(event))
    if is_sqs_event(event):
        return [ref for record in event["Records"] for ref in refs_from_body(record["body"])]
    return object_refs(event)


def refs_from_body(body: str) -> list[ObjectRef]:
    """Objects named by an SQS message body: an S3 or EventBridge notification, or a destination record."""
    return event_refs(parse_body(body))


def parse_body(body: str) -> dict[str, Any]:
    """An SQS message body as the JSON object it must be."""
    return _json_object(body, "SQS message body")


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EventError(f"{what} is not JSON: {exc}") from exc
    return _object(value, what)


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise EventError(f"{what} is not a JSON object")
    return value
