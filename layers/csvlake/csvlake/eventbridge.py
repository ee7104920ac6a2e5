"""The EventBridge adapter: after each file, an event other automation can react to (boto3 only here)."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from .errors import StoreError
from .s3 import CLIENT_CONFIG

SOURCE = "csvlake"


class EventBridgePublisher:
    def __init__(self, bus_name: str, client=None) -> None:
        self.bus_name = bus_name
        self.client = client or boto3.client("events", config=CLIENT_CONFIG)

    def __call__(self, detail_type: str, detail: dict[str, Any]) -> None:
        entry = {
            "Source": SOURCE,
            "DetailType": detail_type,
            "Detail": json.dumps(detail),
            "EventBusName": self.bus_name,
        }
        try:
            response = self.client.put_events(Entries=[entry])
        except (ClientError, BotoCoreError) as exc:
            raise StoreError(f"publishing to EventBridge bus {self.bus_name}: {exc}") from exc
        if response.get("FailedEntryCount"):
            raise StoreError(f"publishing to EventBridge bus {self.bus_name}: {response['Entries']}")
