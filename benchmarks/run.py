"""csvlake against the naive pipeline and the I/O floor, on the same inputs, in one run.

A moto server runs in its own process as the S3 endpoint. Each input is uploaded to `raw/`, then
every measurement runs in a fresh process (measure.py), so its peak RSS is its own; outputs are
deleted between runs so each run does the same work; the tables show medians of --repeat runs.

    python benchmarks/run.py                 # sales-150mb and wide-300; growth 50/150/500 MB; 1-core run
    python benchmarks/run.py --big           # also the 2 GB file, csvlake only (generated if missing)
    python benchmarks/run.py --repeat 5 --inputs sales-150mb --growth --single-core none
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402
import report  # noqa: E402

BUCKET = "csvlake-bench"
OUTPUTS = ("processed/", "reports/", "quarantine/", "naive/", "floor/")
MB = 2**20


class Endpoint:
    """`python -m moto.server` on a free loopback port, in its own process."""

    def __enter__(self) -> Endpoint:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        cmd = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
        self.process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(self.url + "/moto-api/", timeout=1).close()
                break
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.__exit__()
                    raise RuntimeError(f"moto server did not start on {self.url}") from None
                time.sleep(0.2)
        self.s3 = boto3.client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )
        self.s3.create_bucket(Bucket=BUCKET)
        return self

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def clear(self, prefixes=OUTPUTS) -> None:
        for prefix in prefixes:
            for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
                keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
                if keys:
                    self.s3.delete_objects(Bucket=BUCKET, Delete={"Objects": keys})
        for upload in self.s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []):
            self.s3.abort_multipart_upload(Bucket=BUCKET, Key=upload["Key"], UploadId=upload["UploadId"])

    def lines(self, key: str) -> int:
        body = self.s3.get_object(Bucket=BUCKET, Key=key)["Body"]
        return sum(chunk.count(b"\n") for chunk in body.iter_chunks(8 * MB))


def measure(endpoint: Endpoint, what: str, key: str, cpus: str | None = None) -> dict:
    endpoint.clear()
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "result.json"
        cmd = [
            sys.executable,
            str(HERE / "measure.py"),
            what,
            "--endpoint",
            endpoint.url,
            "--bucket",
            BUCKET,
            "--key",
            key,
            "--result",
            str(result),
        ] + (["--cpus", cpus] if cpus else [])
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
        if done.returncode:
            raise RuntimeError(f"{what} on {key} failed:\n{done.stderr[-3000:]}")
        return json.loads(result.read_text())


def check_csvlake(endpoint: Endpoint, name: str, run: dict) -> bool:
    """The handler processed the file and its processed CSV holds a line per input row (+ header)."""
    results = run["response"].get("results") or [{"status": run["response"].get("error", "no result")}]
    run["status"] = results[0]["status"]
    run["rows_out"] = endpoint.lines(f"processed/{name}.csv") - 1 if run["status"] == "processed" else None
    if run["rows_out"] != generate.INPUTS[name][1]:
        print(f"  ✗ {name}: status {run['status']}, {run['rows_out']} rows written", file=sys.stderr)
    return run["rows_out"] == generate.INPUTS[name][1]


def median(runs: list[dict], *path: str) -> float:
    values = []
    for run in runs:
        for part in path:
            run = run[part]
        values.append(run)
    return statistics.median(values)


def bench(endpoint: Endpoint, name: str, kinds: list[str], repeat: int, cpus: str | None = None) -> dict:
    path = generate.generate(name)
    key = f"raw/{name}.csv"
    endpoint.s3.upload_file(str(path), BUCKET, key)
    runs: dict[str, list[dict]] = {kind: [] for kind in kinds}
    ok = True
    for i in range(repeat):
        for kind in kinds:  # interleaved, so drift in the machine's load hits every kind alike
            run = measure(endpoint, kind, key, cpus)
            if kind == "csvlake":
                ok = check_csvlake(endpoint, name, run) and ok
            runs[kind].append(run)
            print(
                f"  {name} {kind}{' cpus ' + cpus if cpus else ''} run {i + 1}: {run['seconds']:.2f} s, "
                f"peak RSS {run['peak_rss_mb']:.0f} MB",
                file=sys.stderr,
                flush=True,
            )
    endpoint.clear((*OUTPUTS, key))
    out = {"input": name, "rows": generate.INPUTS[name][1], "mb": path.stat().st_size / MB, "ok": ok, "runs": runs}
    for kind in kinds:
        out[kind] = {"s": median(runs[kind], "seconds"), "rss": median(runs[kind], "peak_rss_mb")}
        for part in runs[kind][0].get("steps", {}):
            out[kind][part] = median(runs[kind], "steps", part)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inputs", nargs="*", default=["sales-150mb", "wide-300"], help="csvlake, naive and floor")
    parser.add_argument("--growth", nargs="*", default=["sales-50mb", "sales-150mb", "sales-500mb"], help="csvlake")
    parser.add_argument("--big", action="store_true", help="add sales-2gb to the growth series")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--growth-repeat", type=int, default=1, help="runs of growth sizes not in --inputs")
    parser.add_argument("--single-core", default="sales-150mb", help="input for the run pinned to CPU 0, or none")
    parser.add_argument("--json", type=Path, default=generate.DATA / "results.json")
    args = parser.parse_args()
    growth = list(dict.fromkeys(args.growth + (["sales-2gb"] if args.big else [])))
    doc = {"machine": report.machine(), "settings": {**vars(args), "growth": growth, "json": str(args.json)}}
    print(doc["machine"], end="\n\n", flush=True)
    results: dict[str, dict] = {}
    with Endpoint() as endpoint:
        for name in args.inputs:
            results[name] = bench(endpoint, name, ["csvlake", "naive", "floor"], args.repeat)
        for name in growth:
            if name not in results:
                results[name] = bench(endpoint, name, ["csvlake"], args.growth_repeat)
        if args.single_core != "none":
            doc["single_core"] = bench(endpoint, args.single_core, ["csvlake"], args.repeat, cpus="0")
    doc["results"] = results
    doc["load_at_end"] = os.getloadavg()
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(doc, indent=1))
    print(report.render(doc))


if __name__ == "__main__":
    main()
