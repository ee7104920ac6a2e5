"""`csvlake`: run the ingestion locally: `demo`, `serve` and `invoke` against a local S3 endpoint."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import boto3
from botocore.exceptions import ClientError

from ..config import Config
from ..events import event_refs, object_refs
from ..layout import OutputKeys, skip_reason
from . import runner, show

SAMPLES = Path(__file__).resolve().parents[4] / "samples"


def _report(s3, bucket: str, key: str, config: Config) -> dict | None:
    try:
        body = s3.get_object(Bucket=bucket, Key=OutputKeys.for_key(key, config).report)["Body"].read()
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return None
        raise
    return json.loads(body)


def _local(port: int):
    server, endpoint = runner.start_endpoint(port)
    runner.use_endpoint(endpoint)
    config = Config.from_env()
    queue_url = runner.create_bucket(endpoint, runner.BUCKET, config.raw_prefix)
    loop = runner.NotificationLoop(endpoint, queue_url, runner.load_handler().lambda_handler)
    return server, endpoint, config, loop, boto3.client("s3", endpoint_url=endpoint)


def demo(args: argparse.Namespace) -> int:
    server, _endpoint, config, loop, s3 = _local(args.port)
    try:
        keys = []
        for path in sorted(Path(args.samples).iterdir()):
            key = f"{config.raw_prefix}{path.name}"
            s3.upload_file(str(path), runner.BUCKET, key)
            keys.append(key)
            print(f"uploaded {path.name} → s3://{runner.BUCKET}/{key}")
        print(f"\nwaiting for csvlake to process {len(keys)} files (S3 → SQS → lambda_handler)…\n")
        if not loop.run_until(lambda: all(_report(s3, runner.BUCKET, k, config) for k in keys), args.timeout):
            missing = [k for k in keys if not _report(s3, runner.BUCKET, k, config)]
            print(f"no report after {args.timeout} s for: {', '.join(missing)}", file=sys.stderr)
            return 1
        for key in keys:
            print(show.summary(_report(s3, runner.BUCKET, key, config)) + "\n")
        _download(s3, Path(args.out))
        print(f"All outputs were copied to {args.out}/ (processed/, reports/, quarantine/).")
        print("To drop your own file: run `make serve`, then in another terminal:")
        print(_upload_hint(f"http://127.0.0.1:{runner.DEFAULT_PORT}", config))
        return 0
    finally:
        server.stop()


def _upload_hint(endpoint: str, config: Config) -> str:
    # The local endpoint accepts any credentials, but the AWS CLI refuses to run without some.
    return (
        f"  AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION={runner.REGION} "
        f".venv/bin/aws --endpoint-url {endpoint} s3 cp my.csv s3://{runner.BUCKET}/{config.raw_prefix}"
    )


def _download(s3, out: Path) -> None:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=runner.BUCKET):
        for obj in page.get("Contents", []):
            target = out / obj["Key"]
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(runner.BUCKET, obj["Key"], str(target))


def serve(args: argparse.Namespace) -> int:
    server, endpoint, config, loop, s3 = _local(args.port)
    print(
        f"local S3 endpoint {endpoint}, bucket {runner.BUCKET}; drop files into s3://{runner.BUCKET}/{config.raw_prefix}"
    )
    print(_upload_hint(endpoint, config))
    print("Ctrl-C to stop.", flush=True)
    try:
        while True:
            for body in loop.poll_once(wait_seconds=5):
                for ref in object_refs(body):
                    if reason := skip_reason(ref.key, config):
                        print(f"skipped   {ref.key}  ({reason})", flush=True)
                        continue
                    report = _report(s3, ref.bucket, ref.key, config)
                    print(show.one_line(report) if report else f"no report for {ref.key}", flush=True)
    except KeyboardInterrupt:
        return 0
    finally:
        server.stop()


def invoke(args: argparse.Namespace) -> int:
    """Run one event file through `lambda_handler` against an endpoint, as `sam local invoke -e` would."""
    runner.use_endpoint(args.endpoint)
    event = json.loads(Path(args.event).read_text())
    handler = runner.load_handler()
    result = handler.lambda_handler(event, runner.LambdaContext(aws_request_id="local-invoke"))
    print(json.dumps(result, indent=2, ensure_ascii=False))
    config = Config.from_env()
    s3 = boto3.client("s3", endpoint_url=args.endpoint)
    for ref in event_refs(event):
        report = None if skip_reason(ref.key, config) else _report(s3, ref.bucket, ref.key, config)
        # After a superseded event, the report there belongs to the newer object: not this one's.
        if report and (not ref.etag or report["source"]["etag"] == ref.etag):
            print(show.summary(report))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="csvlake", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("demo", help="start a local endpoint, process the bundled samples, print their reports")
    p.add_argument("--port", type=int, default=0, help="endpoint port (default: any free port)")
    p.add_argument("--samples", default=str(SAMPLES), help="folder of files to upload to raw/")
    p.add_argument("--out", default="demo-output", help="folder to copy all outputs into")
    p.add_argument("--timeout", type=float, default=120, help="seconds to wait for the reports")
    p.set_defaults(run=demo)
    p = commands.add_parser("serve", help="run the local endpoint and the processing loop until Ctrl-C")
    p.add_argument("--port", type=int, default=runner.DEFAULT_PORT, help="endpoint port")
    p.set_defaults(run=serve)
    p = commands.add_parser("invoke", help="run an event file through lambda_handler against an endpoint")
    p.add_argument("--event", required=True, help="event JSON (S3, SQS or EventBridge), e.g. events/s3-put.json")
    p.add_argument("--endpoint", default=f"http://127.0.0.1:{runner.DEFAULT_PORT}", help="S3 endpoint URL")
    p.set_defaults(run=invoke)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
