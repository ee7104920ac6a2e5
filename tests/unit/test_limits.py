"""Limits by what a file costs: gzip bounded by its decompressed bytes, not its ratio; a file that
cannot finish in the invocation's time rejected with a report that says so (on a fake clock); and
UTF-16 without a BOM read as a contract says."""

from __future__ import annotations

import csv
import gzip
import io
import json
import random

import pytest
from aws_lambda_powertools import Logger

from csvlake.config import Config, ConfigError
from csvlake.deadline import Deadline
from csvlake.errors import OutOfTime, StreamError
from csvlake.ingest import Ingestor
from csvlake.local.fs import DirectoryStore
from csvlake.pipeline import process
from csvlake.ports import ObjectRef
from csvlake.streams import READ_SIZE, gunzip, to_utf8
from support import DATA, LocalLake, check_report

MB = 1024**2


class Countdown:
    """A fake of Lambda's remaining time that drops by `step` seconds each time it is read: the
    deadline passes after a number of checks, whatever the machine's speed."""

    def __init__(self, seconds: float, step: float = 0.0) -> None:
        self.seconds, self.step, self.reads = seconds, step, 0

    def __call__(self) -> float:
        self.reads += 1
        left, self.seconds = self.seconds, self.seconds - self.step
        return left


class CountingStore(DirectoryStore):
    """A directory store that counts the objects opened."""

    opened = 0

    def open(self, ref):
        self.opened += 1
        return super().open(ref)


def ratio(data: bytes) -> float:
    return len(data) / len(gzip.compress(data, mtime=0))


# --- gzip: bounded by decompressed bytes, not by ratio ------------------------------------------------


def test_a_gzip_of_repeated_rows_far_over_500_to_1_is_processed_whole(lake):
    # The file: 14 MB of one row repeated, at 513:1 (the old guard refused over 200:1).
    data = b"data,loja,qtd\n" + b"2024-01-31,12,1\n" * 900_000
    assert ratio(data) > 500

    report = lake.ingest("repeated.csv.gz", data=gzip.compress(data, mtime=0))

    assert report["status"] == "processed"
    assert report["rows"] == {"read": 900_000, "written": 900_000, "rejected": 0}
    assert lake.read("processed/repeated.csv").count(b"\n2024-01-31,12,1\n") == 900_000 // 2


def test_a_mostly_empty_50_column_gzip_is_processed(lake):
    header = ",".join(f"c{i}" for i in range(50)).encode() + b"\n"
    # The other file: 50 columns, all empty but the last (over 330:1).
    rows = b"".join(b"," * 49 + str(i // 1000 % 7).encode() + b"\n" for i in range(200_000))
    data = header + rows
    assert ratio(data) > 330

    report = lake.ingest("sparse.csv.gz", data=gzip.compress(data, mtime=0))

    assert report["status"] == "processed" and report["rows"]["written"] == 200_000
    last = {c["name"]: c for c in report["columns"]}["c49"]
    assert (last["min"], last["max"], last["nulls"]) == (0, 6, 0)


def test_a_bomb_stops_at_the_byte_bound_one_piece_at_a_time():
    # 4 GiB from 8 MiB: 4,000 members of 1 MiB of rows, as `cat` of many .gz files makes.
    bomb = gzip.compress(b"1,2\n" * 2**18, mtime=0) * 4000
    limit = 64 * MB
    produced = 0

    with pytest.raises(StreamError, match="expands to more than 67,108,864 bytes, the limit"):
        for piece in gunzip((bomb[i : i + READ_SIZE] for i in range(0, len(bomb), READ_SIZE)), limit):
            assert len(piece) <= READ_SIZE  # what a bomb holds in memory at a time
            produced += len(piece)
    assert limit - READ_SIZE < produced <= limit


def test_a_gzip_beyond_the_configured_bound_is_rejected_and_quarantined(tmp_path):
    lake = LocalLake(tmp_path, Config(max_decompressed_bytes=2 * MB))
    data = gzip.compress(b"a,b\n" + b"1,2\n" * MB, mtime=0)  # 4 MiB of rows

    report = lake.ingest("big.csv.gz", data=data)

    assert report["status"] == "rejected"
    assert report["reason"] == (
        "the gzip stream expands to more than 2,097,152 bytes, the limit (MAX_DECOMPRESSED_BYTES); "
        "split the file or raise the limit"
    )
    assert lake.read("quarantine/big.csv.gz") == data
    assert not lake.exists("processed/big.csv")


def test_limits_are_configured_from_the_environment():
    config = Config.from_env({"MAX_DECOMPRESSED_BYTES": "1048576", "THROUGHPUT_MB_S": "12.5"})
    assert (config.max_decompressed_bytes, config.throughput_mb_s) == (MB, 12.5)
    assert Config.from_env({}).max_decompressed_bytes == 32 * 1024**3
    for env in ({"MAX_DECOMPRESSED_BYTES": "lots"}, {"MAX_DECOMPRESSED_BYTES": "0"}, {"THROUGHPUT_MB_S": "-1"}):
        with pytest.raises(ConfigError, match="must be a positive"):
            Config.from_env(env)


# --- the invocation's deadline -----------------------------------------------------------------------


def test_a_file_too_large_for_the_time_left_is_rejected_before_it_is_read(tmp_path):
    # GIVEN 10 s left and a rate at which the file needs far more
    data = (DATA / "bad_rows.csv").read_bytes() * 1000
    lake = LocalLake(tmp_path, Config(throughput_mb_s=0.001))
    lake.store = CountingStore(tmp_path)
    ref = lake.drop("raw/huge.csv", data)
    ref = ObjectRef(ref.bucket, ref.key, size=len(data))

    # WHEN it is processed
    deadline = Deadline.counting_down(Countdown(25), margin=15)
    report = check_report(process(lake.store, ref, lake.config, deadline=deadline).as_dict())

    # THEN its report says so, with its size and the rate; the object was copied, never read
    size_mb, need = len(data) / MB, len(data) / MB / 0.001
    assert report["status"] == "rejected"
    assert report["reason"] == (
        f"too large for one invocation: {size_mb:,.1f} MB would take at least {need:,.0f} s at 0.001 MB/s, "
        "the fastest rate measured (docs/benchmarks.md), and 10 s are left, enough for about 0 MB"
    )
    assert lake.store.opened == 0
    assert lake.read("quarantine/huge.csv") == data
    assert lake.object_keys() == {"raw/huge.csv", "quarantine/huge.csv", "reports/huge.json", "reports/huge.html"}


def test_a_file_still_being_read_when_the_deadline_passes_is_rejected_with_its_report(tmp_path):
    # GIVEN an earlier version's outputs, and a clock that loses 4 s each time it is read, 20 s to go
    lake = LocalLake(tmp_path, Config())
    lake.ingest("late.csv", data=(DATA / "bad_rows.csv").read_bytes())
    assert lake.exists("processed/late.csv") and lake.exists("quarantine/late.rejected.csv")
    clock = Countdown(20, step=4)
    data = ("id,name,qty\n" + "".join(f"{i},item {i},{i * 3}\n" for i in range(300_000))).encode()
    ref = lake.drop("raw/late.csv", data)

    # WHEN its 6 MB are processed, the deadline checked at each chunk of about 1 MiB (a read)
    deadline = Deadline.counting_down(clock, margin=5)
    report = check_report(process(lake.store, ref, lake.config, deadline=deadline).as_dict())

    # THEN the work stopped at the third chunk, 4 s before the end of the time (the margin: 5 s)
    assert clock.reads == 5  # the start, the check of the size, and three chunks
    assert report["status"] == "rejected"
    assert report["reason"] == (
        f"too large for one invocation: {len(data) / MB:,.1f} MB not finished in the 15 s this invocation had, "
        "in which 36.5 MB/s, the fastest rate measured (docs/benchmarks.md), reads about 548 MB: it ran slower "
        "(a gzip, wide or oddly quoted rows, no room to spill)"
    )
    # the file is quarantined whole, and no output of the earlier version contradicts the report
    assert lake.read("quarantine/late.csv") == data
    assert lake.object_keys() == {"raw/late.csv", "quarantine/late.csv", "reports/late.json", "reports/late.html"}


def test_the_handler_reports_a_file_beyond_its_time_instead_of_raising_for_a_retry(tmp_path):
    # GIVEN Lambda's remaining time, 16 s (less the handler's 15 s margin: 1 s of work), and a file
    # that needs 2 s at the rate configured
    lake = LocalLake(tmp_path, Config(throughput_mb_s=0.05))
    data = b"a,b\n" + b"1,2\n" * 30_000
    ref = lake.drop("raw/big.csv", data)
    ref = ObjectRef(ref.bucket, ref.key, size=len(data))

    # WHEN the handler's glue processes it
    (result,) = Ingestor(lake.store, lake.config, Logger(service="test"))([ref], lambda: 16_000)

    # THEN it answers with the rejection (a terminal outcome: nothing raised for Lambda to retry)
    assert result["status"] == "rejected"
    report = check_report(json.loads(lake.read(result["report"])))
    assert report["reason"].startswith("too large for one invocation: 0.1 MB would take at least 2 s at 0.05 MB/s")
    assert "1 s are left" in report["reason"] and lake.read("quarantine/big.csv") == data


def test_time_enough_leaves_the_file_processed(lake):
    ref = lake.drop("raw/ok.csv", (DATA / "bad_rows.csv").read_bytes())

    report = process(lake.store, ref, lake.config, deadline=Deadline.counting_down(Countdown(900, step=1), 15))

    assert report.status == "partial" and report.written == 3


# --- UTF-16 as a contract says, without a BOM ----------------------------------------------------------

TEXT = "nome;preço;quando\n" + "".join(f"Açaí {i} 日本;{i},50;0{i % 9 + 1}/02/2024\n" for i in range(30_000))


@pytest.mark.parametrize(
    ("declared", "written_as"),
    [("utf-16", "utf-16-le"), ("utf-16-le", "utf-16-le"), ("utf-16-be", "utf-16-be"), ("utf-16-le", "utf-16")],
)
@pytest.mark.parametrize("config", [Config(), Config(block_size=4096, spill_bytes=0)], ids=["spill", "reread"])
def test_a_utf16_file_reads_as_its_contract_declares(tmp_path, declared, written_as, config):
    # GIVEN 1.3 MB of UTF-16 (more than the sample and than a read), without a BOM but for utf-16
    lake = LocalLake(tmp_path, config)
    lake.drop("contracts/vendas.yaml", f"dialect:\n  encoding: {declared}\n".encode())

    report = lake.ingest("vendas/jan.csv", data=TEXT.encode(written_as))

    assert report["status"] == "processed" and report["dialect"]["encoding"] == declared
    got = list(csv.reader(io.StringIO(lake.read("processed/vendas/jan.csv").decode("utf-8"))))
    source = [line.split(";") for line in TEXT.splitlines()]
    assert got[0] == ["nome", "preco", "quando"]
    assert [r[0] for r in got[1:]] == [r[0] for r in source[1:]]
    assert [float(r[1]) for r in got[1:]] == [float(r[1].replace(",", ".")) for r in source[1:]]


@pytest.mark.parametrize("written_as", ["utf-16-le", "utf-16"])
def test_utf16_without_a_bom_decodes_however_the_stream_is_cut(written_as):
    rnd = random.Random(5)
    for _ in range(50):
        text = "".join(rnd.choice("ab;\n çã€日😀") for _ in range(rnd.randint(1, 40)))
        data = text.encode(written_as)
        cuts = sorted(rnd.sample(range(len(data) + 1), min(4, len(data) + 1)))
        pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)])]

        assert b"".join(to_utf8(iter(pieces), "utf-16")) == text.encode("utf-8")


def test_a_file_later_in_a_batch_that_runs_short_is_retried_not_rejected(tmp_path):
    # GIVEN an invocation that began with 60 s, of which earlier files in its batch left 16 s
    lake = LocalLake(tmp_path, Config(throughput_mb_s=0.05))
    data = b"a,b\n" + b"1,2\n" * 30_000
    ref = lake.drop("raw/big.csv", data)
    ref = ObjectRef(ref.bucket, ref.key, size=len(data))
    ingest = Ingestor(lake.store, lake.config, Logger(service="test"))

    # WHEN the file needs more than the time left: raised, for the SQS batch to retry it alone
    with pytest.raises(OutOfTime):
        ingest([ref], lambda: 16_000, budget_ms=60_000)

    # THEN nothing says it was rejected; as the invocation's first file, it is
    assert lake.object_keys() == {"raw/big.csv"}
    (result,) = ingest([ref], lambda: 16_000, budget_ms=16_500)
    assert result["status"] == "rejected"
