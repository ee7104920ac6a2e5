"""Pass 2 reads pass 1's parsed chunks from local disk: the outputs must not change (ADR 0008)."""

from __future__ import annotations

import pytest

from csvlake.config import Config
from csvlake.local.fs import DirectoryStore
from csvlake.spill import Spill
from support import LocalLake

FILES = ("bad_rows.csv", "ptbr_cp1252.csv", "crlf_quoted.csv", "stray_quote.csv", "types.csv", "formulas.csv")


class CountingStore(DirectoryStore):
    """A directory that counts how often each object is opened."""

    def __init__(self, root) -> None:
        super().__init__(root)
        self.opened: dict[str, int] = {}

    def open(self, ref):
        self.opened[ref.key] = self.opened.get(ref.key, 0) + 1
        return super().open(ref)


def outputs(lake: LocalLake, report: dict) -> dict:
    keys = [k for k in lake.object_keys() if not k.startswith("reports/")]
    details = {k: v for k, v in report.items() if k not in ("started_at", "duration_ms", "source")}
    return {"objects": {k: lake.read(k) for k in keys}, "report": details}


@pytest.mark.parametrize("output_format", ["csv", "parquet"])
@pytest.mark.parametrize("block_size", [64, 4096, 8 * 1024 * 1024])
def test_outputs_from_the_spill_are_those_of_reading_the_object_twice(tmp_path, output_format, block_size):
    for name in FILES:
        spilled = LocalLake(tmp_path / "spilled" / name, Config(block_size=block_size, output_format=output_format))
        reread = LocalLake(
            tmp_path / "reread" / name, Config(block_size=block_size, output_format=output_format, spill_bytes=0)
        )
        assert outputs(spilled, spilled.ingest(name)) == outputs(reread, reread.ingest(name)), name


def test_pass_two_reads_the_spill_not_the_object(tmp_path):
    lake = LocalLake(tmp_path, Config(block_size=4096))
    lake.store = CountingStore(tmp_path)
    lake.ingest("ptbr_cp1252.csv")

    assert lake.store.opened == {"raw/ptbr_cp1252.csv": 1}


def test_a_spill_beyond_its_budget_is_dropped_and_the_object_read_again(tmp_path):
    # GIVEN a file of many blocks, and a spill budget that runs out halfway through it
    data = "id;amount;city\n" + "".join(f"{i};{i},5;São Paulo {i % 7}\n" for i in range(5000))
    data = data.encode("cp1252")
    lake = LocalLake(tmp_path / "small", Config(block_size=4096, spill_bytes=len(data) // 2))
    lake.store = CountingStore(tmp_path / "small")
    reference = LocalLake(tmp_path / "reference", Config(block_size=4096, spill_bytes=0))

    # WHEN it is processed THEN pass 2 reads the object again, with the same outputs
    report = lake.ingest("big.csv", data=data)
    assert lake.store.opened == {"raw/big.csv": 2}
    assert report["rows"]["written"] == 5000
    assert outputs(lake, report) == outputs(reference, reference.ingest("big.csv", data=data))


def test_the_spill_file_has_no_name_while_in_use_and_is_gone_after_close(tmp_path):
    spill = Spill(3, directory=str(tmp_path))
    assert spill.active and list(tmp_path.iterdir()) == []
    spill.close()
    assert not spill.active and list(tmp_path.iterdir()) == []


def test_a_spill_directory_that_cannot_be_written_means_no_spill_and_no_file_left(tmp_path):
    missing = tmp_path / "missing"

    spill = Spill(3, directory=str(missing))

    assert not spill.active and not spill.complete and not missing.exists()
