"""`csvlake demo`: a local S3 endpoint, the bundled samples processed there, their reports printed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ...s3 import S3Store
from .. import runner, show
from ..console import command_parser
from .endpoint import port, print_events, start, stored_report, upload_hint

SAMPLES = runner.ROOT / "samples"
HELP = "start a local endpoint, process the bundled samples, print their reports"
DESCRIPTION = """\
Start a local S3 endpoint, upload the samples to raw/ (subfolders are datasets) and
contracts/*.yaml to contracts/, let the processing loop handle
their notifications, print the reports, and copy every output to --out."""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = command_parser(subparsers, "demo", help=HELP, description=DESCRIPTION)
    p.add_argument("--port", type=port, default=0, help="endpoint port (default: any free port)")
    p.add_argument(
        "--samples", default=str(SAMPLES), help="folder of files to upload to raw/ (and contracts/*.yaml to contracts/)"
    )
    p.add_argument("--out", default="demo-output", help="folder to copy all outputs into")
    p.add_argument(
        "--timeout",
        type=int,
        default=120,
        help="give up after this many seconds in a row with no notification handled (default: 120)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    local = start(args.port)
    config, store = local.config, local.store
    try:
        samples = Path(args.samples)
        # Contracts first, so that the files of their datasets are checked against them.
        for path in sorted(samples.glob("contracts/*.yaml")):
            key = f"{config.contracts_prefix}{path.name}"
            store.upload(path, runner.BUCKET, key)
            print(f"uploaded {path.relative_to(samples)} → s3://{runner.BUCKET}/{key}")
        keys = []
        for path in sorted(p for p in samples.rglob("*") if p.is_file() and p.parent.name != "contracts"):
            key = f"{config.raw_prefix}{path.relative_to(samples).as_posix()}"
            store.upload(path, runner.BUCKET, key)
            keys.append(key)
            print(f"uploaded {path.relative_to(samples)} → s3://{runner.BUCKET}/{key}")
        print(f"\nwaiting for csvlake to process {len(keys)} files (S3 → SQS → lambda_handler)…\n")
        # Each idle round waits up to a second for a notification: --timeout idle seconds, however
        # long the files themselves take on a slow machine.
        if not local.loop.run_until(
            lambda: all(stored_report(store, runner.BUCKET, k, config) for k in keys), args.timeout
        ):
            missing = [k for k in keys if not stored_report(store, runner.BUCKET, k, config)]
            print(f"no report for: {', '.join(missing)} ({args.timeout} s without progress)", file=sys.stderr)
            return 1
        for key in keys:
            print(show.summary(stored_report(store, runner.BUCKET, key, config)) + "\n")
        print(f"EventBridge events on the local bus {runner.EVENT_BUS} (source csvlake), for downstream jobs:")
        print_events(local.url, local.events_queue)
        print()
        _download(store, Path(args.out))
        print(f"All outputs were copied to {args.out}/ (processed/, reports/, quarantine/).")
        print("To drop your own file: run `make serve`, then in another terminal:")
        print(upload_hint(f"http://127.0.0.1:{runner.DEFAULT_PORT}", config))
        print("Or without an endpoint: .venv/bin/csvlake process my.csv")
        return 0
    finally:
        local.server.stop()


def _download(store: S3Store, out: Path) -> None:
    for key in store.keys(runner.BUCKET):
        target = out / key
        target.parent.mkdir(parents=True, exist_ok=True)
        store.download(runner.BUCKET, key, target)
