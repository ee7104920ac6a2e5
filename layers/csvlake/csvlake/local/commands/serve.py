"""`csvlake serve`: the local S3 endpoint and the processing loop, until Ctrl-C."""

from __future__ import annotations

import argparse

from ...events import object_refs
from ...layout import skip_reason
from .. import runner, show
from ..console import command_parser
from .endpoint import port, print_events, start, stored_report, upload_hint

HELP = "run the local endpoint and the processing loop until Ctrl-C"
DESCRIPTION = f"""\
A local S3 endpoint (moto) with bucket {runner.BUCKET}; each object created under raw/ is
handed to lambda_handler through S3 → SQS notifications, and one line per file is printed
(once per object version: the local endpoint's second notification of a multipart upload is dropped)."""
EPILOG = """\
exit status:
  0  stopped with Ctrl-C
  2  usage error: a bad option, or the port is in use (choose another with --port)"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = command_parser(subparsers, "serve", help=HELP, description=DESCRIPTION, epilog=EPILOG)
    p.add_argument(
        "--port", type=port, default=runner.DEFAULT_PORT, help=f"endpoint port (default: {runner.DEFAULT_PORT})"
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    local = start(args.port)
    config = local.config
    print(
        f"local S3 endpoint {local.url}, bucket {runner.BUCKET}; drop files into s3://{runner.BUCKET}/{config.raw_prefix}"
    )
    print(upload_hint(local.url, config))
    print("Ctrl-C to stop.", flush=True)
    try:
        while True:
            for body in local.loop.poll_once(wait_seconds=5):
                for ref in object_refs(body):
                    if reason := skip_reason(ref.key, config):
                        print(f"skipped   {ref.key}  ({reason})", flush=True)
                        continue
                    report = stored_report(local.store, ref.bucket, ref.key, config)
                    print(show.one_line(report) if report else f"no report for {ref.key}", flush=True)
            print_events(local.url, local.events_queue)
    except KeyboardInterrupt:
        return 0
    finally:
        local.server.stop()
