"""What the commands on a local S3 endpoint share (demo, serve, invoke): starting one, its reports, its events."""

from __future__ import annotations

import argparse
import errno
import json
import warnings
from dataclasses import dataclass
from typing import Any

from ...config import Config
from ...layout import OutputKeys
from ...ports import ObjectStore
from ...s3 import S3Store, client
from .. import runner
from ..console import CliError


@dataclass(frozen=True)
class LocalEndpoint:
    server: Any  # moto's ThreadedMotoServer: stop() it when done
    url: str
    config: Config
    loop: runner.NotificationLoop
    store: S3Store
    events_queue: str


def start(port: int) -> LocalEndpoint:
    """A moto endpoint with the bucket, its notifications and the event bus, and the loop that hands them to the handler."""
    # Powertools warns after each invocation that recorded no metric (a skipped object): noise here.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    try:
        server, url = runner.start_endpoint(port)
    except runner.PortUnavailable as exc:
        hint = " (another `csvlake serve`?)" if exc.errno == errno.EADDRINUSE else ""
        raise CliError(f"{exc.strerror}{hint}: stop that program, or choose another port with --port") from None
    runner.use_endpoint(url)
    config = Config.from_env()
    queue_url = runner.create_bucket(url, runner.BUCKET, config.raw_prefix)
    events_queue = runner.create_event_bus(url)
    loop = runner.NotificationLoop(url, queue_url, runner.load_handler().lambda_handler)
    return LocalEndpoint(server, url, config, loop, S3Store(client(url)), events_queue)


def port(text: str) -> int:
    """--port's value: a TCP port, 0 for any free one."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a TCP port (0-65535)")
    return value


def stored_report(store: ObjectStore, bucket: str, key: str, config: Config) -> dict | None:
    """The report of the raw object `key`, None while it has none."""
    found = store.get(bucket, OutputKeys.for_key(key, config).report)
    return json.loads(found[0]) if found else None


def print_events(endpoint: str, queue_url: str) -> None:
    for event in runner.file_events(endpoint, queue_url):
        detail = event["detail"]
        print(
            f"event     {event['detail-type']}: {detail['source']['key']} → {detail['outputs']['report']}", flush=True
        )


def upload_hint(endpoint: str, config: Config) -> str:
    # The local endpoint accepts any credentials, but the AWS CLI refuses to run without some.
    return (
        f"  AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION={runner.REGION} "
        f".venv/bin/aws --endpoint-url {endpoint} s3 cp my.csv s3://{runner.BUCKET}/{config.raw_prefix}"
    )
