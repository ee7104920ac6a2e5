"""Chunked CSV parsing: frame UTF-8 bytes into whole records, reject malformed ones, parse with pandas.

Each block handed to pandas holds whole records only. Record boundaries, field counts and source line
numbers come from a vectorised scan of the bytes (newlines and delimiters outside quotes), so a row
with the wrong number of fields is caught whatever its length, and rejected with the line where it
starts. Where the scan and the parser disagree (a stray quote inside an unquoted field, invalid
UTF-8), the block is parsed again by Python's csv module, which reports every row with its line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from .dialect import Dialect

NEWLINE, CR, QUOTE = 10, 13, 34
MAX_RECORD_BYTES = 64 * 1024 * 1024


class ReadError(ValueError):
    """The file cannot be read as CSV at all."""


@dataclass(frozen=True)
class BadRow:
    line: int
    fields: list[str]
    error: str


@dataclass
class Chunk:
    """Consecutive rows: the accepted ones as string columns, the rejected ones with their reasons."""

    columns: list[pa.ChunkedArray]
    bad_rows: list[BadRow] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.columns[0]) if self.columns else 0


def split_record(text: str, delimiter: str) -> list[list[str]]:
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', doublequote=True))
    except csv.Error:
        return [[text]]


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "replace")


class _Frame:
    """Records of one block of bytes that starts at a record boundary."""

    def __init__(self, buf: bytes, delimiter: int, final: bool):
        arr = np.frombuffer(buf, np.uint8)
        self.newlines = np.flatnonzero(arr == NEWLINE)
        delims = np.flatnonzero(arr == delimiter)
        ends = self.newlines
        self.open_quote_at_end = False
        if QUOTE in buf:
            # Inside quotes where an odd number of quotes came before: RFC 4180's "" escape keeps parity.
            inside = np.cumsum(arr == QUOTE, dtype=np.uint8) & 1
            ends = ends[inside[ends] == 0]
            delims = delims[inside[delims] == 0]
            self.open_quote_at_end = final and bool(inside[-1])
        if final and (len(ends) == 0 or ends[-1] != len(buf) - 1) and len(buf):
            ends = np.append(ends, len(buf))
        self.ends = ends
        self.cut = int(ends[-1]) + 1 if len(ends) else 0
        self.starts = np.concatenate(([0], ends[:-1] + 1)).astype(np.int64) if len(ends) else ends
        length = ends - self.starts
        safe = np.minimum(self.starts, max(len(buf) - 1, 0))
        self.blank = (length == 0) | ((length == 1) & (arr[safe] == CR)) if len(buf) else length == 0
        self.fields = np.searchsorted(delims, ends) - np.searchsorted(delims, self.starts) + 1
        self.nul = np.zeros(len(ends), bool)
        if 0 in buf:
            self.nul[np.unique(np.searchsorted(ends, np.flatnonzero(arr == 0)))] = True

    def lines(self, first_line: int) -> np.ndarray:
        return first_line + np.searchsorted(self.newlines, self.starts)


def _slow_parse(block: bytes, first_line: int, ncols: int, delimiter: str) -> Chunk:
    """Python's csv module, row by row: exact line numbers and fields for every row."""
    text = block.decode("utf-8", "surrogateescape")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', doublequote=True)
    good: list[list[str]] = []
    bad: list[BadRow] = []
    line = first_line
    for row in reader:
        start, line = line, first_line + reader.line_num
        if not row:
            continue
        if any("\udc80" <= ch <= "\udcff" for value in row for ch in value):
            fields = [v.encode("utf-8", "surrogateescape").decode("utf-8", "replace") for v in row]
            bad.append(BadRow(start, fields, "invalid UTF-8 byte sequence"))
        elif any("\x00" in value for value in row):
            bad.append(BadRow(start, row, "contains a NUL byte"))
        elif len(row) != ncols:
            bad.append(BadRow(start, row, f"expected {ncols} fields, found {len(row)}"))
        else:
            good.append(row)
    columns = [pa.chunked_array([pa.array([r[i] for r in good], pa.string())]) for i in range(ncols)]
    return Chunk(columns, bad)


def _fast_parse(good: bytes, ncols: int, delimiter: str) -> list[pa.ChunkedArray]:
    frame = pd.read_csv(
        io.BytesIO(good),
        sep=delimiter,
        header=None,
        names=range(ncols),
        dtype=str,
        na_filter=False,
        quotechar='"',
        doublequote=True,
        engine="c",
        encoding="utf-8",
        encoding_errors="strict",
    )
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return [table.column(i).cast(pa.string()) for i in range(ncols)]


def _parse_block(block: bytes, frame: _Frame, first_line: int, ncols: int, delimiter: str) -> Chunk:
    keep = ~frame.blank
    bad = keep & ((frame.fields != ncols) | frame.nul)
    if frame.open_quote_at_end:
        bad[-1] = True
    good_mask = keep & ~bad
    bad_rows = []
    if bad.any():
        lines = frame.lines(first_line)
        for i in np.flatnonzero(bad):
            text = _decode(block[frame.starts[i] : frame.ends[i]]).removesuffix("\r")
            rows = split_record(text, delimiter)
            if len(rows) != 1 or (len(rows[0]) == ncols and not frame.nul[i] and not frame.open_quote_at_end):
                # The scan and the csv grammar disagree about this record: let csv decide for the block.
                return _slow_parse(block, first_line, ncols, delimiter)
            if frame.nul[i]:
                reason = "contains a NUL byte"
            elif frame.open_quote_at_end and i == len(bad) - 1:
                reason = "quoted field is never closed"
            else:
                reason = f"expected {ncols} fields, found {len(rows[0])}"
            bad_rows.append(BadRow(int(lines[i]), rows[0], reason))
        runs = np.flatnonzero(good_mask)
        good = b"".join(block[frame.starts[i] : frame.ends[i] + 1] for i in runs)
    else:
        good = block
    expected = int(good_mask.sum())
    if expected == 0:
        return Chunk([pa.chunked_array([], pa.string()) for _ in range(ncols)], bad_rows)
    try:
        columns = _fast_parse(good, ncols, delimiter)
    except (UnicodeDecodeError, pd.errors.ParserError):
        return _slow_parse(block, first_line, ncols, delimiter)
    if len(columns[0]) != expected:
        return _slow_parse(block, first_line, ncols, delimiter)
    return Chunk(columns, bad_rows)


def read_rows(
    pieces: Iterable[bytes], dialect: Dialect, ncols: int, skip_header: bool, block_size: int
) -> Iterator[Chunk]:
    """Chunks of rows from UTF-8 bytes, the header record (if any) left out."""
    delimiter = ord(dialect.delimiter)
    buf = b""
    line = 1
    header_pending = skip_header
    source = iter(pieces)
    final = False
    while not final:
        while len(buf) < block_size:
            piece = next(source, None)
            if piece is None:
                final = True
                break
            buf += piece
        frame = _Frame(buf, delimiter, final)
        if frame.cut == 0 and not final:
            if len(buf) > MAX_RECORD_BYTES:
                raise ReadError(f"a record starting at line {line} is longer than {MAX_RECORD_BYTES // 2**20} MiB")
            # A record longer than a block: double the buffer before scanning it again.
            target = 2 * len(buf)
            while len(buf) < target and (piece := next(source, None)) is not None:
                buf += piece
            final = len(buf) < target
            continue
        block, buf = buf[: frame.cut], buf[frame.cut :]
        if header_pending:
            # The header is the first record that is not blank; it was read by dialect detection.
            first = int(np.argmax(~frame.blank)) if (~frame.blank).any() else len(frame.ends)
            if first < len(frame.ends):
                skip_to = int(frame.ends[first]) + 1
                line += block.count(b"\n", 0, skip_to)
                block = block[skip_to:]
                header_pending = False
                frame = _Frame(block, delimiter, True)
            else:
                line += block.count(b"\n")
                continue
        if block:
            yield _parse_block(block, frame, line, ncols, dialect.delimiter)
        line += block.count(b"\n")
