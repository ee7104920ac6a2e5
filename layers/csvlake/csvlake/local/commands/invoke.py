"""`csvlake invoke`: one event file through `lambda_handler`, against an endpoint, as `sam local invoke -e` would."""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

from ...config import Config
from ...errors import StoreError
from ...events import EventError, event_refs
from ...layout import skip_reason
from ...s3 import Problem, S3Error, S3Store, client
from .. import runner, show
from ..console import FAILED, CliError, command_parser
from .endpoint import stored_report

HELP = "run an event file through lambda_handler against an endpoint"
DESCRIPTION = """\
Call lambda_handler once with an event file, as `sam local invoke -e` does, against an
S3 endpoint (by default the one `csvlake serve` starts), then print the reports it wrote."""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = command_parser(subparsers, "invoke", help=HELP, description=DESCRIPTION)
    p.add_argument(
        "--event",
        required=True,
        help="event JSON (S3, SQS, EventBridge or a Lambda destination record), e.g. events/s3-put.json",
    )
    p.add_argument("--endpoint", default=f"http://127.0.0.1:{runner.DEFAULT_PORT}", help="S3 endpoint URL")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        event = json.loads(Path(args.event).read_bytes())
    except FileNotFoundError:
        raise CliError(f"--event {args.event}: no such file") from None
    except IsADirectoryError:
        raise CliError(f"--event {args.event}: is a folder, not an event JSON") from None
    except ValueError:
        raise CliError(f"--event {args.event}: not JSON") from None
    runner.use_endpoint(args.endpoint)
    handler = runner.load_handler()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="No application metrics to publish")  # as in endpoint.start
            result = handler.lambda_handler(event, runner.LambdaContext(aws_request_id="local-invoke"))
    except EventError as exc:
        raise CliError(f"--event {args.event}: {exc}") from None
    except StoreError as exc:
        unreachable = isinstance(exc, S3Error) and exc.problem is Problem.UNREACHABLE
        hint = f" (is `csvlake serve` running on {args.endpoint}?)" if unreachable else ""
        raise CliError(f"{exc}{hint}", FAILED) from None
    print(json.dumps(result, indent=2, ensure_ascii=False))
    config = Config.from_env()
    store = S3Store(client(args.endpoint))
    for ref in event_refs(event):
        report = None if skip_reason(ref.key, config) else stored_report(store, ref.bucket, ref.key, config)
        # After a superseded event, the report there belongs to the newer object: not this one's.
        if report and (not ref.etag or report["source"]["etag"] == ref.etag):
            print(show.summary(report))
    return 0
