"""Writers for the processed copy (CSV or Parquet) and for rejected rows, chunk by chunk."""

from __future__ import annotations

import csv
import io
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .reader import BadRow

# OWASP CSV injection: spreadsheets run cells that start with these as formulas.
FORMULA_START = r"^[=+\-@\t\r]"


def _csv_ready(values: pa.Array) -> pa.Array:
    """Text as it must appear in the processed CSV: ISO-8601 datetimes, neutralised formulas."""
    if pa.types.is_timestamp(values.type):
        zone = "Z" if values.type.tz else ""
        whole = pc.equal(values, pc.floor_temporal(values, unit="second"))
        seconds = pc.strftime(
            pc.cast(values, pa.timestamp("s", values.type.tz), safe=False), f"%Y-%m-%dT%H:%M:%S{zone}"
        )
        return pc.if_else(whole, seconds, pc.strftime(values, f"%Y-%m-%dT%H:%M:%S{zone}"))
    if pa.types.is_string(values.type):
        risky = pc.match_substring_regex(values, FORMULA_START)
        return pc.if_else(risky, pc.binary_join_element_wise("'", values, ""), values)
    return values


class ProcessedWriter:
    """The processed copy: UTF-8 CSV (`,`, `.` decimal, `\\n`, RFC 4180 quoting) or typed Parquet."""

    def __init__(self, stream: BinaryIO, names: list[str], types: list[pa.DataType], output_format: str):
        self.names = names
        self.output_format = output_format
        if output_format == "parquet":
            self.schema = pa.schema([pa.field(n, t) for n, t in zip(names, types)])
            self._writer = pq.ParquetWriter(stream, self.schema, compression="snappy")
        else:
            csv_types = [pa.string() if pa.types.is_timestamp(t) or pa.types.is_string(t) else t for t in types]
            self.schema = pa.schema([pa.field(n, t) for n, t in zip(names, csv_types)])
            options = pacsv.WriteOptions(quoting_header="none", eol="\n")
            self._writer = pacsv.CSVWriter(stream, self.schema, write_options=options)

    def write(self, columns: list[pa.DictionaryArray]) -> None:
        """Write typed, dictionary-encoded columns: the CSV formatting happens once per distinct value."""
        ready = _csv_ready if self.output_format != "parquet" else lambda values: values
        columns = [ready(c.dictionary).take(c.indices).cast(f.type) for c, f in zip(columns, self.schema)]
        self._writer.write_table(pa.Table.from_arrays(columns, schema=self.schema))

    def close(self) -> None:
        self._writer.close()


class Pipelined:
    """A ProcessedWriter whose writes run in a thread of their own, one at a time and in order, so
    that formatting and writing a chunk overlaps converting the next (Arrow releases the GIL)."""

    def __init__(self, writer: ProcessedWriter) -> None:
        self._writer = writer
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="csvlake-write")
        self._pending: Future | None = None

    def write(self, columns: list[pa.DictionaryArray]) -> None:
        self._finish_pending()  # at most one chunk waits: memory stays bounded
        self._pending = self._thread.submit(self._writer.write, columns)

    def close(self) -> None:
        self._finish_pending()
        self._thread.shutdown()
        self._writer.close()

    def settle(self) -> None:
        """Let a write in flight end (its error is not raised): call before aborting the stream."""
        if self._pending is not None:
            wait([self._pending])
        self._thread.shutdown()

    def _finish_pending(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()


def _unused(name: str, taken: list[str]) -> str:
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}_{n}"
    return candidate


class RejectedWriter:
    """Rejected rows as they were, plus `_line` (where the record starts) and `_error` (why)."""

    def __init__(self, stream: BinaryIO, names: list[str], extra: int):
        self._text = io.TextIOWrapper(stream, encoding="utf-8", newline="", write_through=True)
        self._csv = csv.writer(self._text, lineterminator="\n")
        self.width = len(names)
        added = [*(f"_extra_{i + 1}" for i in range(extra)), "_line", "_error"]
        # A source column may already be called _line: ours then become _line_2, never a duplicate.
        self._csv.writerow([*names, *(_unused(name, names) for name in added)])
        self.extra = extra

    def write(self, rows: list[BadRow]) -> None:
        size = self.width + self.extra
        for row in rows:
            fields = row.fields[:size] + [""] * (size - len(row.fields))
            self._csv.writerow([*fields, row.line, row.error])

    def close(self) -> None:
        self._text.flush()
        self._text.detach()
