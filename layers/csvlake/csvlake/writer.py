"""Writers for the processed copy (CSV or Parquet) and for rejected rows, chunk by chunk."""

from __future__ import annotations

import contextlib
import csv
import functools
import io
from concurrent.futures import Executor, Future, ThreadPoolExecutor, wait
from typing import BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .arrowtext import may_hold, starts_with_any, text_bytes
from .reader import BadRow

# Rows joined into CSV text at a time, from a chunk's formatted distinct values.
CSV_SLICE_ROWS = 16384
# OWASP CSV injection: spreadsheets run cells that start with these as formulas.
FORMULA_START = b"=+-@\t\r"
# A sign followed only by a currency and digits and number punctuation is arithmetic at worst
# (`-4.00`, `-`, `+55 (11) 9999-8888`, `-£30,000.00`): nothing it can call, so it keeps its value.
SIGNED_ARITHMETIC = r"^[+-](?:R\$|[£$€¥])?[0-9 .,()/%+:-]*$"


def _csv_ready(values: pa.Array) -> pa.Array:
    """Text as it must appear in the processed CSV: ISO-8601 datetimes, neutralised formulas."""
    if pa.types.is_timestamp(values.type):
        zone = "Z" if values.type.tz else ""
        whole = pc.equal(values, pc.floor_temporal(values, unit="second"))
        seconds = pc.strftime(
            pc.cast(values, pa.timestamp("s", values.type.tz), safe=False), f"%Y-%m-%dT%H:%M:%S{zone}"
        )
        return pc.if_else(whole, seconds, pc.strftime(values, f"%Y-%m-%dT%H:%M:%S{zone}"))
    if pa.types.is_string(values.type) and (risky := starts_with_any(values, FORMULA_START)).any():
        risky = pc.and_not(pa.array(risky), pc.fill_null(pc.match_substring_regex(values, SIGNED_ARITHMETIC), False))
        return pc.if_else(risky, pc.binary_join_element_wise("'", values, ""), values)
    return values


def _csv_rows(texts: list[pa.Array], indices: list[pa.Array], start: int) -> pa.Buffer:
    """The CSV rows of CSV_SLICE_ROWS rows from `start` on, from each column's fields and indices."""
    fields = [t.take(i.slice(start, CSV_SLICE_ROWS)) for t, i in zip(texts, indices)]
    rows = pc.binary_join_element_wise(*fields, ",")
    return pa.py_buffer(text_bytes(rows))


def _csv_texts(values: pa.Array, last: bool, only: bool) -> pa.Array:
    """Each value as its CSV field, as Arrow's CSV writer writes it: strings quoted ("" inside),
    other types as Arrow casts them to text, nulls empty; the last column's fields end the row. The
    `only` column's nulls are `""`: an empty line, which readers skip, would drop the row."""
    values = _csv_ready(values)
    if pa.types.is_string(values.type):
        quoted = pc.replace_substring(values, '"', '""') if may_hold(values, '"') else values
        values = pc.binary_join_element_wise('"', quoted, '"', "")
    else:
        values = pc.cast(values, pa.string())
    values = pc.fill_null(values, '""' if only else "")
    return pc.binary_join_element_wise(values, "\n", "") if last else values


class ProcessedWriter:
    """The processed copy: UTF-8 CSV (`,`, `.` decimal, `\\n`, strings quoted) or typed Parquet. A CSV
    chunk is formatted on `workers`, the threads that do the pipeline's other work on columns."""

    def __init__(
        self, stream: BinaryIO, names: list[str], types: list[pa.DataType], output_format: str, workers: Executor
    ):
        self._stream = stream
        self._workers = workers
        if output_format == "parquet":
            self.schema = pa.schema([pa.field(n, t) for n, t in zip(names, types)])
            self._writer = pq.ParquetWriter(stream, self.schema, compression="snappy")
        else:
            self._writer = None
            stream.write((",".join(names) + "\n").encode("utf-8"))

    def write(self, columns: list[pa.DictionaryArray]) -> None:
        """Write typed, dictionary-encoded columns: a CSV field is made once per distinct value, and
        the fields of each row joined by Arrow."""
        if self._writer is not None:
            columns = [c.dictionary.take(c.indices).cast(f.type) for c, f in zip(columns, self.schema)]
            self._writer.write_table(pa.Table.from_arrays(columns, schema=self.schema))
            return
        last = len(columns) - 1
        texts = list(
            self._workers.map(
                _csv_texts,
                [c.dictionary for c in columns],
                [i == last for i in range(last + 1)],
                [last == 0] * len(columns),
            )
        )
        # Slices of rows, joined side by side on the workers and written in order: a chunk's rows are
        # held as CSV text until they are written, and the fields they are made of a slice at a time.
        rows = functools.partial(_csv_rows, texts, [c.indices for c in columns])
        for piece in self._workers.map(rows, range(0, len(columns[0]), CSV_SLICE_ROWS)):
            self._stream.write(piece)

    def close(self) -> None:
        if self._writer is not None:
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
        """Let a write in flight end and close the writer, raising neither's error: call before
        aborting the stream. The failure that aborts it is the one to report; closing releases a
        Parquet writer, which would otherwise write its footer to a closed stream when collected."""
        if self._pending is not None:
            wait([self._pending])
        self._thread.shutdown()
        with contextlib.suppress(Exception):
            self._writer.close()

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
        # QUOTE_MINIMAL quotes only the line terminator's characters: a lone CR, a line end to
        # readers, would split the row, so rows holding one are written with every field quoted.
        self._quoted = csv.writer(self._text, lineterminator="\n", quoting=csv.QUOTE_ALL)
        self.width = len(names)
        added = [*(f"_extra_{i + 1}" for i in range(extra)), "_line", "_error"]
        # A source column may already be called _line: ours then become _line_2, never a duplicate.
        self._row([*names, *(_unused(name, names) for name in added)])
        self.extra = extra

    def write(self, rows: list[BadRow]) -> None:
        size = self.width + self.extra
        for row in rows:
            fields = row.fields[:size] + [""] * (size - len(row.fields))
            self._row([*fields, row.line, row.error])

    def _row(self, fields: list) -> None:
        writer = self._quoted if any("\r" in str(value) for value in fields) else self._csv
        writer.writerow(fields)

    def close(self) -> None:
        self._text.flush()
        self._text.detach()
