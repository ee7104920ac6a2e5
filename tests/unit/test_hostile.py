"""Hostile files: each has a defined outcome, never a crash, and memory stays bounded."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

from csvlake.config import Config
from csvlake.layout import MAX_KEY_BYTES, OutputKeys
from csvlake.streams import prefetched


def peak_rss_mb(tmp_path, name: str, data: bytes, env: dict[str, str] | None = None) -> tuple[dict, int]:
    """Process one file in a fresh interpreter, configured from `env` too; its report and the
    process's peak RSS in MB."""
    (tmp_path / "lake" / "raw").mkdir(parents=True)
    (tmp_path / "lake" / "raw" / name).write_bytes(data)
    script = textwrap.dedent(f"""
        import json, re
        from csvlake.config import Config
        from csvlake.ports import ObjectRef
        from csvlake.local.fs import DirectoryStore
        from csvlake.pipeline import process
        report = process(DirectoryStore({str(tmp_path)!r}), ObjectRef("lake", "raw/{name}"), Config.from_env()).as_dict()
        # VmHWM, not ru_maxrss: the latter carries the parent's peak across fork and exec.
        peak = int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1))
        print(json.dumps({{"report": report, "rss": peak // 1024}}))
    """)
    run = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, env={**os.environ, **(env or {})}
    )
    out = json.loads(run.stdout)
    return out["report"], out["rss"]


def test_a_gzip_bomb_is_rejected_at_its_byte_bound_in_bounded_memory(tmp_path):
    # 4,000 gzip members of 1 MiB of rows each: 4 GiB from 8 MiB, as `cat` of many .gz files makes;
    # the bound at 16 MiB, so that the test stops after parsing that much.
    bomb = gzip.compress(b"1,2\n" * 2**18, mtime=0) * 4000

    report, rss = peak_rss_mb(tmp_path, "bomb.csv.gz", bomb, {"MAX_DECOMPRESSED_BYTES": str(16 * 2**20)})

    assert report["status"] == "rejected"
    assert report["reason"].startswith("the gzip stream expands to more than 16,777,216 bytes, the limit")
    assert report["outputs"]["quarantine"] == "quarantine/bomb.csv.gz"
    # What ordinary files peak at (docs/benchmarks.md: 256-286 MB for 2 GB), not 4 GiB.
    assert rss < 320


def test_a_line_of_100_mb_without_a_newline_is_rejected_with_its_line(lake):
    report = lake.ingest("line.csv", data=b"a,b\n" + b"z" * (100 * 2**20))

    assert report["status"] == "rejected"
    assert report["reason"] == "a record starting at line 2 is longer than 64 MiB"


def test_a_single_50_mb_field_is_kept_whole(lake):
    report = lake.ingest("field.csv", data=b'a,b\n1,"' + b"x" * (50 * 2**20) + b'"\n2,y\n')

    assert report["rows"] == {"read": 2, "written": 2, "rejected": 0}
    processed = lake.read("processed/field.csv")
    assert processed.count(b"x") == 50 * 2**20 and processed.endswith(b'2,"y"\n')


def test_twenty_thousand_columns(lake):
    header = ",".join(f"c{i}" for i in range(20_000))
    row = ",".join(str(i) for i in range(20_000))
    report = lake.ingest("wide.csv", data=f"{header}\n{row}\n".encode())

    assert report["status"] == "processed"
    assert len(report["columns"]) == 20_000 and report["columns"][-1]["max"] == 19_999


@pytest.mark.parametrize(
    "key",
    [
        "raw/../../etc/passwd.csv",
        "raw/./a/../b.csv",
        "raw/" + "ç" * 500 + ".csv",
        "raw/" + "deep/" * 200 + "x.CSV.GZ",
        "raw/a+b c%2Fd.csv",
    ],
)
def test_outputs_stay_under_their_prefixes_and_within_s3_key_limits(key):
    config = Config()
    keys = OutputKeys.for_key(key, config)

    for output, prefix in [
        (keys.processed, config.processed_prefix),
        (keys.report, config.reports_prefix),
        (keys.rejected_rows, config.quarantine_prefix),
        (keys.quarantine, config.quarantine_prefix),
    ]:
        assert output.startswith(prefix)
        assert len(output.encode()) <= MAX_KEY_BYTES
        assert ".." not in output.split("/") and "." not in output.split("/")


@pytest.mark.parametrize("stop_after", [0, 1, 2])
def test_a_consumer_that_stops_reading_ahead_early_is_never_left_waiting(stop_after):
    # The producer thread may be about to hand over the end of the stream, or an error, when the
    # consumer stops: it must give up instead of blocking the consumer's clean-up for ever.
    def items():
        yield from range(3)
        raise ValueError("the stream broke")

    stream = prefetched(items())
    started = time.monotonic()
    for i, _ in enumerate(stream):
        if i == stop_after:
            time.sleep(0.3)  # the producer has queued the next item and waits to hand over the end
            break
    stream.close()  # runs the generator's clean-up, which joins the producer

    assert time.monotonic() - started < 5
