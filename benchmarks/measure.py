"""One measurement, in a process of its own, so that its peak RSS is its own.

`run.py` starts this script once per measurement. It times the work only (not the interpreter's start
or the imports) and writes a JSON result: seconds, peak RSS (`VmHWM` of /proc/self/status, read at the
end: `ru_maxrss` of a child can carry its parent's peak across fork/exec) and what the work returned.

    python benchmarks/measure.py csvlake|naive|floor --endpoint URL --bucket B --key K --result FILE [--cpus 0]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path

import layer_imports

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


def status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (kB there), in MB (2**20 bytes)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def s3_put_event(bucket: str, key: str, size: int, etag: str) -> dict:
    """The notification S3 sends for a PUT, shaped like events/s3-put.json (the key URL-encoded)."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "us-east-1",
                "eventTime": "2024-01-01T00:00:00.000Z",
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "EXAMPLE"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {"x-amz-request-id": "BENCH", "x-amz-id-2": "BENCH"},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "benchmark",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "EXAMPLE"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": {
                        "key": urllib.parse.quote_plus(key, safe="/"),
                        "size": size,
                        "eTag": etag,
                        "sequencer": "0A1B2C3D4E5F678901",
                    },
                },
            }
        ]
    }


def csvlake(endpoint: str, bucket: str, key: str) -> dict:
    """csvlake's Lambda handler, loaded from functions/ingest/app.py, called with an S3 PUT event.
    LAMBDA_TASK_ROOT is set, as the Lambda runtime sets it: outside Lambda the X-Ray SDK, which the
    Tracer imports, starts a sampler with a botocore session and X-Ray client of its own (9 MB), and
    in Lambda it does not (docs/adr/0014)."""
    os.environ.setdefault("LAMBDA_TASK_ROOT", str(Path(__file__).resolve().parent.parent / "functions/ingest"))
    import boto3

    from csvlake.local import runner

    runner.use_endpoint(endpoint)
    app = runner.load_handler()
    head = boto3.client("s3", endpoint_url=endpoint, **CREDENTIALS).head_object(Bucket=bucket, Key=key)
    event = s3_put_event(bucket, key, head["ContentLength"], head["ETag"].strip('"'))
    context = runner.LambdaContext(aws_request_id=str(uuid.uuid4()))
    baseline = status_mb("VmRSS")
    started = time.perf_counter()
    try:
        response = app.lambda_handler(event, context)
    except Exception as exc:  # e.g. the time-out guard: the run counts, and fails the row check
        response = {"error": f"{type(exc).__name__}: {exc}"}
    return {"seconds": time.perf_counter() - started, "baseline_mb": baseline, "response": response}


def naive(endpoint: str, bucket: str, key: str) -> dict:
    """The seed's way: download_file → read_csv → describe → to_csv → upload_file. As if pandas were
    added to the function's layer."""
    import boto3
    import pandas as pd

    s3 = boto3.client("s3", endpoint_url=endpoint, **CREDENTIALS)
    work = Path(tempfile.mkdtemp(prefix="csvlake-bench-"))
    source, out = work / "in.csv", work / "out.csv"
    baseline = status_mb("VmRSS")
    steps = {}
    try:
        started = last = time.perf_counter()

        def step(name: str) -> None:
            nonlocal last
            now = time.perf_counter()
            steps[name], last = now - last, now

        s3.download_file(bucket, key, str(source))
        step("download_file")
        df = pd.read_csv(source, sep=";", decimal=",", encoding="cp1252")
        step("read_csv")
        df.describe(include="all")
        step("describe")
        df.to_csv(out)
        step("to_csv")
        s3.upload_file(str(out), bucket, "naive/" + Path(key).name)
        step("upload_file")
        seconds = time.perf_counter() - started
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"seconds": seconds, "baseline_mb": baseline, "steps": steps, "rows": len(df)}


def floor(endpoint: str, bucket: str, key: str) -> dict:
    """The least any pipeline does: GET the bytes, PUT them back, and pyarrow's CSV read and write."""
    import boto3
    import pyarrow as pa
    import pyarrow.csv as pacsv

    s3 = boto3.client("s3", endpoint_url=endpoint, **CREDENTIALS)
    baseline = status_mb("VmRSS")
    steps = {}
    started = time.perf_counter()
    data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    steps["get"] = time.perf_counter() - started

    started = time.perf_counter()
    s3.put_object(Bucket=bucket, Key="floor/" + Path(key).name, Body=data)
    steps["put"] = time.perf_counter() - started

    started = time.perf_counter()
    table = pacsv.read_csv(
        pa.BufferReader(data),
        read_options=pacsv.ReadOptions(encoding="cp1252"),
        parse_options=pacsv.ParseOptions(delimiter=";"),
        convert_options=pacsv.ConvertOptions(decimal_point=","),
    )
    steps["read_csv"] = time.perf_counter() - started

    started = time.perf_counter()
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink)
    steps["write_csv"] = time.perf_counter() - started
    return {"seconds": sum(steps.values()), "baseline_mb": baseline, "steps": steps, "rows": table.num_rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["csvlake", "naive", "floor"])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--result", type=Path, required=True)
    parser.add_argument("--cpus", help="comma-separated CPUs to pin this process to, e.g. 0 for one core")
    args = parser.parse_args()
    if args.cpus:
        # Before any import: the thread pools of pyarrow and boto3 then run on these CPUs only.
        os.sched_setaffinity(0, {int(c) for c in args.cpus.split(",")})
    # Every pipeline imports what the function on Lambda could, and the naive one pandas as well.
    layer_imports.install(*(["pandas"] if args.what == "naive" else []))
    result = {"csvlake": csvlake, "naive": naive, "floor": floor}[args.what](args.endpoint, args.bucket, args.key)
    result["peak_rss_mb"] = status_mb("VmHWM")
    result["cpus"] = sorted(os.sched_getaffinity(0))
    args.result.write_text(json.dumps(result, default=str))


if __name__ == "__main__":
    sys.exit(main())
